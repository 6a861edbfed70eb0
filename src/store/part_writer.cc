#include "store/part_writer.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"
#include "common/status_macros.h"
#include "store/byte_io.h"
#include "store/column_encoding.h"
#include "store/file_util.h"

namespace waggle::store {
namespace {

std::string AttributeKey(const model::Field& field) {
  return StrCat(static_cast<int>(field.origin), "|", static_cast<int>(model::TypeOf(field.value)), "|",
                field.key);
}

}  // namespace

void PartWriter::ColumnBuilder::Clear() {
  ints.clear();
  doubles.clear();
  strings.clear();
  fixed.clear();
  rows_present.clear();
}

absl::StatusOr<std::unique_ptr<PartWriter>> PartWriter::Create(const std::string& path,
                                                               std::string dataset,
                                                               int64_t partition,
                                                               const PartWriterOptions& options) {
  ASSIGN_OR_RETURN(int fd, OpenForWrite(path));
  std::unique_ptr<PartWriter> writer(new PartWriter(path, fd, std::move(dataset), partition, options));
  RETURN_IF_NOT_OK(writer->Write(std::string_view(kPartMagic, sizeof(kPartMagic))));
  return writer;
}

PartWriter::PartWriter(std::string path, int fd, std::string dataset, int64_t partition,
                       const PartWriterOptions& options)
    : path_(std::move(path)), fd_(fd), options_(options) {
  footer_.dataset = std::move(dataset);
  footer_.partition = partition;
  footer_.columns = FixedColumnDescriptors();
  builders_.resize(footer_.columns.size());
}

PartWriter::~PartWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_) ::unlink(path_.c_str());
}

absl::Status PartWriter::Write(std::string_view data) {
  RETURN_IF_NOT_OK(WriteAll(fd_, data, path_));
  offset_ += data.size();
  return absl::OkStatus();
}

size_t PartWriter::ColumnFor(const model::Field& field) {
  auto [it, inserted] = attribute_columns_.emplace(AttributeKey(field), footer_.columns.size());
  if (inserted) {
    ColumnDescriptor d;
    d.origin = field.origin;
    d.type = model::TypeOf(field.value);
    d.key = field.key;
    footer_.columns.push_back(std::move(d));
    builders_.emplace_back();
  }
  return it->second;
}

absl::Status PartWriter::Add(const model::Event& e) {
  const uint32_t row = block_rows_;
  auto put_int = [&](FixedColumn c, int64_t v) {
    ColumnBuilder& b = builders_[static_cast<size_t>(c)];
    b.ints.push_back(v);
    b.rows_present.push_back(row);
  };
  auto put_string = [&](FixedColumn c, const std::string& v) {
    ColumnBuilder& b = builders_[static_cast<size_t>(c)];
    b.strings.push_back(v);
    b.rows_present.push_back(row);
  };
  auto put_bytes = [&](FixedColumn c, std::string_view v) {
    builders_[static_cast<size_t>(c)].fixed.append(v);
  };
  put_int(FixedColumn::kTime, e.time_unix_nano);
  put_int(FixedColumn::kDuration, e.duration_nano);
  put_int(FixedColumn::kSampleRate, e.sample_rate);
  put_int(FixedColumn::kAnnotationType, static_cast<int64_t>(e.annotation_type));
  put_int(FixedColumn::kKind, static_cast<int64_t>(e.kind));
  put_int(FixedColumn::kStatusCode, static_cast<int64_t>(e.status_code));
  put_int(FixedColumn::kInvalidDuration, e.invalid_duration ? 1 : 0);
  put_int(FixedColumn::kFlags, e.flags);
  put_int(FixedColumn::kNumEvents, e.num_events);
  put_int(FixedColumn::kNumLinks, e.num_links);
  put_bytes(FixedColumn::kTraceId, e.trace_id.AsBytes());
  put_bytes(FixedColumn::kSpanId, e.span_id.AsBytes());
  put_bytes(FixedColumn::kParentSpanId, e.parent_span_id.AsBytes());
  put_bytes(FixedColumn::kLinkTraceId, e.link_trace_id.AsBytes());
  put_bytes(FixedColumn::kLinkSpanId, e.link_span_id.AsBytes());
  put_string(FixedColumn::kName, e.name);
  put_string(FixedColumn::kServiceName, e.service_name);
  put_string(FixedColumn::kStatusMessage, e.status_message);
  put_string(FixedColumn::kScopeName, e.scope_name);
  put_string(FixedColumn::kScopeVersion, e.scope_version);
  put_string(FixedColumn::kTraceState, e.trace_state);

  for (const model::Field& f : e.fields) {
    ColumnBuilder& b = builders_[ColumnFor(f)];
    // The same key twice at one level: the later value wins, as in Honeycomb's flat view.
    const bool again = !b.rows_present.empty() && b.rows_present.back() == row;
    if (!again) b.rows_present.push_back(row);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            if (again) b.strings.back() = v; else b.strings.push_back(v);
          } else if constexpr (std::is_same_v<T, double>) {
            if (again) b.doubles.back() = v; else b.doubles.push_back(v);
          } else {
            auto i = static_cast<int64_t>(v);
            if (again) b.ints.back() = i; else b.ints.push_back(i);
          }
        },
        f.value);
  }

  if (!any_row_ || e.trace_id != last_trace_) bloom_.Add(e.trace_id);
  if (block_rows_ == 0) {
    block_.min_time = block_.max_time = e.time_unix_nano;
    block_.first_trace = e.trace_id;
  }
  block_.min_time = std::min(block_.min_time, e.time_unix_nano);
  block_.max_time = std::max(block_.max_time, e.time_unix_nano);
  block_.last_trace = e.trace_id;
  if (!any_row_) footer_.min_time = footer_.max_time = e.time_unix_nano;
  footer_.min_time = std::min(footer_.min_time, e.time_unix_nano);
  footer_.max_time = std::max(footer_.max_time, e.time_unix_nano);
  last_trace_ = e.trace_id;
  any_row_ = true;
  if (++block_rows_ >= options_.block_rows) return FlushBlock();
  return absl::OkStatus();
}

absl::Status PartWriter::FlushBlock() {
  if (block_rows_ == 0) return absl::OkStatus();
  const uint32_t rows = block_rows_;
  block_.rows = rows;
  block_.chunks.assign(footer_.columns.size(), ChunkMeta{});
  std::string raw;
  std::vector<uint8_t> present;
  for (size_t i = 0; i < footer_.columns.size(); ++i) {
    const ColumnDescriptor& column = footer_.columns[i];
    ColumnBuilder& b = builders_[i];
    ChunkMeta& chunk = block_.chunks[i];
    const PhysicalType type = column.physical_type();
    if (type != PhysicalType::kFixedBytes && b.rows_present.empty()) continue;  // all absent
    present.clear();
    if (type != PhysicalType::kFixedBytes && b.rows_present.size() != rows) {
      present.assign(rows, 0);
      for (uint32_t r : b.rows_present) present[r] = 1;
    }
    raw.clear();
    switch (type) {
      case PhysicalType::kInt: {
        EncodeInts(b.ints, present, rows, &raw);
        auto [lo, hi] = std::minmax_element(b.ints.begin(), b.ints.end());
        chunk.has_range = true;
        chunk.min = *lo;
        chunk.max = *hi;
        break;
      }
      case PhysicalType::kDouble: {
        EncodeDoubles(b.doubles, present, rows, &raw);
        auto [lo, hi] = std::minmax_element(b.doubles.begin(), b.doubles.end());
        chunk.has_range = true;
        std::memcpy(&chunk.min, &*lo, 8);
        std::memcpy(&chunk.max, &*hi, 8);
        break;
      }
      case PhysicalType::kString:
        EncodeStrings(b.strings, present, rows, &raw);
        break;
      case PhysicalType::kFixedBytes:
        EncodeFixedBytes(b.fixed, column.fixed_width(), &raw);
        break;
    }
    std::string compressed = CompressChunk(raw, options_.zstd_level);
    chunk.offset = offset_;
    chunk.size = static_cast<uint32_t>(compressed.size());
    chunk.checksum = XXH3_64bits(compressed.data(), compressed.size());
    RETURN_IF_NOT_OK(Write(compressed));
    b.Clear();
  }
  footer_.rows += rows;
  footer_.blocks.push_back(std::move(block_));
  block_ = BlockMeta{};
  block_rows_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<PartFooter> PartWriter::Finish() {
  RETURN_IF_NOT_OK(FlushBlock());
  footer_.bloom_filter = bloom_.Finish();
  std::string tail;
  EncodePartFooter(footer_, &tail);
  const auto footer_size = static_cast<uint32_t>(tail.size());
  const uint64_t checksum = XXH3_64bits(tail.data(), tail.size());
  ByteWriter w(&tail);
  w.Fixed32(footer_size);
  w.Fixed64(checksum);
  w.Raw(std::string_view(kPartEndMagic, sizeof(kPartEndMagic)));
  RETURN_IF_NOT_OK(Write(tail));
  if (::fdatasync(fd_) != 0) return ErrnoStatus("cannot fsync", path_);
  ::close(fd_);
  fd_ = -1;
  finished_ = true;
  return footer_;
}

}  // namespace waggle::store
