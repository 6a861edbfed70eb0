#include "store/part_format.h"

#include "common/strings.h"
#include "store/byte_io.h"

namespace waggle::store {
namespace {

constexpr uint8_t kFooterVersion = 2;  // 1: no values filters

ColumnDescriptor Fixed(FixedColumn column) {
  ColumnDescriptor d;
  d.fixed = static_cast<uint8_t>(column);
  return d;
}

}  // namespace

PhysicalType ColumnDescriptor::physical_type() const {
  if (is_attribute()) {
    switch (type) {
      case model::AttributeType::kString:
        return PhysicalType::kString;
      case model::AttributeType::kDouble:
        return PhysicalType::kDouble;
      default:
        return PhysicalType::kInt;  // ints and bools (0/1)
    }
  }
  switch (model::FixedFieldInfoOf(static_cast<FixedColumn>(fixed)).storage) {
    case model::FieldStorage::kFixedBytes: return PhysicalType::kFixedBytes;
    case model::FieldStorage::kString: return PhysicalType::kString;
    case model::FieldStorage::kInt: break;
  }
  return PhysicalType::kInt;
}

uint32_t ColumnDescriptor::fixed_width() const {
  return model::FixedFieldInfoOf(static_cast<FixedColumn>(fixed)).width;
}

std::string ColumnDescriptor::DebugName() const {
  if (!is_attribute()) {
    return fixed < model::kFixedFieldCount ? std::string(model::FixedFieldInfoOf(static_cast<FixedColumn>(fixed)).name)
                                           : std::string("?");
  }
  static const char* const kOrigins[] = {"resource", "scope", "span", "derived"};
  static const char* const kTypes[] = {"string", "int", "double", "bool"};
  return StrCat(kOrigins[static_cast<int>(origin) & 3], ":", kTypes[static_cast<int>(type) & 3], ":", key);
}

const std::vector<ColumnDescriptor>& FixedColumnDescriptors() {
  static const std::vector<ColumnDescriptor> columns = [] {
    std::vector<ColumnDescriptor> out;
    for (uint8_t i = 0; i < static_cast<uint8_t>(FixedColumn::kCount); ++i) {
      out.push_back(Fixed(static_cast<FixedColumn>(i)));
    }
    return out;
  }();
  return columns;
}

int64_t PartitionOf(int64_t time_unix_nano) {
  // Floor division, so times before 1970 fall in the partition below.
  int64_t p = time_unix_nano / kPartitionNanos;
  if (time_unix_nano % kPartitionNanos < 0) --p;
  return p;
}

void EncodePartFooter(const PartFooter& footer, std::string* out) {
  ByteWriter w(out);
  w.Byte(kFooterVersion);
  w.String(footer.dataset);
  w.Signed(footer.partition);
  w.Varint(footer.rows);
  w.Signed(footer.min_time);
  w.Signed(footer.max_time);
  w.Varint(footer.columns.size());
  for (const ColumnDescriptor& c : footer.columns) {
    w.Byte(c.fixed);
    if (c.is_attribute()) {
      w.Byte(static_cast<uint8_t>(c.origin));
      w.Byte(static_cast<uint8_t>(c.type));
      w.String(c.key);
    }
  }
  w.Varint(footer.blocks.size());
  for (const BlockMeta& b : footer.blocks) {
    w.Varint(b.rows);
    w.Signed(b.min_time);
    w.Signed(b.max_time);
    w.Raw(b.first_trace.AsBytes());
    w.Raw(b.last_trace.AsBytes());
    for (const ChunkMeta& c : b.chunks) {
      w.Varint(c.offset);
      w.Varint(c.size);
      w.Fixed64(c.checksum);
      w.Byte((c.has_range ? 1 : 0) | (c.values_filter.empty() ? 0 : 2));
      if (c.has_range) {
        w.Fixed64(static_cast<uint64_t>(c.min));
        w.Fixed64(static_cast<uint64_t>(c.max));
      }
      if (!c.values_filter.empty()) w.String(c.values_filter);
    }
  }
  w.String(footer.bloom_filter);
}

absl::StatusOr<PartFooter> DecodePartFooter(std::string_view data) {
  auto corrupt = [](std::string_view what) {
    return absl::DataLossError(StrCat("corrupt part footer: ", what));
  };
  ByteReader r(data);
  PartFooter footer;
  const uint8_t version = r.Byte();
  if (version != kFooterVersion && version != 1) return corrupt("unknown version");
  footer.dataset = r.String();
  footer.partition = r.Signed();
  footer.rows = r.Varint();
  footer.min_time = r.Signed();
  footer.max_time = r.Signed();
  const uint64_t ncolumns = r.Varint();
  if (!r.ok() || ncolumns > data.size()) return corrupt("column count");
  footer.columns.resize(ncolumns);
  for (ColumnDescriptor& c : footer.columns) {
    c.fixed = r.Byte();
    if (c.is_attribute()) {
      uint8_t origin = r.Byte();
      uint8_t type = r.Byte();
      if (origin > 3 || type > 3) return corrupt("column type");
      c.origin = static_cast<model::FieldOrigin>(origin);
      c.type = static_cast<model::AttributeType>(type);
      c.key = r.String();
    } else if (c.fixed >= static_cast<uint8_t>(FixedColumn::kCount)) {
      return corrupt("column id");
    }
  }
  const uint64_t nblocks = r.Varint();
  if (!r.ok() || nblocks > data.size()) return corrupt("block count");
  footer.blocks.resize(nblocks);
  uint64_t rows = 0;
  for (BlockMeta& b : footer.blocks) {
    uint64_t block_rows = r.Varint();
    if (block_rows == 0 || block_rows > (1u << 16)) return corrupt("block rows");
    b.rows = static_cast<uint32_t>(block_rows);
    rows += b.rows;
    b.min_time = r.Signed();
    b.max_time = r.Signed();
    b.first_trace = r.ReadId<model::TraceId>();
    b.last_trace = r.ReadId<model::TraceId>();
    if (!r.ok() || ncolumns > r.remaining()) return corrupt("block");
    b.chunks.resize(ncolumns);
    for (ChunkMeta& c : b.chunks) {
      c.offset = r.Varint();
      uint64_t size = r.Varint();
      if (size > UINT32_MAX) return corrupt("chunk size");
      c.size = static_cast<uint32_t>(size);
      c.checksum = r.Fixed64();
      const uint8_t flags = r.Byte();
      if (flags > (version == 1 ? 1 : 3)) return corrupt("chunk flags");
      c.has_range = (flags & 1) != 0;
      if (c.has_range) {
        c.min = static_cast<int64_t>(r.Fixed64());
        c.max = static_cast<int64_t>(r.Fixed64());
      }
      if ((flags & 2) != 0) c.values_filter = r.String();
    }
  }
  footer.bloom_filter = r.String();
  if (!r.ok() || r.remaining() != 0) return corrupt("truncated or trailing bytes");
  if (rows != footer.rows) return corrupt("block rows do not add up");
  return footer;
}

}  // namespace waggle::store
