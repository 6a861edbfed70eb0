#include "store/store.h"

#include <future>

namespace waggle::store {

absl::Status AppendAndWait(Store& store, std::vector<model::Event> events) {
  std::promise<absl::Status> result;
  auto future = result.get_future();
  store.Append(std::move(events), [&result](absl::Status status) { result.set_value(std::move(status)); });
  return future.get();
}

}  // namespace waggle::store
