// The one path X-Ray documents take into the store, from the daemon's UDP port and from
// PutTraceSegments alike: map each document, remember which service each segment id belongs
// to (so a subsegment sent on its own lands in its service's dataset when its segment was
// seen first), and append.
#pragma once

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "model/event.h"
#include "store/event_batch.h"
#include "store/store.h"
#include "xray/segment_document.h"

namespace waggle::xray {

struct UnprocessedDocument {
  std::string id;  // the document's id when it could be read
  std::string message;
};

struct MappedDocuments {
  store::EventBatchBuilder rows;  // every accepted document's spans
  int64_t accepted = 0;
  std::vector<UnprocessedDocument> unprocessed;
};

class SegmentIngest {
 public:
  explicit SegmentIngest(store::Store& store, size_t remembered_segments = 200000)
      : store_(store), capacity_(std::max<size_t>(1, remembered_segments)) {}

  MappedDocuments Map(const std::vector<std::string_view>& documents);
  void Append(store::EventBatchBuilder rows, store::Store::AppendCallback done) {
    store_.AppendBatch(std::move(rows), std::move(done));
  }
  absl::Status Admission() const { return store_.Admission(); }

 private:
  using SegmentKey = std::pair<model::TraceId, model::SpanId>;
  struct SegmentKeyHash {
    size_t operator()(const SegmentKey& key) const {
      uint64_t span;
      std::memcpy(&span, key.second.bytes.data(), sizeof span);
      return model::TraceIdHash()(key.first) ^ (span * 0x9e3779b97f4a7c15ull);
    }
  };
  std::string ServiceOf(const SegmentKey& key);
  void Remember(const DocumentRows& rows);

  store::Store& store_;
  const size_t capacity_;
  std::mutex mutex_;
  // All guarded by mutex_. A flat hash map: a std::map of 200k keys was 10% of UDP ingest
  // time in memcmp, and std::unordered_map's node per entry 6% in malloc and cache misses.
  // Values are indexes into service_names_ (a few services), not a string per span.
  absl::flat_hash_map<SegmentKey, uint32_t, SegmentKeyHash> services_;
  std::vector<std::string> service_names_;
  absl::flat_hash_map<std::string, uint32_t> service_ids_;
  // The keys in arrival order, a ring of capacity_: the oldest is overwritten (and forgotten)
  // by the next, with no allocation per key.
  std::vector<SegmentKey> order_;
  size_t next_ = 0;
};

}  // namespace waggle::xray
