// The Filter operator: the rows of a scan unit that a spec's time range and filters select,
// as a selection vector (row numbers, ascending). The store has left out units its statistics
// rule out (store/predicate.h); a unit is ruled out here from its time range and string
// dictionaries, then each filter runs over the rows still selected; a string column tests
// each dictionary entry once and rows by their codes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "query/query_spec.h"
#include "query/value_column.h"

namespace waggle::query {

using store::PreparedLiteral;
using store::PrepareLiteral;

// The rows of a scan unit that a spec's time range and filters select, shared by the
// aggregating executor and by engines beside it (BubbleUp). Filters that rule a unit out from
// its column ranges or string dictionaries are checked before any row is read.
struct PreparedFilter;
class RowSelector {
 public:
  explicit RowSelector(const QuerySpec& spec);
  ~RowSelector();
  RowSelector(RowSelector&&) noexcept;

  // nullopt when the unit holds no such row (known without reading rows). A unit inside the
  // time range reads its start times only when `need_times`.
  absl::StatusOr<std::optional<std::vector<uint32_t>>> Select(BlockColumns& block, bool need_times) const;

  int64_t start_ns() const { return start_ns_; }
  int64_t end_ns() const { return end_ns_; }

 private:
  const QuerySpec* spec_;
  std::vector<PreparedFilter> filters_;
  int64_t start_ns_ = 0;
  int64_t end_ns_ = 0;
};

}  // namespace waggle::query
