// The executor: Scan (the store's units) → Filter (RowSelector's selection vector) →
// Aggregate (each row's cell, then every function over the batch) on the shared scheduler's
// runners, each with its own partial state, merged at the end → Finish (finish.cc).
#include "query/query_executor.h"

#include <algorithm>

#include "common/status_macros.h"
#include "common/strings.h"
#include "query/aggregation_state.h"
#include "query/scheduler.h"

namespace waggle::query {

CellArena::~CellArena() {
  for (size_t c = 0; c < cells_; ++c) {
    char* cell = chunks_[c / kCellsPerChunk].get() + (c % kCellsPerChunk) * plan_->cell_size;
    for (const auto& f : plan_->functions) f->Destroy(cell);
  }
}

char* CellArena::New() {
  if (cells_ % kCellsPerChunk == 0) chunks_.push_back(std::make_unique<char[]>(kCellsPerChunk * plan_->cell_size));
  char* cell = chunks_.back().get() + (cells_ % kCellsPerChunk) * plan_->cell_size;
  for (const auto& f : plan_->functions) f->Create(cell);
  ++cells_;
  return cell;
}

namespace {

constexpr int64_t kNanosPerSecond = 1000000000;

// The index of `key`'s group, made with make_values() when new.
template <typename MakeValues>
uint32_t GroupFor(const Plan& plan, Partial& partial, std::string_view key, MakeValues make_values) {
  // (Debian's abseil has its own string_view, not std's.)
  if (auto it = partial.index.find(absl::string_view(key.data(), key.size())); it != partial.index.end()) return it->second;
  const auto index = static_cast<uint32_t>(partial.groups.size());
  partial.index.emplace(std::string(key), index);
  {
    Group g;
    g.values = make_values();
    g.total = partial.cells.New();
    if (plan.series) g.bucket_cells.assign(plan.buckets, nullptr);
    partial.groups.push_back(std::move(g));
    partial.bytes += sizeof(Group) + key.size() * 2 + plan.buckets * sizeof(char*) + plan.cell_size + 64;
  }
  return index;
}

std::vector<GroupValue> GroupValuesOf(const std::vector<const ValueColumn*>& breakdowns, uint32_t row) {
  std::vector<GroupValue> values(breakdowns.size());
  for (size_t b = 0; b < breakdowns.size(); ++b) {
    const CellValue v = ValueAt(*breakdowns[b], row);
    values[b].type = v.type;
    values[b].int_value = v.i;
    values[b].double_value = v.d;
    if (v.type == ValueType::kString) values[b].string_value = std::string(v.s);
  }
  return values;
}

// partial.group_of[i]: the group of selected[i].
absl::Status AssignGroups(const Plan& plan, BlockColumns& block, const std::vector<uint32_t>& selected, Partial& partial) {
  const QuerySpec& spec = *plan.spec;
  std::vector<uint32_t>& group_of = partial.group_of;
  group_of.resize(selected.size());
  if (spec.breakdowns.size() == 1) {
    // One string column: groups by the stored codes, one lookup per distinct value of the
    // block, without building a ValueColumn.
    ASSIGN_OR_RETURN(const std::optional<StringCodesView> strings, block.StringCodes(spec.breakdowns[0]));
    if (strings) {
      const store::ColumnValues& values = *strings->values;
      std::vector<int64_t> by_code(values.dictionary.size() + 1, -1);
      std::string key;
      // The codes first, in a loop of independent loads: a selective filter leaves rows
      // scattered over the block, and each load may miss the cache (perf: most of this
      // function when the next load waited on the previous row's group).
      const uint32_t* codes = values.codes.data();
      for (size_t i = 0; i < selected.size(); ++i) group_of[i] = codes[selected[i]];
      for (size_t i = 0; i < selected.size(); ++i) {
        const uint32_t code = group_of[i];
        if (by_code[code] < 0) {
          GroupValue value;
          if (code != 0 || strings->zero_is_empty) {
            value.type = ValueType::kString;
            if (code != 0) value.string_value = std::string(values.dictionary[code - 1]);
          }
          key.clear();
          AppendGroupKey(CellValue{value.type, 0, 0, value.string_value}, key);
          by_code[code] = GroupFor(plan, partial, key, [&] { return std::vector<GroupValue>{value}; });
        }
        group_of[i] = static_cast<uint32_t>(by_code[code]);
      }
      return absl::OkStatus();
    }
  }
  std::vector<const ValueColumn*> breakdowns(spec.breakdowns.size());
  for (size_t b = 0; b < spec.breakdowns.size(); ++b) {
    ASSIGN_OR_RETURN(breakdowns[b], block.Column(spec.breakdowns[b]));
  }
  if (breakdowns.empty()) {
    const uint32_t g = GroupFor(plan, partial, "", [] { return std::vector<GroupValue>(); });
    std::fill(group_of.begin(), group_of.end(), g);
  } else if (breakdowns.size() == 1 && breakdowns[0]->dictionary != nullptr) {
    // One string column: one lookup per distinct value of the block.
    const ValueColumn& column = *breakdowns[0];
    const auto& codes = column.dictionary->codes;
    std::vector<int64_t> by_code(column.dictionary->dictionary.size() + 1, -1);
    std::string key;
    for (size_t i = 0; i < selected.size(); ++i) {
      const uint32_t row = selected[i];
      const uint32_t code = column.types[row] == ValueType::kAbsent ? 0 : codes[row];
      if (by_code[code] < 0) {
        key.clear();
        AppendGroupKey(ValueAt(column, row), key);
        by_code[code] = GroupFor(plan, partial, key, [&] { return GroupValuesOf(breakdowns, row); });
      }
      group_of[i] = static_cast<uint32_t>(by_code[code]);
    }
  } else {
    std::string key;
    for (size_t i = 0; i < selected.size(); ++i) {
      const uint32_t row = selected[i];
      key.clear();
      for (const ValueColumn* column : breakdowns) AppendGroupKey(ValueAt(*column, row), key);
      group_of[i] = GroupFor(plan, partial, key, [&] { return GroupValuesOf(breakdowns, row); });
    }
  }
  return absl::OkStatus();
}

absl::Status ScanUnit(const Plan& plan, const store::ScanUnit& unit, Partial& partial) {
  BlockColumns block(unit);
  // Start times are read only when rows need them: a unit inside the range, with no series
  // and no CONCURRENCY, takes every row (and skips decoding the time and trace id columns).
  ASSIGN_OR_RETURN(std::optional<std::vector<uint32_t>> selection, plan.rows.Select(block, plan.needs_times));
  if (!selection) {
    ++partial.stats.units_skipped;
    return absl::OkStatus();
  }
  const std::vector<uint32_t>& selected = *selection;
  partial.stats.rows_scanned += unit.rows();
  if (selected.empty()) return absl::OkStatus();
  partial.stats.rows_matched += selected.size();

  AggregateBatch batch;
  batch.rows = selected.data();
  batch.size = selected.size();
  // Most units hold one sample rate (usually 1): no need to read it row by row.
  const auto rate_range = unit.IntRange(static_cast<size_t>(store::FixedColumn::kSampleRate));
  if (rate_range && rate_range->first == rate_range->second) {
    batch.weight = static_cast<double>(std::max<int64_t>(1, rate_range->first));
  } else {
    ASSIGN_OR_RETURN(const std::vector<int64_t>* sample_rates, block.SampleRates());
    partial.weights.resize(selected.size());
    for (size_t i = 0; i < selected.size(); ++i) {
      partial.weights[i] = static_cast<double>(std::max<int64_t>(1, (*sample_rates)[selected[i]]));
    }
    batch.weights = partial.weights.data();
  }

  RETURN_IF_NOT_OK(AssignGroups(plan, block, selected, partial));
  // Each row's cell: its group's total, or with a series its group's time bucket only (totals
  // are the buckets merged when the query finishes: one update per row instead of two).
  partial.places.resize(selected.size());
  if (!plan.series) {
    for (size_t i = 0; i < selected.size(); ++i) partial.places[i] = partial.groups[partial.group_of[i]].total;
  } else {
    ASSIGN_OR_RETURN(const std::vector<int64_t>* times, block.Times());
    for (size_t i = 0; i < selected.size(); ++i) {
      const auto bucket = static_cast<size_t>(((*times)[selected[i]] - plan.origin_ns) / plan.bucket_ns);
      char*& cell = partial.groups[partial.group_of[i]].bucket_cells[std::min(bucket, plan.buckets - 1)];
      if (cell == nullptr) {
        cell = partial.cells.New();
        partial.bytes += plan.cell_size;
      }
      partial.places[i] = cell;
    }
  }
  batch.places = partial.places.data();
  batch.one_place = !plan.series && plan.spec->breakdowns.empty();
  for (const auto& function : plan.functions) {
    RETURN_IF_NOT_OK(function->AddBatch(block, batch, partial.bytes));
  }
  return absl::OkStatus();
}

void MergeCells(const Plan& plan, char* into, char* from) {
  for (const auto& f : plan.functions) f->Merge(into, from, /*steal=*/true);
}

void MergePartial(const Plan& plan, Partial& into, Partial& from) {
  for (auto& [key, from_index] : from.index) {
    Group& source = from.groups[from_index];
    Group& target = into.groups[GroupFor(plan, into, key, [&] { return source.values; })];
    MergeCells(plan, target.total, source.total);
    for (size_t b = 0; b < source.bucket_cells.size(); ++b) {
      if (source.bucket_cells[b] == nullptr) continue;
      if (target.bucket_cells[b] == nullptr) {
        // The cell stays in `from`'s arena, which lives until the query is done.
        target.bucket_cells[b] = source.bucket_cells[b];
      } else {
        MergeCells(plan, target.bucket_cells[b], source.bucket_cells[b]);
      }
    }
  }
  into.stats.units_skipped += from.stats.units_skipped;
  into.stats.rows_scanned += from.stats.rows_scanned;
  into.stats.rows_matched += from.stats.rows_matched;
}

// Counts a store made (query/counting_store.h), into the groups and buckets rows go to.
GroupValue GroupValueOf(const store::GroupColumnValue& v) {
  GroupValue out;
  if (!v.present) return out;  // absent
  switch (v.type) {
    case model::AttributeType::kString: out.type = ValueType::kString, out.string_value = v.text; break;
    case model::AttributeType::kInt: out.type = ValueType::kInt, out.int_value = v.integer; break;
    case model::AttributeType::kDouble: out.type = ValueType::kDouble, out.double_value = v.real; break;
    case model::AttributeType::kBool: out.type = ValueType::kBool, out.int_value = v.integer != 0; break;
  }
  return out;
}

// Groups a store counted (store/count_pushdown.h), added as the engine's own counts.
void AddCounted(const Plan& plan, const std::vector<store::CountedGroup>& counted, Partial& partial) {
  const auto& count = static_cast<const CountFunction&>(*plan.functions[0]);
  std::string key;
  std::vector<GroupValue> values;
  for (const store::CountedGroup& c : counted) {
    key.clear();
    values.clear();
    for (const store::GroupColumnValue& v : c.group) {
      values.push_back(GroupValueOf(v));
      const GroupValue& g = values.back();
      AppendGroupKey(CellValue{g.type, g.int_value, g.double_value, g.string_value}, key);
    }
    Group& group = partial.groups[GroupFor(plan, partial, key, [&] { return values; })];
    char* cell = group.total;
    if (plan.series) {
      const auto bucket = static_cast<size_t>(std::clamp<int64_t>(c.bucket, 0, static_cast<int64_t>(plan.buckets) - 1));
      char*& bucket_cell = group.bucket_cells[bucket];
      if (bucket_cell == nullptr) bucket_cell = partial.cells.New();
      cell = bucket_cell;
    }
    count.AddCount(cell, c.count);
    partial.stats.rows_scanned += c.rows;
    partial.stats.rows_matched += c.rows;
  }
}

bool IsRate(CalculationOp op) {
  return op == CalculationOp::kRateAvg || op == CalculationOp::kRateSum || op == CalculationOp::kRateMax;
}

// One function per family and column, each at its offset in the cell.
void PlanFunctions(Plan& plan) {
  for (const Calculation& c : plan.spec->calculations) {
    const auto family = AggregateFunction::FamilyOf(c.op);
    const std::string column = NeedsColumn(c.op) ? c.column : "";
    auto it = std::find_if(plan.functions.begin(), plan.functions.end(), [&](const auto& f) {
      return f->family() == family && f->column() == column;
    });
    if (it == plan.functions.end()) {
      plan.functions.push_back(AggregateFunction::Make(family, column));
      it = plan.functions.end() - 1;
    }
    plan.calc_function.push_back(static_cast<int>(it - plan.functions.begin()));
  }
  size_t offset = 0;
  for (const auto& f : plan.functions) {
    offset = (offset + f->state_align() - 1) / f->state_align() * f->state_align();
    f->set_offset(offset);
    offset += f->state_size();
  }
  plan.cell_size = std::max<size_t>(16, (offset + 15) / 16 * 16);
}

}  // namespace

absl::StatusOr<QueryResult> ExecuteQuery(store::Store& store, const QuerySpec& spec, const QueryOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  Plan plan(spec);
  PlanFunctions(plan);
  const bool concurrency = std::any_of(spec.calculations.begin(), spec.calculations.end(),
                                       [](const Calculation& c) { return c.op == CalculationOp::kConcurrency; });
  const bool needs_series = std::any_of(spec.calculations.begin(), spec.calculations.end(),
                                        [](const Calculation& c) { return IsRate(c.op); });
  plan.series = options.series || needs_series;
  plan.needs_times = plan.series || concurrency;
  plan.start_ns = spec.start_time * kNanosPerSecond;
  plan.end_ns = spec.end_time * kNanosPerSecond;
  const int64_t granularity = std::max<int64_t>(1, spec.granularity);
  plan.bucket_ns = granularity * kNanosPerSecond;
  int64_t origin = spec.start_time - ((spec.start_time % granularity) + granularity) % granularity;
  plan.origin_ns = origin * kNanosPerSecond;
  plan.buckets = static_cast<size_t>((plan.end_ns - plan.origin_ns + plan.bucket_ns - 1) / plan.bucket_ns);
  if (plan.buckets > 100000) {
    return absl::InvalidArgumentError(StrCat("granularity: ", granularity, " s gives ", plan.buckets,
                                             " time buckets; use a coarser granularity (at most 100000 buckets)"));
  }

  store::ScanRange range;
  range.min_time = plan.start_ns;
  range.max_time = plan.end_ns - 1;
  range.datasets = options.datasets;
  range.fields = FieldsOf(spec);
  range.filter = spec.RowFilter();
  range.traces = options.traces;
  // A store that counts by itself does what it can of a COUNT-only query.
  std::optional<store::CountedScan> counted;
  const bool counts_only = std::all_of(spec.calculations.begin(), spec.calculations.end(),
                                       [](const Calculation& c) { return c.op == CalculationOp::kCount; });
  if (counts_only) {
    ASSIGN_OR_RETURN(counted, store.ScanCounting(range, store::CountRequest{range.filter, spec.breakdowns, plan.series,
                                                                            plan.origin_ns, plan.bucket_ns}));
  }
  store::ScanUnits units;
  if (counted) {
    units = std::move(counted->rest);
  } else {
    ASSIGN_OR_RETURN(units, store.Scan(range));
  }

  const int runners = std::max(1, std::min<int>(options.threads, static_cast<int>(units.size())));
  std::vector<std::unique_ptr<Partial>> partials;
  for (int r = 0; r < runners; ++r) partials.push_back(std::make_unique<Partial>(plan));
  const uint64_t budget_per_runner = options.memory_budget_bytes / static_cast<uint64_t>(partials.size());
  RETURN_IF_NOT_OK(QueryScheduler::Shared().ForEach(units.size(), runners, options.cancelled, options.deadline, "the query",
                                                    [&](size_t unit, size_t runner) -> absl::Status {
    Partial& partial = *partials[runner];
    RETURN_IF_NOT_OK(ScanUnit(plan, *units[unit], partial));
    if (partial.bytes > budget_per_runner) {
      return absl::OutOfRangeError(StrCat(
          "the query needs more than its memory budget of ", options.memory_budget_bytes >> 20, " MiB (",
          partial.groups.size(), " groups so far); narrow it: fewer or coarser breakdowns, a shorter time "
          "range, a coarser granularity, or filters"));
    }
    return absl::OkStatus();
  }));
  for (size_t r = 1; r < partials.size(); ++r) MergePartial(plan, *partials[0], *partials[r]);
  if (counted) AddCounted(plan, counted->counted, *partials[0]);
  partials[0]->stats.units_total = units.size();
  ASSIGN_OR_RETURN(QueryResult result, Finish(plan, *partials[0], options));
  if (!options.series && !needs_series) result.series.clear();
  result.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace waggle::query
