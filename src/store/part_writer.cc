#include "store/part_writer.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"
#include "common/status_macros.h"
#include "store/bloom_filter.h"
#include "store/byte_io.h"
#include "store/column_encoding.h"
#include "store/file_util.h"

namespace waggle::store {
namespace {

// A string chunk with fewer distinct values gets no values filter: its values are in most
// blocks, so a filter would rarely skip one. At 16 the filters took 18% more part bytes on
// bench/query.sh's 10M spans (121 -> 144 MB); at 256 only high-cardinality columns (user ids)
// carry one.
constexpr size_t kMinValuesForFilter = 256;

}  // namespace

void PartWriter::ColumnBuilder::Clear() {
  ints.clear();
  doubles.clear();
  string_bytes.clear();
  string_ends.clear();
  fixed.clear();
  rows_present.clear();
}

bool PartWriter::ColumnBuilder::BeginRow(uint32_t row) {
  if (!rows_present.empty() && rows_present.back() == row) return false;
  rows_present.push_back(row);
  return true;
}

void PartWriter::ColumnBuilder::SetString(bool fresh, std::string_view v) {
  if (!fresh) {
    string_ends.pop_back();
    string_bytes.resize(string_ends.empty() ? 0 : string_ends.back());
  }
  string_bytes.append(v);
  string_ends.push_back(static_cast<uint32_t>(string_bytes.size()));
}

void PartWriter::ColumnBuilder::SetInt(bool fresh, int64_t v) {
  if (fresh) ints.push_back(v);
  else ints.back() = v;
}

void PartWriter::ColumnBuilder::SetDouble(bool fresh, double v) {
  if (fresh) doubles.push_back(v);
  else doubles.back() = v;
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

size_t PartWriter::AttributeColumn(model::FieldOrigin origin, model::AttributeType type, std::string_view key) {
  lookup_key_.clear();
  lookup_key_.push_back(static_cast<char>(origin));
  lookup_key_.push_back(static_cast<char>(type));
  lookup_key_.append(key);
  auto it = attribute_columns_.find(lookup_key_);
  if (it != attribute_columns_.end()) return it->second;
  ColumnDescriptor d;
  d.origin = origin;
  d.type = type;
  d.key = std::string(key);
  footer_.columns.push_back(std::move(d));
  builders_.emplace_back();
  attribute_columns_.emplace(lookup_key_, footer_.columns.size() - 1);
  return footer_.columns.size() - 1;
}

absl::Status PartWriter::Add(const model::Event& e) {
  const uint32_t row = block_rows_;
  model::ForEachFixedField([&](const auto& def) {
    using T = typename std::decay_t<decltype(def)>::Type;
    ColumnBuilder& b = builders_[static_cast<size_t>(def.id)];
    const T& v = e.*def.member;
    if constexpr (model::kIsId<T>) {
      b.fixed.append(v.AsBytes());
    } else if constexpr (std::is_same_v<T, std::string>) {
      b.SetString(true, v);
      b.rows_present.push_back(row);
    } else {
      b.ints.push_back(model::ToStoredInt(v));
      b.rows_present.push_back(row);
    }
  });

  if (field_column_cache_.size() < e.fields.size()) {
    field_column_cache_.resize(e.fields.size(), {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX});
  }
  for (size_t i = 0; i < e.fields.size(); ++i) {
    const model::Field& f = e.fields[i];
    const model::AttributeType type = model::TypeOf(f.value);
    std::array<uint32_t, 4>& cache = field_column_cache_[i];
    size_t column = SIZE_MAX;
    for (uint32_t candidate : cache) {
      if (candidate == UINT32_MAX) break;
      const ColumnDescriptor& d = footer_.columns[candidate];
      if (d.origin == f.origin && d.type == type && d.key == f.key) {
        column = candidate;
        break;
      }
    }
    if (column == SIZE_MAX) {
      column = AttributeColumn(f.origin, type, f.key);
      std::copy_backward(cache.begin(), cache.end() - 1, cache.end());
      cache[0] = static_cast<uint32_t>(column);
    }
    ColumnBuilder& b = builders_[column];
    // The same key twice at one level: the later value wins, as in Honeycomb's flat view.
    const bool fresh = b.BeginRow(row);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) b.SetString(fresh, v);
          else if constexpr (std::is_same_v<T, double>) b.SetDouble(fresh, v);
          else b.SetInt(fresh, static_cast<int64_t>(v));
        },
        f.value);
  }
  return EndRow(e.trace_id, e.time_unix_nano);
}

void PartWriter::Bind(SourceBlock& source) {
  const auto& columns = *source.descriptors;
  source.writer_columns.resize(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) {
    source.writer_columns[c] =
        columns[c].is_attribute() ? AttributeColumn(columns[c].origin, columns[c].type, columns[c].key) : c;
  }
}

absl::Status PartWriter::AddRows(std::span<const SourceBlock* const> sources, std::span<const SourceRow> rows) {
  // Per source: this writer's column -> the source's column, or -1.
  std::vector<std::vector<int32_t>> column_of(sources.size());
  const size_t ncolumns = footer_.columns.size();
  for (size_t s = 0; s < sources.size(); ++s) {
    if (sources[s] == nullptr) continue;
    column_of[s].assign(ncolumns, -1);
    for (size_t c = 0; c < sources[s]->writer_columns.size(); ++c) {
      column_of[s][sources[s]->writer_columns[c]] = static_cast<int32_t>(c);
    }
  }
  // For the column being copied, each source's raw arrays: a row's value is then one load
  // from an array in cache (the column of every batch of a head fits in L2), not a chain of
  // loads through the source's column structs (a cache miss each; 4x slower flushes).
  struct Arrays {
    const uint8_t* present = nullptr;  // null: every row has a value
    const void* values = nullptr;      // ints, doubles, codes or fixed bytes; null: no column
    const std::string_view* dictionary = nullptr;
    uint32_t width = 0;
  };
  std::vector<Arrays> arrays(sources.size());
  while (!rows.empty()) {
    const size_t n = std::min<size_t>(rows.size(), options_.block_rows - block_rows_);
    const std::span<const SourceRow> chunk = rows.first(n);
    for (size_t w = 0; w < ncolumns; ++w) {
      const PhysicalType type = footer_.columns[w].physical_type();
      for (size_t s = 0; s < sources.size(); ++s) {
        arrays[s] = {};
        if (sources[s] == nullptr || column_of[s][w] < 0) continue;
        const ColumnValues& v = (*sources[s]->columns)[static_cast<size_t>(column_of[s][w])];
        Arrays& a = arrays[s];
        a.present = v.present.empty() ? nullptr : v.present.data();
        switch (type) {
          case PhysicalType::kInt: a.values = v.ints.data(); break;
          case PhysicalType::kDouble: a.values = v.doubles.data(); break;
          case PhysicalType::kString:
            a.values = v.codes.data();
            a.dictionary = v.dictionary.data();
            break;
          case PhysicalType::kFixedBytes:
            a.values = v.fixed.data();
            a.width = v.width;
            break;
        }
      }
      ColumnBuilder& b = builders_[w];
      for (size_t i = 0; i < n; ++i) {
        const SourceRow& r = chunk[i];
        const Arrays& a = arrays[r.source];
        if (a.values == nullptr || (a.present != nullptr && a.present[r.row] == 0)) continue;
        const auto out_row = static_cast<uint32_t>(block_rows_ + i);
        switch (type) {
          case PhysicalType::kFixedBytes:
            b.fixed.append(static_cast<const char*>(a.values) + static_cast<size_t>(r.row) * a.width, a.width);
            break;
          case PhysicalType::kInt:
            b.SetInt(b.BeginRow(out_row), static_cast<const int64_t*>(a.values)[r.row]);
            break;
          case PhysicalType::kDouble:
            b.SetDouble(b.BeginRow(out_row), static_cast<const double*>(a.values)[r.row]);
            break;
          case PhysicalType::kString:
            if (const uint32_t code = static_cast<const uint32_t*>(a.values)[r.row]; code != 0) {
              b.SetString(b.BeginRow(out_row), a.dictionary[code - 1]);
            }
            break;
        }
      }
    }
    for (const SourceRow& r : chunk) {
      const std::vector<ColumnValues>& values = *sources[r.source]->columns;
      model::TraceId trace_id;
      std::memcpy(trace_id.bytes.data(),
                  values[static_cast<size_t>(FixedColumn::kTraceId)].fixed.data() + static_cast<size_t>(r.row) * 16, 16);
      NoteRow(trace_id, values[static_cast<size_t>(FixedColumn::kTime)].ints[r.row]);
    }
    if (block_rows_ >= options_.block_rows) RETURN_IF_NOT_OK(FlushBlock());
    rows = rows.subspan(n);
  }
  return absl::OkStatus();
}

absl::Status PartWriter::EndRow(const model::TraceId& trace_id, int64_t time) {
  NoteRow(trace_id, time);
  if (block_rows_ >= options_.block_rows) return FlushBlock();
  return absl::OkStatus();
}

void PartWriter::NoteRow(const model::TraceId& trace_id, int64_t time) {
  if (!any_row_ || trace_id != last_trace_) bloom_.Add(trace_id);
  if (block_rows_ == 0) {
    block_.min_time = block_.max_time = time;
    block_.first_trace = trace_id;
  }
  block_.min_time = std::min(block_.min_time, time);
  block_.max_time = std::max(block_.max_time, time);
  block_.last_trace = trace_id;
  if (!any_row_) footer_.min_time = footer_.max_time = time;
  footer_.min_time = std::min(footer_.min_time, time);
  footer_.max_time = std::max(footer_.max_time, time);
  last_trace_ = trace_id;
  any_row_ = true;
  ++block_rows_;
}

absl::Status PartWriter::FlushBlock() {
  if (block_rows_ == 0) return absl::OkStatus();
  const uint32_t rows = block_rows_;
  block_.rows = rows;
  block_.chunks.assign(footer_.columns.size(), ChunkMeta{});
  std::string raw;
  std::vector<uint8_t> present;
  std::vector<std::string_view> views;
  std::vector<std::string_view> dictionary;
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
        // Start times relative to the previous span of the same trace (see column_encoding.h).
        EncodeInts(b.ints, present, rows, &raw,
                   column.fixed == static_cast<uint8_t>(FixedColumn::kTime)
                       ? &builders_[static_cast<size_t>(FixedColumn::kTraceId)].fixed
                       : nullptr);
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
      case PhysicalType::kString: {
        views.clear();
        uint32_t begin = 0;
        for (uint32_t end : b.string_ends) {
          views.emplace_back(b.string_bytes.data() + begin, end - begin);
          begin = end;
        }
        EncodeStrings(views, present, rows, &raw, &dictionary);
        // Equality filters on values of many blocks (one user's id) skip this block without
        // decompressing it. Plain chunks (mostly distinct values) get none: ~10 bits a row.
        if (dictionary.size() >= kMinValuesForFilter) {
          BloomFilterBuilder filter(8, 6);  // ~2% false positives
          for (std::string_view v : dictionary) filter.Add(v);
          chunk.values_filter = filter.Finish();
        }
        break;
      }
      case PhysicalType::kFixedBytes:
        if (column.fixed == static_cast<uint8_t>(FixedColumn::kParentSpanId)) {
          EncodeSpanReferences(b.fixed, builders_[static_cast<size_t>(FixedColumn::kSpanId)].fixed,
                               column.fixed_width(), &raw);
        } else {
          EncodeFixedBytes(b.fixed, column.fixed_width(), &raw);
        }
        break;
    }
    std::string compressed = CompressChunk(raw, options_.zstd_level);
    chunk.offset = offset_;
    chunk.size = static_cast<uint32_t>(compressed.size());
    chunk.checksum = XXH3_64bits(compressed.data(), compressed.size());
    RETURN_IF_NOT_OK(Write(compressed));
  }
  for (ColumnBuilder& b : builders_) b.Clear();  // after the loop: parent ids refer to span ids
  footer_.rows += rows;
  footer_.blocks.push_back(std::move(block_));
  block_ = BlockMeta{};
  block_rows_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<PartFooter> PartWriter::Finish() {
  RETURN_IF_NOT_OK(FlushBlock());
  // Blocks written before a column first appeared have no chunk for it: an empty one.
  for (BlockMeta& b : footer_.blocks) b.chunks.resize(footer_.columns.size());
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
