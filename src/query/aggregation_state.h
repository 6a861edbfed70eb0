// What the executor's stages share (internal to query/): the plan of a query, and the groups
// and cells one runner aggregates into. A cell is one block of memory holding every aggregate
// function's state at its offset, for one group (its total) or one group's time bucket.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "query/aggregate/functions.h"
#include "query/query_executor.h"

namespace waggle::query {

struct Plan {
  explicit Plan(const QuerySpec& s) : spec(&s), rows(s) {}
  const QuerySpec* spec;
  RowSelector rows;
  std::vector<std::unique_ptr<AggregateFunction>> functions;
  std::vector<int> calc_function;  // per calculation, an index into functions
  size_t cell_size = 0;
  bool series = true;
  bool needs_times = false;  // a series, or CONCURRENCY
  int64_t start_ns = 0, end_ns = 0;
  int64_t origin_ns = 0, bucket_ns = 1;
  size_t buckets = 1;

  const AggregateFunction& FunctionOf(size_t calculation) const { return *functions[static_cast<size_t>(calc_function[calculation])]; }
};

// Cells of one runner, made in chunks so they never move; each function's state is created
// in every cell and destroyed with the arena.
class CellArena {
 public:
  explicit CellArena(const Plan& plan) : plan_(&plan) {}
  ~CellArena();
  CellArena(const CellArena&) = delete;
  CellArena& operator=(const CellArena&) = delete;

  char* New();
  size_t cells() const { return cells_; }

 private:
  static constexpr size_t kCellsPerChunk = 256;
  const Plan* plan_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t cells_ = 0;
};

struct Group {
  std::vector<GroupValue> values;
  char* total = nullptr;
  std::vector<char*> bucket_cells;  // per time bucket, null until a row lands there
};

struct Partial {
  explicit Partial(const Plan& plan) : cells(plan) {}
  absl::flat_hash_map<std::string, uint32_t> index;  // group key -> groups
  std::vector<Group> groups;
  CellArena cells;
  uint64_t bytes = 0;
  QueryStats stats;
  // Scratch reused from unit to unit.
  std::vector<uint32_t> group_of;
  std::vector<char*> places;
  std::vector<double> weights;
};

// The Finish stages: havings, order and limit, the heatmap range, the series.
absl::StatusOr<QueryResult> Finish(const Plan& plan, Partial& partial, const QueryOptions& options);

}  // namespace waggle::query
