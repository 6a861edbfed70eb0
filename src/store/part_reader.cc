#include "store/part_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <cerrno>
#include <cstring>
#include <optional>

#include "common/status_macros.h"
#include "common/strings.h"
#include "store/bloom_filter.h"
#include "store/column_cache.h"
#include "store/event_batch.h"
#include "store/file_util.h"

namespace waggle::store {
namespace {

// A chunk never decodes to more than this (64 Ki rows of the largest values we keep).
constexpr size_t kMaxDecodedChunk = 1ull << 31;

absl::Status PReadAll(int fd, uint64_t offset, size_t size, std::string* out, const std::string& path) {
  out->resize(size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out->data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot read", path);
    }
    if (n == 0) return absl::DataLossError(StrCat("part ", path, " is truncated"));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status Decode(const ColumnDescriptor& column, std::string_view raw, uint32_t rows,
                    ColumnValues* out, const std::string* related_ids) {
  switch (column.physical_type()) {
    case PhysicalType::kInt:
      return DecodeInts(raw, rows, out, related_ids);
    case PhysicalType::kDouble:
      return DecodeDoubles(raw, rows, out);
    case PhysicalType::kString:
      return DecodeStrings(raw, rows, out);
    case PhysicalType::kFixedBytes:
      return DecodeFixedBytes(raw, rows, column.fixed_width(), out, related_ids);
  }
  return absl::DataLossError("unknown column type");
}

template <typename Id>
Id IdAt(const ColumnValues& v, size_t row) {
  auto id = Id::FromBytes(std::string_view(v.fixed).substr(row * Id::kSize, Id::kSize));
  return id ? *id : Id{};
}

}  // namespace

absl::StatusOr<std::shared_ptr<PartReader>> PartReader::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", path);
  auto fail = [&](absl::Status status) {
    ::close(fd);
    return status;
  };
  struct stat st;
  if (::fstat(fd, &st) != 0) return fail(ErrnoStatus("cannot stat", path));
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < sizeof(kPartMagic) + kPartTrailerSize) {
    return fail(absl::DataLossError(StrCat("part ", path, " is truncated (", size, " bytes)")));
  }
  std::string trailer;
  if (auto s = PReadAll(fd, size - kPartTrailerSize, kPartTrailerSize, &trailer, path); !s.ok()) return fail(s);
  uint32_t footer_size;
  uint64_t checksum;
  std::memcpy(&footer_size, trailer.data(), 4);
  std::memcpy(&checksum, trailer.data() + 4, 8);
  if (std::memcmp(trailer.data() + 12, kPartEndMagic, 8) != 0 ||
      footer_size > size - sizeof(kPartMagic) - kPartTrailerSize) {
    return fail(absl::DataLossError(StrCat("part ", path, " has a torn or corrupt trailer")));
  }
  std::string footer_bytes;
  if (auto s = PReadAll(fd, size - kPartTrailerSize - footer_size, footer_size, &footer_bytes, path); !s.ok()) {
    return fail(s);
  }
  if (XXH3_64bits(footer_bytes.data(), footer_bytes.size()) != checksum) {
    return fail(absl::DataLossError(StrCat("part ", path, ": footer checksum mismatch")));
  }
  auto footer = DecodePartFooter(footer_bytes);
  if (!footer.ok()) return fail(absl::DataLossError(StrCat("part ", path, ": ", std::string(footer.status().message()))));
  const uint64_t data_end = size - kPartTrailerSize - footer_size;
  for (const BlockMeta& b : footer->blocks) {
    for (const ChunkMeta& c : b.chunks) {
      if (c.size > 0 && (c.offset < sizeof(kPartMagic) || c.offset + c.size > data_end)) {
        return fail(absl::DataLossError(StrCat("part ", path, ": chunk outside the file")));
      }
    }
  }
  return std::shared_ptr<PartReader>(new PartReader(path, fd, size, std::move(*footer)));
}

namespace {
std::atomic<uint64_t> next_cache_id{1};
}  // namespace

PartReader::PartReader(std::string path, int fd, uint64_t file_size, PartFooter footer)
    : path_(std::move(path)),
      fd_(fd),
      file_size_(file_size),
      footer_(std::move(footer)),
      cache_id_(next_cache_id.fetch_add(1, std::memory_order_relaxed)) {}

PartReader::~PartReader() {
  ColumnCache::Shared().ErasePart(cache_id_);
  ::close(fd_);
}

absl::StatusOr<std::shared_ptr<const ColumnValues>> PartReader::ReadCachedColumn(size_t block, size_t column) const {
  ColumnCache& cache = ColumnCache::Shared();
  const auto b = static_cast<uint32_t>(block), c = static_cast<uint32_t>(column);
  if (auto cached = cache.Lookup(cache_id_, b, c)) return cached;
  ASSIGN_OR_RETURN(ColumnValues values, ReadColumn(block, column));
  if (footer_.columns.at(column).physical_type() == PhysicalType::kInt) AddIntCodes(&values);
  auto shared = std::make_shared<const ColumnValues>(std::move(values));
  if (cache.capacity() > 0) cache.Insert(cache_id_, b, c, shared);
  return shared;
}

absl::StatusOr<std::string> PartReader::ReadChunkBytes(const ChunkMeta& chunk) const {
  std::string compressed;
  RETURN_IF_NOT_OK(PReadAll(fd_, chunk.offset, chunk.size, &compressed, path_));
  if (XXH3_64bits(compressed.data(), compressed.size()) != chunk.checksum) {
    return absl::DataLossError(StrCat("part ", path_, ": chunk checksum mismatch at offset ", chunk.offset));
  }
  auto raw = DecompressChunk(compressed, kMaxDecodedChunk);
  if (!raw.ok()) return absl::DataLossError(StrCat("part ", path_, ": ", std::string(raw.status().message())));
  return raw;
}

namespace {

// Which column a column is encoded against, if any (see column_encoding.h).
std::optional<size_t> RelatedColumnIndex(size_t column) {
  if (column == static_cast<size_t>(FixedColumn::kParentSpanId)) return static_cast<size_t>(FixedColumn::kSpanId);
  if (column == static_cast<size_t>(FixedColumn::kTime)) return static_cast<size_t>(FixedColumn::kTraceId);
  return std::nullopt;
}

}  // namespace

absl::StatusOr<ColumnValues> PartReader::ReadColumn(size_t block, size_t column) const {
  ColumnValues related;
  if (auto index = RelatedColumnIndex(column)) {
    ASSIGN_OR_RETURN(related, DecodeColumn(block, *index, nullptr));
  }
  return DecodeColumn(block, column, &related);
}

absl::StatusOr<std::vector<ColumnValues>> PartReader::ReadBlock(size_t block) const {
  const size_t ncolumns = footer_.columns.size();
  std::vector<ColumnValues> columns(ncolumns);
  // The columns others are encoded against first, then the rest, each decoded once.
  for (FixedColumn first : {FixedColumn::kTraceId, FixedColumn::kSpanId}) {
    const auto c = static_cast<size_t>(first);
    ASSIGN_OR_RETURN(columns[c], DecodeColumn(block, c, nullptr));
  }
  for (size_t c = 0; c < ncolumns; ++c) {
    if (c == static_cast<size_t>(FixedColumn::kTraceId) || c == static_cast<size_t>(FixedColumn::kSpanId)) continue;
    auto related = RelatedColumnIndex(c);
    ASSIGN_OR_RETURN(columns[c], DecodeColumn(block, c, related ? &columns[*related] : nullptr));
  }
  return columns;
}

absl::StatusOr<ColumnValues> PartReader::DecodeColumn(size_t block, size_t column,
                                                      const ColumnValues* related) const {
  const BlockMeta& b = footer_.blocks.at(block);
  const ColumnDescriptor& descriptor = footer_.columns.at(column);
  const ChunkMeta& chunk = b.chunks.at(column);
  ColumnValues values;
  if (chunk.size == 0) {
    // No row of this block has the column.
    values.present.assign(b.rows, 0);
    values.ints.assign(b.rows, 0);
    values.doubles.assign(b.rows, 0);
    values.codes.assign(b.rows, 0);
    return values;
  }
  ASSIGN_OR_RETURN(std::string decompressed, ReadChunkBytes(chunk));
  auto storage = std::make_shared<const std::string>(std::move(decompressed));
  const std::string& raw = *storage;
  values.storage = storage;
  absl::Status status = Decode(descriptor, raw, b.rows, &values, related ? &related->fixed : nullptr);
  if (!status.ok()) {
    return absl::DataLossError(StrCat("part ", path_, " column ", descriptor.DebugName(), ": ", std::string(status.message())));
  }
  return values;
}

absl::Status PartReader::Verify() const {
  for (size_t b = 0; b < footer_.blocks.size(); ++b) RETURN_IF_NOT_OK(ReadBlock(b).status());
  return absl::OkStatus();
}

bool PartReader::MayContainTrace(const model::TraceId& trace_id) const {
  return BloomFilterMayContain(footer_.bloom_filter, trace_id);
}

absl::StatusOr<std::vector<model::Event>> PartReader::ReadEvents(size_t block, uint32_t begin,
                                                                 uint32_t end) const {
  ASSIGN_OR_RETURN(std::vector<ColumnValues> columns, ReadBlock(block));
  return EventsOf(columns, begin, end);
}

std::vector<model::Event> PartReader::EventsOf(const std::vector<ColumnValues>& columns, uint32_t begin,
                                               uint32_t end) const {
  std::vector<model::Event> events(end - begin);
  for (uint32_t row = begin; row < end; ++row) {
    RowToEvent(footer_.dataset, footer_.columns, columns, row, &events[row - begin]);
  }
  return events;
}

absl::StatusOr<std::vector<model::Event>> PartReader::FindTrace(const model::TraceId& trace_id) const {
  std::vector<model::Event> out;
  if (!MayContainTrace(trace_id)) return out;
  // Blocks are in trace order: the first block whose last trace is >= the id, and on while
  // blocks start at or before it (a trace may straddle blocks).
  const auto& blocks = footer_.blocks;
  auto it = std::lower_bound(blocks.begin(), blocks.end(), trace_id,
                             [](const BlockMeta& b, const model::TraceId& id) { return b.last_trace < id; });
  for (; it != blocks.end() && it->first_trace <= trace_id; ++it) {
    // Candidate blocks nearly always hold the trace (the Bloom filter said so): read the
    // whole block once rather than the trace ids first and everything again.
    const size_t block = static_cast<size_t>(it - blocks.begin());
    ASSIGN_OR_RETURN(std::vector<ColumnValues> columns, ReadBlock(block));
    const ColumnValues& ids = columns[static_cast<size_t>(FixedColumn::kTraceId)];
    uint32_t begin = it->rows, end = it->rows;
    for (uint32_t row = 0; row < it->rows; ++row) {
      if (IdAt<model::TraceId>(ids, row) == trace_id) {
        if (begin == it->rows) begin = row;
        end = row + 1;
      }
    }
    if (begin == end) continue;
    for (model::Event& e : EventsOf(columns, begin, end)) out.push_back(std::move(e));
  }
  return out;
}

absl::Status PartReader::FindTraces(const std::vector<model::TraceId>& trace_ids,
                                    const std::function<void(size_t, model::Event)>& found) const {
  // Block -> the wanted traces that may be in it (blocks are in trace order; see FindTrace).
  std::map<size_t, std::vector<size_t>> wanted;
  const auto& blocks = footer_.blocks;
  for (size_t i = 0; i < trace_ids.size(); ++i) {
    const model::TraceId& id = trace_ids[i];
    if (!MayContainTrace(id)) continue;
    auto it = std::lower_bound(blocks.begin(), blocks.end(), id,
                               [](const BlockMeta& b, const model::TraceId& t) { return b.last_trace < t; });
    for (; it != blocks.end() && it->first_trace <= id; ++it) wanted[static_cast<size_t>(it - blocks.begin())].push_back(i);
  }
  for (const auto& [block, indexes] : wanted) {
    ASSIGN_OR_RETURN(std::vector<ColumnValues> columns, ReadBlock(block));
    const ColumnValues& ids = columns[static_cast<size_t>(FixedColumn::kTraceId)];
    const uint32_t rows = blocks[block].rows;
    for (size_t index : indexes) {
      // Rows of a block are sorted by trace id: binary search the run of this trace.
      const model::TraceId& id = trace_ids[index];
      uint32_t lo = 0, hi = rows;
      while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (IdAt<model::TraceId>(ids, mid) < id) lo = mid + 1; else hi = mid;
      }
      uint32_t end = lo;
      while (end < rows && IdAt<model::TraceId>(ids, end) == id) ++end;
      if (lo == end) continue;
      for (model::Event& e : EventsOf(columns, lo, end)) found(index, std::move(e));
    }
  }
  return absl::OkStatus();
}

}  // namespace waggle::store
