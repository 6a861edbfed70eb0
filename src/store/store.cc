#include "store/store.h"

#include <future>

namespace waggle::store {

absl::StatusOr<std::vector<std::vector<model::Event>>> Store::FindTraces(const std::vector<model::TraceId>& trace_ids) {
  std::vector<std::vector<model::Event>> out;
  out.reserve(trace_ids.size());
  for (const model::TraceId& id : trace_ids) {
    auto events = FindTrace(id);
    if (!events.ok()) return events.status();
    out.push_back(std::move(*events));
  }
  return out;
}

void Store::AppendBatch(EventBatchBuilder batch, AppendCallback done) {
  Append(BatchEvents(batch.Finish()), std::move(done));
}

absl::Status AppendAndWait(Store& store, std::vector<model::Event> events) {
  std::promise<absl::Status> result;
  auto future = result.get_future();
  store.Append(std::move(events), [&result](absl::Status status) { result.set_value(std::move(status)); });
  return future.get();
}

}  // namespace waggle::store
