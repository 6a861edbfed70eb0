// Honeycomb markers (deploys, incidents: /1/markers/{dataset}) kept in one JSON file in the
// data directory, rewritten atomically on each change. Markers are few (people make them),
// so the whole set lives in memory.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

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

  absl::StatusOr<Marker> Create(Marker marker);
  absl::StatusOr<Marker> Update(const std::string& dataset, const std::string& id, const Marker& changes);
  absl::Status Delete(const std::string& dataset, const std::string& id);
  std::vector<Marker> List(const std::string& dataset) const;  // "__all__": every dataset's

 private:
  explicit MarkerStore(std::string path) : path_(std::move(path)) {}
  absl::Status Save();  // callers hold mutex_

  const std::string path_;
  mutable std::mutex mutex_;
  std::vector<Marker> markers_;  // guarded by mutex_
  uint64_t next_id_ = 1;         // guarded by mutex_
};

}  // namespace waggle::store
