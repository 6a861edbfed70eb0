// The on-disk format of a part: an immutable, checksummed, columnar file holding the events
// of one dataset and one time partition (an hour of span start times), sorted by
// (trace id, start time) so that a trace is contiguous and its id compresses to one run.
//
//   "WGLPART1"
//   column chunks: zstd(encoded column of one block), see store/column_encoding.h
//   footer
//   fixed32(footer size) fixed64(XXH3_64(footer)) "WGLPEND1"
//
//   footer := u8(version=2; 1 is read too) string(dataset) signed(partition) varint(rows)
//             signed(min_time) signed(max_time)
//             varint(ncolumns) column* varint(nblocks) block* string(bloom filter)
//   column := u8(fixed column id, or 255 for an attribute) [u8(origin) u8(type) string(key)]
//   block  := varint(rows) signed(min_time) signed(max_time) bytes16(first trace)
//             bytes16(last trace) chunk{ncolumns}
//   chunk  := varint(offset) varint(size; 0 = no value in this block) fixed64(XXH3_64)
//             u8(flags: 1 range, 2 values filter) [fixed64(min) fixed64(max)]
//             [string(values filter)]
//   (range: ints; doubles as their bits. Values filter: a Bloom filter over the distinct
//   strings of a dictionary-encoded string chunk, store/bloom_filter.h; version 1 has none.)
//
// Every chunk's checksum is kept in the footer, the footer's after it: a torn or corrupt
// file is found on open (PartReader::Verify) and never served.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/event.h"
#include "model/event_schema.h"

namespace waggle::store {

inline constexpr char kPartMagic[8] = {'W', 'G', 'L', 'P', 'A', 'R', 'T', '1'};
inline constexpr char kPartEndMagic[8] = {'W', 'G', 'L', 'P', 'E', 'N', 'D', '1'};
inline constexpr size_t kPartTrailerSize = 4 + 8 + 8;
inline constexpr int64_t kPartitionNanos = 3600ll * 1000 * 1000 * 1000;  // one hour

// The columns every event has, one per fixed field of model/event_schema.h, numbered by its
// id. Attributes follow as columns of their own, one per (origin, type, key): the same key
// sent as int and as string is two columns, both kept.
using FixedColumn = model::FixedField;
inline constexpr uint8_t kAttributeColumn = 255;

enum class PhysicalType : uint8_t { kInt, kDouble, kString, kFixedBytes };

struct ColumnDescriptor {
  uint8_t fixed = kAttributeColumn;  // a FixedColumn, or kAttributeColumn
  model::FieldOrigin origin = model::FieldOrigin::kSpan;
  model::AttributeType type = model::AttributeType::kString;
  std::string key;

  bool is_attribute() const { return fixed == kAttributeColumn; }
  PhysicalType physical_type() const;
  uint32_t fixed_width() const;  // for kFixedBytes
  // "duration" for fixed columns, "span:string:http.route" for attributes.
  std::string DebugName() const;

  friend bool operator==(const ColumnDescriptor&, const ColumnDescriptor&) = default;
};

// The fixed columns, in FixedColumn order.
const std::vector<ColumnDescriptor>& FixedColumnDescriptors();

struct ChunkMeta {
  uint64_t offset = 0;
  uint32_t size = 0;  // 0: no row of the block has this column
  uint64_t checksum = 0;
  bool has_range = false;
  int64_t min = 0;  // ints; for doubles, the bits of the double
  int64_t max = 0;
  std::string values_filter;  // strings: a Bloom filter over the chunk's distinct values, or empty
};

struct BlockMeta {
  uint32_t rows = 0;
  int64_t min_time = 0;
  int64_t max_time = 0;
  model::TraceId first_trace;
  model::TraceId last_trace;
  std::vector<ChunkMeta> chunks;  // one per column of the part
};

struct PartFooter {
  std::string dataset;
  int64_t partition = 0;  // start time / kPartitionNanos
  uint64_t rows = 0;
  int64_t min_time = 0;
  int64_t max_time = 0;
  std::vector<ColumnDescriptor> columns;
  std::vector<BlockMeta> blocks;
  std::string bloom_filter;  // store/bloom_filter.h, over the part's trace ids
};

void EncodePartFooter(const PartFooter& footer, std::string* out);
absl::StatusOr<PartFooter> DecodePartFooter(std::string_view data);

int64_t PartitionOf(int64_t time_unix_nano);

}  // namespace waggle::store
