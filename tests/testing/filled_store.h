// An embedded store holding given events in compacted parts of small blocks, for engines that
// read parts (queries, BubbleUp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/embedded_store.h"

namespace waggle::testing {

inline absl::StatusOr<std::unique_ptr<store::EmbeddedStore>> OpenFilledStore(const std::string& dir,
                                                                              std::vector<model::Event> events,
                                                                              uint32_t block_rows = 1000) {
  store::EmbeddedStoreOptions options;
  options.data_dir = dir;
  options.part.block_rows = block_rows;
  auto store = store::EmbeddedStore::Open(options);
  if (!store.ok()) return store.status();
  if (absl::Status s = store::AppendAndWait(**store, std::move(events)); !s.ok()) return s;
  if (absl::Status s = (*store)->FlushAndCompact(); !s.ok()) return s;
  return store;
}

}  // namespace waggle::testing
