// Reads a part (store/part_format.h). Open checks the trailer and the footer's checksum;
// Verify reads every chunk and checks its checksum, which the store does for each part when
// it starts, so a torn or corrupt part is reported and set aside instead of served. Reads
// use pread on a descriptor held open, so a part stays readable while a merge or retention
// removes its file (the last reader closes it).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/event.h"
#include "store/column_encoding.h"
#include "store/part_format.h"

namespace waggle::store {

class PartReader {
 public:
  static absl::StatusOr<std::shared_ptr<PartReader>> Open(const std::string& path);
  ~PartReader();

  const PartFooter& footer() const { return footer_; }
  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_size_; }

  // Reads every chunk and checks its checksum and that it decodes.
  absl::Status Verify() const;

  bool MayContainTrace(const model::TraceId& trace_id) const;
  // The trace's events in this part, in (start time) order; empty when absent.
  absl::StatusOr<std::vector<model::Event>> FindTrace(const model::TraceId& trace_id) const;
  // Events of each of `trace_ids` in this part, reading each block once: found(i, event) for
  // the events of trace_ids[i].
  absl::Status FindTraces(const std::vector<model::TraceId>& trace_ids,
                          const std::function<void(size_t, model::Event)>& found) const;

  // One column of a block (reading the column it is encoded against too, if any).
  absl::StatusOr<ColumnValues> ReadColumn(size_t block, size_t column) const;
  // The same through the process's column cache (store/column_cache.h): what queries read.
  absl::StatusOr<std::shared_ptr<const ColumnValues>> ReadCachedColumn(size_t block, size_t column) const;
  // Every column of a block, each read and decoded once.
  absl::StatusOr<std::vector<ColumnValues>> ReadBlock(size_t block) const;
  // Rows [begin, end) of a block as events (every column read).
  absl::StatusOr<std::vector<model::Event>> ReadEvents(size_t block, uint32_t begin, uint32_t end) const;
  // Rows [begin, end) of a block already read with ReadBlock, as events.
  std::vector<model::Event> EventsOf(const std::vector<ColumnValues>& columns, uint32_t begin,
                                     uint32_t end) const;

 private:
  PartReader(std::string path, int fd, uint64_t file_size, PartFooter footer);
  absl::StatusOr<std::string> ReadChunkBytes(const ChunkMeta& chunk) const;
  // `related` is the column this one is encoded against (span ids for parent ids, trace ids
  // for start times), already decoded; nullptr for the others.
  absl::StatusOr<ColumnValues> DecodeColumn(size_t block, size_t column, const ColumnValues* related) const;

  const std::string path_;
  int fd_;
  const uint64_t file_size_;
  const PartFooter footer_;
  const uint64_t cache_id_;  // unique in the process, for the column cache
};

}  // namespace waggle::store
