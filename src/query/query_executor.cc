#include "query/query_executor.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <xxhash.h>

#include "common/status_macros.h"
#include "common/strings.h"
#include "query/counting_store.h"
#include "query/value_distribution.h"

namespace waggle::query {

struct PreparedFilter {
  const Filter* filter;
  std::vector<PreparedLiteral> values;
};

namespace {

constexpr int64_t kNanosPerSecond = 1000000000;

// ---- Filters ---------------------------------------------------------------------------

std::optional<double> ParseNumber(std::string_view s) {
  s = TrimAsciiWhitespace(s);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string FormatNumber(double v) {
  if (v == std::floor(v) && std::fabs(v) < 9e15) return StrCat(static_cast<int64_t>(v));
  return StrCat(v);
}

}  // namespace

PreparedLiteral PrepareLiteral(const Literal& l) {
  PreparedLiteral p;
  if (const auto* s = std::get_if<std::string>(&l)) {
    p.is_string = true;
    p.text = *s;
    if (auto n = ParseNumber(*s)) p.is_number = true, p.number = *n;
    if (*s == "true" || *s == "false") p.is_bool = true, p.boolean = *s == "true";
  } else if (const auto* i = std::get_if<int64_t>(&l)) {
    p.is_number = true, p.number = static_cast<double>(*i), p.text = StrCat(*i);
  } else if (const auto* d = std::get_if<double>(&l)) {
    p.is_number = true, p.number = *d, p.text = FormatNumber(*d);
  } else if (const auto* b = std::get_if<bool>(&l)) {
    p.is_bool = true, p.boolean = *b, p.text = *b ? "true" : "false";
  }
  return p;
}

namespace {

// One value as the filter sees it.
struct CellValue {
  ValueType type = ValueType::kAbsent;
  int64_t i = 0;
  double d = 0;
  std::string_view s;

  double Number() const { return type == ValueType::kDouble ? d : static_cast<double>(i); }
  bool IsNumber() const { return type == ValueType::kInt || type == ValueType::kDouble; }
};

CellValue ValueAt(const ValueColumn& c, size_t row) {
  CellValue v;
  v.type = c.types[row];
  switch (v.type) {
    case ValueType::kInt:
    case ValueType::kBool: v.i = c.ints[row]; break;
    case ValueType::kDouble: v.d = c.doubles[row]; break;
    case ValueType::kString: v.s = c.strings[row]; break;
    case ValueType::kAbsent: break;
  }
  return v;
}

std::string TextOf(const CellValue& v) {
  switch (v.type) {
    case ValueType::kString: return std::string(v.s);
    case ValueType::kInt: return StrCat(v.i);
    case ValueType::kDouble: return FormatNumber(v.d);
    case ValueType::kBool: return v.i ? "true" : "false";
    case ValueType::kAbsent: break;
  }
  return "";
}

bool Equal(const CellValue& v, const PreparedLiteral& l) {
  switch (v.type) {
    case ValueType::kInt:
    case ValueType::kDouble:
      return l.is_number && v.Number() == l.number;
    case ValueType::kBool:
      if (l.is_bool) return (v.i != 0) == l.boolean;
      return l.is_number && static_cast<double>(v.i) == l.number;
    case ValueType::kString:
      if (l.is_string) return v.s == l.text;
      if (l.is_number) {
        auto n = ParseNumber(v.s);
        return n && *n == l.number;
      }
      return l.is_bool && v.s == l.text;
    case ValueType::kAbsent:
      break;
  }
  return false;
}

// <0, 0, >0, or nullopt when the two cannot be ordered.
std::optional<int> Compare(const CellValue& v, const PreparedLiteral& l) {
  auto cmp = [](double a, double b) { return a < b ? -1 : (a > b ? 1 : 0); };
  if (v.IsNumber()) {
    if (l.is_number) return cmp(v.Number(), l.number);
    return std::nullopt;
  }
  if (v.type == ValueType::kString) {
    if (l.is_number) {
      if (auto n = ParseNumber(v.s)) return cmp(*n, l.number);
    }
    if (l.is_string) return v.s < l.text ? -1 : (v.s > l.text ? 1 : 0);
  }
  return std::nullopt;
}

bool Matches(const CellValue& v, const PreparedFilter& f) {
  const FilterOp op = f.filter->op;
  if (v.type == ValueType::kAbsent) {
    // Negations hold for events without the field, as in Honeycomb.
    return op == FilterOp::kDoesNotExist || op == FilterOp::kNotEquals || op == FilterOp::kDoesNotStartWith ||
           op == FilterOp::kDoesNotEndWith || op == FilterOp::kDoesNotContain || op == FilterOp::kNotIn;
  }
  auto text_test = [&](auto test) {
    if (v.type == ValueType::kString) return test(v.s, f.values[0].text);
    const std::string t = TextOf(v);
    return test(std::string_view(t), f.values[0].text);
  };
  switch (op) {
    case FilterOp::kExists: return true;
    case FilterOp::kDoesNotExist: return false;
    case FilterOp::kEquals: return Equal(v, f.values[0]);
    case FilterOp::kNotEquals: return !Equal(v, f.values[0]);
    case FilterOp::kIn:
    case FilterOp::kNotIn: {
      bool any = std::any_of(f.values.begin(), f.values.end(), [&](const PreparedLiteral& l) { return Equal(v, l); });
      return op == FilterOp::kIn ? any : !any;
    }
    case FilterOp::kGreater: { auto c = Compare(v, f.values[0]); return c && *c > 0; }
    case FilterOp::kGreaterOrEqual: { auto c = Compare(v, f.values[0]); return c && *c >= 0; }
    case FilterOp::kLess: { auto c = Compare(v, f.values[0]); return c && *c < 0; }
    case FilterOp::kLessOrEqual: { auto c = Compare(v, f.values[0]); return c && *c <= 0; }
    case FilterOp::kStartsWith: return text_test([](std::string_view s, const std::string& p) { return s.starts_with(p); });
    case FilterOp::kDoesNotStartWith: return !text_test([](std::string_view s, const std::string& p) { return s.starts_with(p); });
    case FilterOp::kEndsWith: return text_test([](std::string_view s, const std::string& p) { return s.ends_with(p); });
    case FilterOp::kDoesNotEndWith: return !text_test([](std::string_view s, const std::string& p) { return s.ends_with(p); });
    case FilterOp::kContains: return text_test([](std::string_view s, const std::string& p) { return s.find(p) != std::string_view::npos; });
    case FilterOp::kDoesNotContain: return !text_test([](std::string_view s, const std::string& p) { return s.find(p) != std::string_view::npos; });
  }
  return false;
}

// Sets match[row] for the rows of `rows`.
void EvaluateFilter(const ValueColumn& column, const PreparedFilter& f, const std::vector<uint32_t>& rows,
                    std::vector<uint8_t>& match) {
  if (column.dictionary != nullptr) {
    // Each distinct string once, then every row by its code.
    const auto& dict = column.dictionary->dictionary;
    std::vector<uint8_t> by_code(dict.size() + 1);
    by_code[0] = Matches(CellValue{}, f);
    for (size_t i = 0; i < dict.size(); ++i) {
      by_code[i + 1] = Matches(CellValue{ValueType::kString, 0, 0, dict[i]}, f);
    }
    const auto& codes = column.dictionary->codes;
    for (uint32_t row : rows) match[row] = by_code[column.types[row] == ValueType::kAbsent ? 0 : codes[row]];
    return;
  }
  for (uint32_t row : rows) match[row] = Matches(ValueAt(column, row), f);
}

// Whether a unit may hold a row matching the filter, from what is known without reading it.
bool UnitMayMatch(const BlockColumns& block, const PreparedFilter& f) {
  const FilterOp op = f.filter->op;
  const bool needs_value = op == FilterOp::kEquals || op == FilterOp::kGreater || op == FilterOp::kGreaterOrEqual ||
                           op == FilterOp::kLess || op == FilterOp::kLessOrEqual || op == FilterOp::kExists ||
                           op == FilterOp::kStartsWith || op == FilterOp::kEndsWith || op == FilterOp::kContains ||
                           op == FilterOp::kIn;
  if (!needs_value) return true;
  const ColumnSources sources = block.Sources(f.filter->column);
  if (sources.attributes.empty() && !sources.fixed) return false;  // no row has the field
  // Numeric comparisons against int columns with known ranges.
  if (f.values.size() != 1 || !f.values[0].is_number || sources.fixed) {
    if (!(sources.fixed && f.filter->column == "duration_ms" && sources.attributes.empty() && f.values.size() == 1 &&
          f.values[0].is_number)) {
      return true;
    }
  }
  auto range_may_match = [&](double lo, double hi) {
    const double x = f.values[0].number;
    switch (op) {
      case FilterOp::kEquals: return x >= lo && x <= hi;
      case FilterOp::kGreater: return hi > x;
      case FilterOp::kGreaterOrEqual: return hi >= x;
      case FilterOp::kLess: return lo < x;
      case FilterOp::kLessOrEqual: return lo <= x;
      default: return true;
    }
  };
  if (sources.fixed) {  // duration_ms: the duration column's range, in ms
    auto range = block.unit().IntRange(static_cast<size_t>(store::FixedColumn::kDuration));
    if (!range) return true;
    return range_may_match(static_cast<double>(range->first) / 1e6, static_cast<double>(range->second) / 1e6);
  }
  for (size_t column : sources.attributes) {
    const auto& d = block.unit().columns()[column];
    if (d.type != model::AttributeType::kInt) return true;
    auto range = block.unit().IntRange(column);
    if (!range) return true;
    if (range_may_match(static_cast<double>(range->first), static_cast<double>(range->second))) return true;
  }
  return false;
}

// Whether any row of the unit can match, from the filter's string dictionary alone, when the
// field is one string column here: a rare value (one user's id) rules out most blocks after
// reading one column, before anything is built per row.
absl::StatusOr<bool> DictionaryMayMatch(BlockColumns& block, const PreparedFilter& f) {
  const ColumnSources sources = block.Sources(f.filter->column);
  if (sources.fixed || sources.attributes.size() != 1) return true;
  const size_t column = sources.attributes[0];
  if (block.unit().columns()[column].type != model::AttributeType::kString) return true;
  if (Matches(CellValue{}, f)) return true;  // rows without the field match
  ASSIGN_OR_RETURN(const store::ColumnValues* values, block.Physical(column));
  for (std::string_view entry : values->dictionary) {
    if (Matches(CellValue{ValueType::kString, 0, 0, entry}, f)) return true;
  }
  return false;
}

}  // namespace

RowSelector::RowSelector(const QuerySpec& spec)
    : spec_(&spec), start_ns_(spec.start_time * kNanosPerSecond), end_ns_(spec.end_time * kNanosPerSecond) {
  for (const Filter& f : spec.filters) {
    PreparedFilter p{&f, {}};
    for (const Literal& l : f.values) p.values.push_back(PrepareLiteral(l));
    if (p.values.empty()) p.values.emplace_back();
    filters_.push_back(std::move(p));
  }
}

RowSelector::~RowSelector() = default;
RowSelector::RowSelector(RowSelector&&) noexcept = default;

absl::StatusOr<std::optional<std::vector<uint32_t>>> RowSelector::Select(BlockColumns& block, bool need_times) const {
  const store::ScanUnit& unit = block.unit();
  if (unit.max_time() < start_ns_ || unit.min_time() >= end_ns_) return std::nullopt;
  RETURN_IF_NOT_OK(unit.Load());
  if (!spec_->filter_or) {
    for (const PreparedFilter& f : filters_) {
      if (!UnitMayMatch(block, f)) return std::nullopt;
    }
    for (const PreparedFilter& f : filters_) {
      ASSIGN_OR_RETURN(const bool may_match, DictionaryMayMatch(block, f));
      if (!may_match) return std::nullopt;
    }
  }
  const uint32_t rows = unit.rows();
  const bool inside = unit.min_time() >= start_ns_ && unit.max_time() < end_ns_;
  const std::vector<int64_t>* times = nullptr;
  if (!inside || need_times) {
    ASSIGN_OR_RETURN(times, block.Times());
  }
  std::vector<uint32_t> selected;
  selected.reserve(rows);
  for (uint32_t row = 0; row < rows; ++row) {
    if (inside || ((*times)[row] >= start_ns_ && (*times)[row] < end_ns_)) selected.push_back(row);
  }
  if (!filters_.empty() && !selected.empty()) {
    std::vector<uint8_t> match(rows, 0);
    if (spec_->filter_or) {
      std::vector<uint8_t> any(rows, 0);
      for (const PreparedFilter& f : filters_) {
        ASSIGN_OR_RETURN(const ValueColumn* column, block.Column(f.filter->column));
        EvaluateFilter(*column, f, selected, match);
        for (uint32_t row : selected) any[row] |= match[row];
      }
      std::erase_if(selected, [&](uint32_t row) { return !any[row]; });
    } else {
      for (const PreparedFilter& f : filters_) {
        ASSIGN_OR_RETURN(const ValueColumn* column, block.Column(f.filter->column));
        EvaluateFilter(*column, f, selected, match);
        std::erase_if(selected, [&](uint32_t row) { return !match[row]; });
        if (selected.empty()) break;
      }
    }
  }
  return selected;
}

namespace {

// ---- Aggregation state -----------------------------------------------------------------

// What is kept per distinct calculation column.
struct SlotSpec {
  std::string column;
  bool stats = false;     // SUM AVG MIN MAX RATE_*
  bool dist = false;      // percentiles, HEATMAP
  bool distinct = false;  // COUNT_DISTINCT
};

struct Slot {
  double weight = 0;  // of the rows with a numeric value
  double sum = 0;
  double min = 0;
  double max = 0;
  std::unique_ptr<ValueDistribution> dist;
  std::unique_ptr<std::unordered_set<uint64_t>> distinct;
};

struct Cell {
  double count = 0;
  std::vector<Slot> slots;
};

struct Group {
  std::vector<GroupValue> values;
  Cell total;
  std::vector<int32_t> bucket_cells;                 // bucket -> index into Partial::cells, or -1
  std::vector<std::pair<int64_t, int64_t>> intervals;  // CONCURRENCY: start, end (ns)
};

struct Partial {
  std::unordered_map<std::string, uint32_t> index;
  std::vector<Group> groups;
  std::vector<Cell> cells;
  uint64_t bytes = 0;
  QueryStats stats;
};

struct Plan {
  explicit Plan(const QuerySpec& s) : spec(&s), rows(s) {}
  const QuerySpec* spec;
  RowSelector rows;
  std::vector<SlotSpec> slots;
  std::vector<int> calc_slot;  // per calculation, -1 for COUNT / CONCURRENCY
  bool concurrency = false;
  bool series = true;
  int64_t start_ns = 0, end_ns = 0;
  int64_t origin_ns = 0, bucket_ns = 1;
  size_t buckets = 1;
};

Cell NewCell(const Plan& plan) {
  Cell c;
  c.slots.resize(plan.slots.size());
  return c;
}

// The index of `key`'s group, made with make_values() when new.
template <typename MakeValues>
uint32_t GroupFor(const Plan& plan, Partial& partial, const std::string& key, MakeValues make_values) {
  auto [it, inserted] = partial.index.emplace(key, static_cast<uint32_t>(partial.groups.size()));
  if (inserted) {
    Group g;
    g.values = make_values();
    g.total = NewCell(plan);
    if (plan.series) g.bucket_cells.assign(plan.buckets, -1);
    partial.groups.push_back(std::move(g));
    partial.bytes += sizeof(Group) + key.size() * 2 + plan.buckets * 4 + plan.slots.size() * sizeof(Slot) + 64;
  }
  return it->second;
}

uint64_t HashValue(const CellValue& v) {
  switch (v.type) {
    case ValueType::kString: return XXH3_64bits_withSeed(v.s.data(), v.s.size(), 3);
    case ValueType::kDouble: {
      // An integral double equals the same int: count them as one value.
      if (v.d == std::floor(v.d) && std::fabs(v.d) < 9e18) {
        int64_t i = static_cast<int64_t>(v.d);
        return XXH3_64bits_withSeed(&i, sizeof(i), 1);
      }
      return XXH3_64bits_withSeed(&v.d, sizeof(v.d), 2);
    }
    case ValueType::kInt: return XXH3_64bits_withSeed(&v.i, sizeof(v.i), 1);
    case ValueType::kBool: return XXH3_64bits_withSeed(&v.i, sizeof(v.i), 4);
    case ValueType::kAbsent: break;
  }
  return 0;
}

// A group's key: each breakdown value's type and bytes (404.0 and 404 are one group, as in
// COUNT_DISTINCT), the same from every unit and from counts a store made.
void AppendGroupKey(const CellValue& v, std::string& key) {
  key.push_back(static_cast<char>(v.type));
  switch (v.type) {
    case ValueType::kString:
      key.append(v.s);
      key.push_back('\0');
      break;
    case ValueType::kDouble:
      if (v.d == std::floor(v.d) && std::fabs(v.d) < 9e18) {
        key.back() = static_cast<char>(ValueType::kInt);
        const auto i = static_cast<int64_t>(v.d);
        key.append(reinterpret_cast<const char*>(&i), sizeof(i));
      } else {
        key.append(reinterpret_cast<const char*>(&v.d), sizeof(v.d));
      }
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      key.append(reinterpret_cast<const char*>(&v.i), sizeof(v.i));
      break;
    case ValueType::kAbsent:
      break;
  }
}

// `code_hashes[s]`, when filled, holds the hash of each dictionary entry of slot s's column.
void AddToCell(const Plan& plan, Cell& cell, const std::vector<const ValueColumn*>& slot_columns,
               const std::vector<std::vector<uint64_t>>& code_hashes, size_t row, double weight, uint64_t& bytes) {
  cell.count += weight;
  for (size_t s = 0; s < plan.slots.size(); ++s) {
    const ValueColumn& column = *slot_columns[s];
    if (!column.Has(row)) continue;
    const SlotSpec& spec = plan.slots[s];
    Slot& slot = cell.slots[s];
    if (spec.distinct) {
      if (!slot.distinct) slot.distinct = std::make_unique<std::unordered_set<uint64_t>>(), bytes += 64;
      const uint64_t hash = code_hashes[s].empty() ? HashValue(ValueAt(column, row))
                                                   : code_hashes[s][column.dictionary->codes[row]];
      if (slot.distinct->insert(hash).second) bytes += 24;
    }
    if (!column.IsNumber(row)) continue;
    const double v = column.Number(row);
    if (spec.stats) {
      if (slot.weight == 0) {
        slot.min = slot.max = v;
      } else {
        slot.min = std::min(slot.min, v);
        slot.max = std::max(slot.max, v);
      }
      slot.weight += weight;
      slot.sum += v * weight;
    }
    if (spec.dist) {
      if (!slot.dist) slot.dist = std::make_unique<ValueDistribution>(), bytes += sizeof(ValueDistribution);
      const bool was_exact = slot.dist->exact();
      slot.dist->Add(v, weight);
      if (was_exact && slot.dist->exact()) bytes += 16;
    }
  }
}

// Adds `from` into `into`; `from` is left empty when `steal`, else untouched.
void MergeCell(Cell& into, Cell& from, bool steal = true) {
  into.count += from.count;
  for (size_t s = 0; s < into.slots.size(); ++s) {
    Slot& a = into.slots[s];
    Slot& b = from.slots[s];
    if (b.weight > 0) {
      if (a.weight == 0) {
        a.min = b.min, a.max = b.max;
      } else {
        a.min = std::min(a.min, b.min), a.max = std::max(a.max, b.max);
      }
      a.weight += b.weight;
      a.sum += b.sum;
    }
    if (b.dist) {
      if (!a.dist) {
        a.dist = steal ? std::move(b.dist) : std::make_unique<ValueDistribution>(*b.dist);
      } else {
        a.dist->Merge(*b.dist);
      }
    }
    if (b.distinct) {
      if (!a.distinct) {
        a.distinct = steal ? std::move(b.distinct) : std::make_unique<std::unordered_set<uint64_t>>(*b.distinct);
      } else {
        a.distinct->insert(b.distinct->begin(), b.distinct->end());
      }
    }
  }
}

// ---- Scanning one unit -----------------------------------------------------------------

absl::Status ScanUnit(const Plan& plan, const store::ScanUnit& unit, Partial& partial) {
  const QuerySpec& spec = *plan.spec;
  BlockColumns block(unit);
  // Start times are read only when rows need them: a unit inside the range, with no series
  // and no CONCURRENCY, takes every row (and skips decoding the time and trace id columns).
  ASSIGN_OR_RETURN(std::optional<std::vector<uint32_t>> selection,
                   plan.rows.Select(block, plan.series || plan.concurrency));
  if (!selection) {
    ++partial.stats.units_skipped;
    return absl::OkStatus();
  }
  const std::vector<uint32_t>& selected = *selection;
  const uint32_t rows = unit.rows();
  partial.stats.rows_scanned += rows;
  const std::vector<int64_t>* times = nullptr;
  if (plan.series || plan.concurrency) {
    ASSIGN_OR_RETURN(times, block.Times());
  }
  if (selected.empty()) return absl::OkStatus();
  partial.stats.rows_matched += selected.size();

  // Most units hold one sample rate (usually 1): no need to read it row by row.
  const std::vector<int64_t>* sample_rates = nullptr;
  double unit_weight = 1;
  const auto rate_range = unit.IntRange(static_cast<size_t>(store::FixedColumn::kSampleRate));
  if (rate_range && rate_range->first == rate_range->second) {
    unit_weight = static_cast<double>(std::max<int64_t>(1, rate_range->first));
  } else {
    ASSIGN_OR_RETURN(sample_rates, block.SampleRates());
  }
  // COUNT_DISTINCT over a string dictionary: each distinct string hashed once.
  std::vector<std::vector<uint64_t>> code_hashes(plan.slots.size());
  std::vector<const ValueColumn*> slot_columns(plan.slots.size());
  for (size_t s = 0; s < plan.slots.size(); ++s) {
    ASSIGN_OR_RETURN(slot_columns[s], block.Column(plan.slots[s].column));
    const store::ColumnValues* dictionary = slot_columns[s]->dictionary;
    if (plan.slots[s].distinct && dictionary != nullptr) {
      code_hashes[s].resize(dictionary->dictionary.size() + 1);
      for (size_t i = 0; i < dictionary->dictionary.size(); ++i) {
        code_hashes[s][i + 1] = HashValue(CellValue{ValueType::kString, 0, 0, dictionary->dictionary[i]});
      }
    }
  }
  const std::vector<int64_t>* durations = nullptr;
  if (plan.concurrency) {
    ASSIGN_OR_RETURN(durations, block.Durations());
  }

  // Group of each selected row.
  std::vector<const ValueColumn*> breakdowns(spec.breakdowns.size());
  for (size_t b = 0; b < spec.breakdowns.size(); ++b) {
    ASSIGN_OR_RETURN(breakdowns[b], block.Column(spec.breakdowns[b]));
  }
  auto group_for_key = [&](const std::string& key, auto make_values) -> uint32_t {
    return GroupFor(plan, partial, key, make_values);
  };
  auto values_of_row = [&](uint32_t row) {
    std::vector<GroupValue> values(breakdowns.size());
    for (size_t b = 0; b < breakdowns.size(); ++b) {
      const CellValue v = ValueAt(*breakdowns[b], row);
      values[b].type = v.type;
      values[b].int_value = v.i;
      values[b].double_value = v.d;
      if (v.type == ValueType::kString) values[b].string_value = std::string(v.s);
    }
    return values;
  };
  std::vector<uint32_t> group_of(rows, 0);
  if (breakdowns.empty()) {
    const uint32_t g = group_for_key("", [] { return std::vector<GroupValue>(); });
    for (uint32_t row : selected) group_of[row] = g;
  } else if (breakdowns.size() == 1 && breakdowns[0]->dictionary != nullptr) {
    // One string column: one lookup per distinct value of the block.
    const auto& codes = breakdowns[0]->dictionary->codes;
    std::vector<int64_t> by_code(breakdowns[0]->dictionary->dictionary.size() + 1, -1);
    std::string key;
    for (uint32_t row : selected) {
      const uint32_t code = breakdowns[0]->types[row] == ValueType::kAbsent ? 0 : codes[row];
      if (by_code[code] < 0) {
        key.clear();
        AppendGroupKey(ValueAt(*breakdowns[0], row), key);
        by_code[code] = group_for_key(key, [&] { return values_of_row(row); });
      }
      group_of[row] = static_cast<uint32_t>(by_code[code]);
    }
  } else {
    std::string key;
    for (uint32_t row : selected) {
      key.clear();
      for (const ValueColumn* column : breakdowns) AppendGroupKey(ValueAt(*column, row), key);
      group_of[row] = group_for_key(key, [&] { return values_of_row(row); });
    }
  }

  for (uint32_t row : selected) {
    Group& group = partial.groups[group_of[row]];
    const double weight =
        sample_rates ? static_cast<double>(std::max<int64_t>(1, (*sample_rates)[row])) : unit_weight;
    // With a series, rows go to their time bucket only; totals are the buckets merged at
    // the end (one update per row instead of two).
    if (!plan.series) AddToCell(plan, group.total, slot_columns, code_hashes, row, weight, partial.bytes);
    if (plan.series) {
      const auto bucket = static_cast<size_t>(((*times)[row] - plan.origin_ns) / plan.bucket_ns);
      int32_t& index = group.bucket_cells[std::min(bucket, plan.buckets - 1)];
      if (index < 0) {
        index = static_cast<int32_t>(partial.cells.size());
        partial.cells.push_back(NewCell(plan));
        partial.bytes += sizeof(Cell) + plan.slots.size() * sizeof(Slot);
      }
      AddToCell(plan, partial.cells[static_cast<size_t>(index)], slot_columns, code_hashes, row, weight, partial.bytes);
    }
    if (plan.concurrency) {
      group.intervals.emplace_back((*times)[row], (*times)[row] + std::max<int64_t>(0, (*durations)[row]));
      partial.bytes += 16;
    }
  }
  return absl::OkStatus();
}

void MergePartial(const Plan& plan, Partial& into, Partial& from) {
  for (auto& [key, from_index] : from.index) {
    Group& source = from.groups[from_index];
    Group& target = into.groups[GroupFor(plan, into, key, [&] { return source.values; })];
    MergeCell(target.total, source.total);
    for (size_t b = 0; b < source.bucket_cells.size(); ++b) {
      if (source.bucket_cells[b] < 0) continue;
      Cell& from_cell = from.cells[static_cast<size_t>(source.bucket_cells[b])];
      if (target.bucket_cells[b] < 0) {
        target.bucket_cells[b] = static_cast<int32_t>(into.cells.size());
        into.cells.push_back(std::move(from_cell));
      } else {
        MergeCell(into.cells[static_cast<size_t>(target.bucket_cells[b])], from_cell);
      }
    }
    target.intervals.insert(target.intervals.end(), source.intervals.begin(), source.intervals.end());
  }
  into.stats.units_skipped += from.stats.units_skipped;
  into.stats.rows_scanned += from.stats.rows_scanned;
  into.stats.rows_matched += from.stats.rows_matched;
}

// Counts a store made (query/counting_store.h), into the groups and buckets rows go to.
void AddCounted(const Plan& plan, const std::vector<CountedGroup>& counted, Partial& partial) {
  std::string key;
  for (const CountedGroup& c : counted) {
    key.clear();
    for (const GroupValue& v : c.group) AppendGroupKey(CellValue{v.type, v.int_value, v.double_value, v.string_value}, key);
    Group& group = partial.groups[GroupFor(plan, partial, key, [&] { return c.group; })];
    if (plan.series) {
      const auto bucket = static_cast<size_t>(std::clamp<int64_t>(c.bucket, 0, static_cast<int64_t>(plan.buckets) - 1));
      int32_t& index = group.bucket_cells[bucket];
      if (index < 0) {
        index = static_cast<int32_t>(partial.cells.size());
        partial.cells.push_back(NewCell(plan));
      }
      partial.cells[static_cast<size_t>(index)].count += c.count;
    } else {
      group.total.count += c.count;
    }
    partial.stats.rows_scanned += c.rows;
    partial.stats.rows_matched += c.rows;
  }
}

// ---- Finishing -------------------------------------------------------------------------

std::optional<double> SimpleValue(const Calculation& c, int slot, const Cell& cell) {
  const Slot* s = slot >= 0 ? &cell.slots[static_cast<size_t>(slot)] : nullptr;
  switch (c.op) {
    case CalculationOp::kCount: return cell.count;
    case CalculationOp::kSum: return s->sum;
    case CalculationOp::kAvg:
    case CalculationOp::kRateAvg:
      if (s->weight == 0) return std::nullopt;
      return s->sum / s->weight;
    case CalculationOp::kMin:
      if (s->weight == 0) return std::nullopt;
      return s->min;
    case CalculationOp::kMax:
    case CalculationOp::kRateMax:
      if (s->weight == 0) return std::nullopt;
      return s->max;
    case CalculationOp::kRateSum:
      if (s->weight == 0) return std::nullopt;
      return s->sum;
    case CalculationOp::kCountDistinct: return s->distinct ? static_cast<double>(s->distinct->size()) : 0.0;
    default:
      if (IsPercentile(c.op)) {
        if (!s->dist || s->dist->empty()) return std::nullopt;
        return s->dist->Quantile(PercentileOf(c.op));
      }
      return std::nullopt;
  }
}

bool IsRate(CalculationOp op) {
  return op == CalculationOp::kRateAvg || op == CalculationOp::kRateSum || op == CalculationOp::kRateMax;
}

// Highest number of spans in progress at once: overall, and per bucket.
double Concurrency(const Plan& plan, std::vector<std::pair<int64_t, int64_t>> intervals, std::vector<double>* per_bucket) {
  std::vector<std::pair<int64_t, int>> points;
  points.reserve(intervals.size() * 2);
  for (const auto& [start, end] : intervals) {
    points.emplace_back(start, +1);
    if (end > start) points.emplace_back(end, -1);
    else points.emplace_back(start, -1);
  }
  // At one instant, starts before ends: a zero-length span counts as in progress.
  std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second > b.second;
  });
  double current = 0, best = 0;
  if (per_bucket) per_bucket->assign(plan.buckets, 0);
  int64_t last_bucket = -1;
  for (const auto& [t, delta] : points) {
    const int64_t bucket = std::clamp<int64_t>((t - plan.origin_ns) / plan.bucket_ns, -1, static_cast<int64_t>(plan.buckets));
    if (per_bucket) {
      // Spans in progress when a bucket begins count in it, up to and including this one.
      for (int64_t b = std::max<int64_t>(last_bucket + 1, 0); b < std::min<int64_t>(bucket + 1, static_cast<int64_t>(plan.buckets)); ++b) {
        (*per_bucket)[static_cast<size_t>(b)] = std::max((*per_bucket)[static_cast<size_t>(b)], current);
      }
    }
    last_bucket = std::max(last_bucket, bucket);
    current += delta;
    best = std::max(best, current);
    if (per_bucket && bucket >= 0 && bucket < static_cast<int64_t>(plan.buckets)) {
      (*per_bucket)[static_cast<size_t>(bucket)] = std::max((*per_bucket)[static_cast<size_t>(bucket)], current);
    }
  }
  return best;
}

int CompareGroupValues(const GroupValue& a, const GroupValue& b) {
  // Absent values last; numbers before strings.
  auto rank = [](const GroupValue& v) {
    switch (v.type) {
      case ValueType::kInt: case ValueType::kDouble: return 0;
      case ValueType::kBool: return 1;
      case ValueType::kString: return 2;
      case ValueType::kAbsent: return 3;
    }
    return 3;
  };
  if (rank(a) != rank(b)) return rank(a) < rank(b) ? -1 : 1;
  switch (a.type) {
    case ValueType::kInt: case ValueType::kDouble: {
      double x = a.type == ValueType::kInt ? static_cast<double>(a.int_value) : a.double_value;
      double y = b.type == ValueType::kInt ? static_cast<double>(b.int_value) : b.double_value;
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case ValueType::kBool: return a.int_value < b.int_value ? -1 : (a.int_value > b.int_value ? 1 : 0);
    case ValueType::kString: return a.string_value < b.string_value ? -1 : (a.string_value > b.string_value ? 1 : 0);
    case ValueType::kAbsent: return 0;
  }
  return 0;
}

bool HavingHolds(FilterOp op, double value, double threshold) {
  switch (op) {
    case FilterOp::kEquals: return value == threshold;
    case FilterOp::kNotEquals: return value != threshold;
    case FilterOp::kGreater: return value > threshold;
    case FilterOp::kGreaterOrEqual: return value >= threshold;
    case FilterOp::kLess: return value < threshold;
    case FilterOp::kLessOrEqual: return value <= threshold;
    default: return false;
  }
}

int FindCalculation(const QuerySpec& spec, CalculationOp op, const std::string& column) {
  for (size_t i = 0; i < spec.calculations.size(); ++i) {
    const Calculation& c = spec.calculations[i];
    if (c.op == op && (!NeedsColumn(op) || c.column == column)) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<QueryResult> Finish(const Plan& plan, Partial& partial, const QueryOptions& options) {
  const QuerySpec& spec = *plan.spec;
  QueryResult result;
  result.spec = spec;
  result.stats = partial.stats;
  result.heatmaps.resize(spec.calculations.size());
  const size_t ncalc = spec.calculations.size();

  struct Finished {
    uint32_t group;
    ResultRow row;
    std::vector<std::pair<size_t, ResultRow>> buckets;  // bucket index, values
  };
  const Cell empty = NewCell(plan);
  std::vector<Finished> finished;
  finished.reserve(partial.groups.size());
  for (uint32_t g = 0; g < partial.groups.size(); ++g) {
    Group& group = partial.groups[g];
    if (plan.series) {
      for (int32_t cell : group.bucket_cells) {
        if (cell >= 0) MergeCell(group.total, partial.cells[static_cast<size_t>(cell)], /*steal=*/false);
      }
    }
    Finished f;
    f.group = g;
    f.row.group = group.values;
    f.row.values.resize(ncalc);
    std::vector<double> concurrency_buckets;
    double concurrency = 0;
    if (plan.concurrency) {
      concurrency = Concurrency(plan, group.intervals, plan.series ? &concurrency_buckets : nullptr);
    }
    for (size_t b = 0; b < group.bucket_cells.size(); ++b) {
      // A bucket where no span started may still have spans in progress.
      const bool in_progress = !concurrency_buckets.empty() && concurrency_buckets[b] > 0;
      if (group.bucket_cells[b] < 0 && !in_progress) continue;
      ResultRow row;
      row.group = group.values;
      row.values.resize(ncalc);
      f.buckets.emplace_back(b, std::move(row));
    }
    for (size_t i = 0; i < ncalc; ++i) {
      const Calculation& c = spec.calculations[i];
      const int slot = plan.calc_slot[i];
      if (c.op == CalculationOp::kHeatmap) continue;  // once the range is known
      if (c.op == CalculationOp::kConcurrency) {
        f.row.values[i].number = concurrency;
        for (auto& [b, row] : f.buckets) row.values[i].number = concurrency_buckets.empty() ? 0 : concurrency_buckets[b];
        continue;
      }
      for (auto& [b, row] : f.buckets) {
        const int32_t cell = group.bucket_cells[b];
        row.values[i].number = SimpleValue(c, slot, cell < 0 ? empty : partial.cells[static_cast<size_t>(cell)]);
      }
      if (IsRate(c.op)) {
        // The change of the bucket's MAX / AVG / SUM since the bucket before; overall, the
        // mean change.
        std::vector<std::optional<double>> rates(f.buckets.size());
        double total = 0;
        int n = 0;
        for (size_t k = 0; k < f.buckets.size(); ++k) {
          const auto& here = f.buckets[k];
          if (k > 0 && f.buckets[k - 1].first + 1 == here.first && here.second.values[i].number &&
              f.buckets[k - 1].second.values[i].number) {
            rates[k] = *here.second.values[i].number - *f.buckets[k - 1].second.values[i].number;
            total += *rates[k];
            ++n;
          }
        }
        for (size_t k = 0; k < f.buckets.size(); ++k) f.buckets[k].second.values[i].number = rates[k];
        f.row.values[i].number = n > 0 ? std::optional<double>(total / n) : std::nullopt;
        continue;
      }
      f.row.values[i].number = SimpleValue(c, slot, group.total);
    }
    finished.push_back(std::move(f));
  }

  // Havings.
  std::erase_if(finished, [&](const Finished& f) {
    for (const Having& h : spec.havings) {
      const int i = FindCalculation(spec, h.calculate_op, h.column);
      if (i < 0) continue;
      const auto& v = f.row.values[static_cast<size_t>(i)].number;
      if (!v || !HavingHolds(h.op, *v, h.value)) return true;
    }
    return false;
  });

  // Order: the spec's orders, else the first calculation descending; ties by group.
  std::vector<Order> orders = spec.orders;
  if (orders.empty()) {
    for (const Calculation& c : spec.calculations) {
      if (c.op != CalculationOp::kHeatmap) {
        orders.push_back({c.op, c.column, true});
        break;
      }
    }
  }
  std::vector<std::pair<int, int>> order_keys;  // calculation index or -(breakdown index + 1), descending?
  for (const Order& o : orders) {
    if (o.op) {
      order_keys.emplace_back(FindCalculation(spec, *o.op, o.column), o.descending);
    } else {
      const auto it = std::find(spec.breakdowns.begin(), spec.breakdowns.end(), o.column);
      order_keys.emplace_back(-static_cast<int>(it - spec.breakdowns.begin()) - 1, o.descending);
    }
  }
  auto less = [&](const Finished& a, const Finished& b) {
    for (const auto& [key, descending] : order_keys) {
      int c = 0;
      if (key >= 0) {
        const auto& x = a.row.values[static_cast<size_t>(key)].number;
        const auto& y = b.row.values[static_cast<size_t>(key)].number;
        if (x.has_value() != y.has_value()) return x.has_value();  // nulls last
        if (x && *x != *y) c = *x < *y ? -1 : 1;
      } else {
        c = CompareGroupValues(a.row.group[static_cast<size_t>(-key - 1)], b.row.group[static_cast<size_t>(-key - 1)]);
      }
      if (c != 0) return descending ? c > 0 : c < 0;
    }
    for (size_t i = 0; i < a.row.group.size(); ++i) {
      const int c = CompareGroupValues(a.row.group[i], b.row.group[i]);
      if (c != 0) return c < 0;
    }
    return false;
  };
  std::sort(finished.begin(), finished.end(), less);
  if (finished.size() > static_cast<size_t>(spec.limit)) finished.resize(static_cast<size_t>(spec.limit));

  // Heatmaps: one value range over the groups shown, shared by their totals and buckets.
  for (size_t i = 0; i < ncalc; ++i) {
    if (spec.calculations[i].op != CalculationOp::kHeatmap) continue;
    const auto slot = static_cast<size_t>(plan.calc_slot[i]);
    HeatmapRange& range = result.heatmaps[i];
    range.buckets = options.heatmap_buckets;
    bool any = false;
    for (const Finished& f : finished) {
      const Slot& s = partial.groups[f.group].total.slots[slot];
      if (!s.dist || s.dist->empty()) continue;
      range.min = any ? std::min(range.min, s.dist->min()) : s.dist->min();
      range.max = any ? std::max(range.max, s.dist->max()) : s.dist->max();
      any = true;
    }
    for (Finished& f : finished) {
      const Group& group = partial.groups[f.group];
      auto fill = [&](const Cell& cell, CalculationValue& out) {
        out.heatmap.assign(static_cast<size_t>(range.buckets), 0);
        const Slot& s = cell.slots[slot];
        if (s.dist) {
          s.dist->AddToHistogram(range.min, range.max, out.heatmap);
          if (!s.dist->exact()) result.stats.exact_percentiles = false;
        }
      };
      fill(group.total, f.row.values[i]);
      for (auto& [b, row] : f.buckets) {
        const int32_t cell = group.bucket_cells[b];
        fill(cell < 0 ? empty : partial.cells[static_cast<size_t>(cell)], row.values[i]);
      }
    }
  }
  for (const Finished& f : finished) {
    for (size_t s = 0; s < plan.slots.size(); ++s) {
      const auto& dist = partial.groups[f.group].total.slots[s].dist;
      if (dist && !dist->exact()) result.stats.exact_percentiles = false;
    }
  }

  for (Finished& f : finished) {
    for (auto& [b, row] : f.buckets) {
      const int64_t time = (plan.origin_ns + static_cast<int64_t>(b) * plan.bucket_ns) / kNanosPerSecond;
      result.series.push_back({time, std::move(row)});
    }
    result.results.push_back(std::move(f.row));
  }
  std::stable_sort(result.series.begin(), result.series.end(),
                   [](const SeriesRow& a, const SeriesRow& b) { return a.time < b.time; });
  return result;
}

}  // namespace

absl::Status ForEachUnit(size_t units, int threads, const std::atomic<bool>* cancelled,
                         std::chrono::steady_clock::time_point deadline, std::string_view what,
                         const std::function<absl::Status(size_t unit, size_t thread)>& work) {
  std::atomic<size_t> next{0};
  std::mutex error_mutex;
  absl::Status error;
  auto loop = [&](size_t thread) {
    for (size_t i = next++; i < units; i = next++) {
      absl::Status status;
      if (cancelled != nullptr && cancelled->load()) {
        status = absl::CancelledError(StrCat(what, " was cancelled"));
      } else if (std::chrono::steady_clock::now() > deadline) {
        status = absl::DeadlineExceededError(StrCat(what, " ran past its time limit; narrow the time range or add filters"));
      } else {
        status = work(i, thread);
      }
      if (!status.ok()) {
        std::lock_guard lock(error_mutex);
        if (error.ok()) error = status;
        next = units;
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < static_cast<size_t>(std::max(1, threads)); ++t) {
    pool.emplace_back([&, t] {
      pthread_setname_np(pthread_self(), "waggle-query");
      loop(t);
    });
  }
  loop(0);
  for (std::thread& t : pool) t.join();
  return error;
}

absl::StatusOr<QueryResult> ExecuteQuery(store::Store& store, const QuerySpec& spec, const QueryOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  Plan plan(spec);
  plan.series = options.series;
  for (const Calculation& c : spec.calculations) {
    if (c.op == CalculationOp::kConcurrency) plan.concurrency = true;
    if (!NeedsColumn(c.op)) {
      plan.calc_slot.push_back(-1);
      continue;
    }
    auto it = std::find_if(plan.slots.begin(), plan.slots.end(), [&](const SlotSpec& s) { return s.column == c.column; });
    if (it == plan.slots.end()) {
      plan.slots.push_back({c.column});
      it = plan.slots.end() - 1;
    }
    if (c.op == CalculationOp::kCountDistinct) {
      it->distinct = true;
    } else if (IsPercentile(c.op) || c.op == CalculationOp::kHeatmap) {
      it->dist = true;
    } else {
      it->stats = true;
    }
    plan.calc_slot.push_back(static_cast<int>(it - plan.slots.begin()));
  }
  const bool needs_series = std::any_of(spec.calculations.begin(), spec.calculations.end(),
                                        [](const Calculation& c) { return IsRate(c.op); });
  plan.series = options.series || needs_series;
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
  range.filters = &spec;
  range.traces = options.traces;
  // A store that counts by itself does what it can of a COUNT-only query.
  std::optional<CountedScan> counted;
  auto* counting = dynamic_cast<CountingStore*>(&store);
  const bool counts_only = std::all_of(spec.calculations.begin(), spec.calculations.end(),
                                       [](const Calculation& c) { return c.op == CalculationOp::kCount; });
  if (counting != nullptr && counts_only) {
    ASSIGN_OR_RETURN(counted, counting->ScanCounting(range, CountRequest{&spec, plan.series, plan.origin_ns, plan.bucket_ns}));
  }
  store::ScanUnits units;
  if (counted) {
    units = std::move(counted->rest);
  } else {
    ASSIGN_OR_RETURN(units, store.Scan(range));
  }

  const int threads = std::max(1, std::min<int>(options.threads, static_cast<int>(units.size())));
  std::vector<Partial> partials(static_cast<size_t>(std::max(threads, 1)));
  const uint64_t budget_per_thread = options.memory_budget_bytes / static_cast<uint64_t>(partials.size());
  RETURN_IF_NOT_OK(ForEachUnit(units.size(), threads, options.cancelled, options.deadline, "the query",
                               [&](size_t unit, size_t thread) -> absl::Status {
    Partial& partial = partials[thread];
    RETURN_IF_NOT_OK(ScanUnit(plan, *units[unit], partial));
    if (partial.bytes > budget_per_thread) {
      return absl::OutOfRangeError(StrCat(
          "the query needs more than its memory budget of ", options.memory_budget_bytes >> 20, " MiB (",
          partial.groups.size(), " groups so far); narrow it: fewer or coarser breakdowns, a shorter time "
          "range, a coarser granularity, or filters"));
    }
    return absl::OkStatus();
  }));
  for (size_t t = 1; t < partials.size(); ++t) MergePartial(plan, partials[0], partials[t]);
  if (counted) AddCounted(plan, counted->counted, partials[0]);
  partials[0].stats.units_total = units.size();
  ASSIGN_OR_RETURN(QueryResult result, Finish(plan, partials[0], options));
  if (!options.series && !needs_series) result.series.clear();
  result.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace waggle::query
