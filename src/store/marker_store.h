// Honeycomb markers (deploys, incidents: /1/markers/{dataset}) kept as one JSON document: a
// file in the data directory, rewritten atomically on each change, or a ClickHouse row shared
// by every node (reloaded when another node changed it). Markers are few (people make them),
// so the whole set lives in memory.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/document_store.h"

namespace waggle::store {

struct Marker {
  std::string id;
  std::string dataset;  // lowercase; "__all__" for environment-wide markers
  int64_t start_time = 0;  // unix seconds
  std::optional<int64_t> end_time;
  std::string message;
  std::string type;
  std::string url;
  std::string color;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

class MarkerStore {
 public:
  static absl::StatusOr<std::unique_ptr<MarkerStore>> Open(const std::string& path);
  static absl::StatusOr<std::unique_ptr<MarkerStore>> Open(std::unique_ptr<DocumentStore> document);

  absl::StatusOr<Marker> Create(Marker marker);
  absl::StatusOr<Marker> Update(const std::string& dataset, const std::string& id, const Marker& changes);
  absl::Status Delete(const std::string& dataset, const std::string& id);
  // "__all__": every dataset's. A shared document that cannot be read is listed as last seen.
  std::vector<Marker> List(const std::string& dataset);

 private:
  explicit MarkerStore(std::unique_ptr<DocumentStore> document) : document_(std::move(document)) {}
  absl::Status Save();  // callers hold mutex_
  absl::Status Parse(const std::string& text);  // callers hold mutex_ (or own the store alone)
  // Reloads a shared document another node changed; callers hold mutex_.
  absl::Status RefreshLocked();

  const std::unique_ptr<DocumentStore> document_;
  int64_t version_ = 0;  // of the document as parsed; guarded by mutex_
  mutable std::mutex mutex_;
  std::vector<Marker> markers_;  // guarded by mutex_
  uint64_t next_id_ = 1;         // guarded by mutex_
};

}  // namespace waggle::store
