// The Aggregate operator's functions, after ClickHouse's IAggregateFunction: a function keeps
// its state inside a cell (one group, or one group's time bucket), at an offset the executor
// gives it, and is called once per batch of rows with the cell of each row ("places"), so
// there is no virtual call or variant per row. One function serves every calculation of its
// family on one column: P50, P99 and HEATMAP of duration_ms share one distribution, SUM and
// AVG one running sum. Families, one file each: COUNT, numeric stats (SUM AVG MIN MAX RATE_*),
// distributions (percentiles, HEATMAP), COUNT_DISTINCT, CONCURRENCY.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "query/query_spec.h"
#include "query/value_column.h"

namespace waggle::query {

// The rows one batch adds: rows[i] of the unit goes to the cell at places[i], weighing
// weights[i] (its sample rate), or `weight` for every row when weights is null.
struct AggregateBatch {
  const uint32_t* rows = nullptr;
  size_t size = 0;
  char* const* places = nullptr;
  const double* weights = nullptr;
  double weight = 1;
  bool one_place = false;  // every row's place is places[0] (no breakdown, no series)
  double WeightOf(size_t i) const { return weights != nullptr ? weights[i] : weight; }
};

// Calls add(i, value) for each row of the batch whose value of `column` is a number: from the
// stored column in a typed loop when it is one (BlockColumns::Numbers), else from the
// ValueColumn. Inlined into each function's AddBatch: no call per row.
template <typename Add>
absl::Status ForEachNumber(BlockColumns& block, const std::string& column, const AggregateBatch& batch, Add add) {
  auto numbers = block.Numbers(column);
  if (!numbers.ok()) return numbers.status();
  if (const std::optional<NumericView>& view = *numbers) {
    auto loop = [&](auto value_at) {
      if (view->present->empty()) {
        for (size_t i = 0; i < batch.size; ++i) add(i, value_at(batch.rows[i]));
      } else {
        for (size_t i = 0; i < batch.size; ++i) {
          if (view->Has(batch.rows[i])) add(i, value_at(batch.rows[i]));
        }
      }
    };
    if (view->ints == nullptr) {
      loop([&](uint32_t row) { return view->doubles[row]; });
    } else if (view->divisor == 1) {
      loop([&](uint32_t row) { return static_cast<double>(view->ints[row]); });
    } else {
      loop([&](uint32_t row) { return static_cast<double>(view->ints[row]) / view->divisor; });
    }
    return absl::OkStatus();
  }
  auto values = block.Column(column);
  if (!values.ok()) return values.status();
  for (size_t i = 0; i < batch.size; ++i) {
    double v;
    if ((*values)->NumberAt(batch.rows[i], v)) add(i, v);
  }
  return absl::OkStatus();
}

class AggregateFunction {
 public:
  enum class Family : uint8_t { kCount, kStats, kDistribution, kDistinct, kConcurrency };

  virtual ~AggregateFunction() = default;

  // The family a calculation belongs to.
  static Family FamilyOf(CalculationOp op);
  // The function of a family over a column ("" for COUNT and CONCURRENCY).
  static std::unique_ptr<AggregateFunction> Make(Family family, const std::string& column);

  Family family() const { return family_; }
  const std::string& column() const { return column_; }
  size_t offset() const { return offset_; }
  void set_offset(size_t offset) { offset_ = offset; }

  virtual size_t state_size() const = 0;
  virtual size_t state_align() const = 0;
  virtual void Create(char* place) const = 0;
  virtual void Destroy(char* place) const noexcept = 0;

  // Reads its column from the unit (once per batch) and adds every row of the batch. `bytes`
  // grows by the memory the states took, for the query's budget.
  virtual absl::Status AddBatch(BlockColumns& block, const AggregateBatch& batch, uint64_t& bytes) const = 0;
  // Adds `from` into `into`; when `steal`, `from` may be left empty.
  virtual void Merge(char* into, char* from, bool steal) const = 0;
  // A calculation's value from a cell (nullopt: nothing to show, such as AVG of no values).
  // HEATMAP and CONCURRENCY need more than a cell: the finish stage asks their functions.
  virtual std::optional<double> Value(const char* place, CalculationOp op) const = 0;

  template <typename State>
  static State& StateAt(char* place, size_t offset) { return *reinterpret_cast<State*>(place + offset); }
  template <typename State>
  static const State& StateAt(const char* place, size_t offset) { return *reinterpret_cast<const State*>(place + offset); }

 protected:
  AggregateFunction(Family family, std::string column) : family_(family), column_(std::move(column)) {}

 private:
  Family family_;
  std::string column_;
  size_t offset_ = 0;
};

// A function whose state is one C++ object, value-initialised when a cell is made: Create,
// Destroy and the layout come from `State`.
template <typename State>
class PlainAggregateFunction : public AggregateFunction {
 public:
  size_t state_size() const override { return sizeof(State); }
  size_t state_align() const override { return alignof(State); }
  void Create(char* place) const override { new (place + offset()) State(); }
  void Destroy(char* place) const noexcept override { StateAt<State>(place, offset()).~State(); }

 protected:
  using AggregateFunction::AggregateFunction;
  State& state(char* place) const { return StateAt<State>(place, offset()); }
  const State& state(const char* place) const { return StateAt<State>(place, offset()); }
};

}  // namespace waggle::query
