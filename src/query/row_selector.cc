#include "query/row_selector.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "common/status_macros.h"
#include "common/strings.h"

namespace waggle::query {

struct PreparedFilter {
  const Filter* filter;
  std::vector<PreparedLiteral> values;
};

namespace {

constexpr int64_t kNanosPerSecond = 1000000000;

// The rows a filter runs over: a selection, or every row of the unit, whose loops then run
// over contiguous rows (the first filter of a unit inside the time range).
struct RowSet {
  const std::vector<uint32_t>* selection = nullptr;  // nullptr: rows [0, count)
  uint32_t count = 0;

  template <typename F>
  void ForEach(F f) const {
    if (selection != nullptr) {
      for (uint32_t row : *selection) f(row);
    } else {
      for (uint32_t row = 0; row < count; ++row) f(row);
    }
  }
};

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
  if (v.type == ValueType::kAbsent) return store::AbsentPasses(op);
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
void EvaluateFilter(const ValueColumn& column, const PreparedFilter& f, const RowSet& rows,
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
    rows.ForEach([&](uint32_t row) { match[row] = by_code[column.types[row] == ValueType::kAbsent ? 0 : codes[row]]; });
    return;
  }
  rows.ForEach([&](uint32_t row) { match[row] = Matches(ValueAt(column, row), f); });
}

// A numeric comparison (= != > >= < <=) against a number over a stored numeric column: what
// Compare and Equal decide for a number and a numeric literal, in a typed loop.
void CompareNumbers(const NumericView& view, FilterOp op, double x, bool absent_matches,
                    const RowSet& rows, std::vector<uint8_t>& match) {
  if (view.ints != nullptr && view.divisor == 1 && std::fabs(x) < 4503599627370496.0) {
    // Integers against integer bounds, with no conversion per row. Exact: for an integer v
    // and |x| < 2^52, v > x iff v > floor(x), v >= x iff v >= ceil(x), and so on (a |v| past
    // 2^53, where its double would round, lies far from x either way).
    const auto lo = static_cast<int64_t>(std::floor(x));
    const auto hi = static_cast<int64_t>(std::ceil(x));
    const uint8_t* __restrict present = view.present->empty() ? nullptr : view.present->data();
    const int64_t* __restrict ints = view.ints;
    uint8_t* __restrict out = match.data();
    const uint8_t absent = absent_matches;
    auto run = [&](auto test) {
      if (rows.selection != nullptr) {
        for (uint32_t row : *rows.selection) out[row] = present == nullptr || present[row] ? test(ints[row]) : absent;
        return;
      }
      // Every row: branch-free loops over local pointers (the compiler may vectorize them).
      const uint32_t n = rows.count;
      if (present == nullptr) {
        for (uint32_t row = 0; row < n; ++row) out[row] = test(ints[row]);
      } else {
        for (uint32_t row = 0; row < n; ++row) {
          const uint8_t has = present[row] != 0;
          out[row] = static_cast<uint8_t>((has & test(ints[row])) | ((has ^ 1) & absent));
        }
      }
    };
    switch (op) {
      case FilterOp::kEquals:
        if (lo != hi) return run([](int64_t) { return false; });
        return run([lo](int64_t v) { return v == lo; });
      case FilterOp::kNotEquals:
        if (lo != hi) return run([](int64_t) { return true; });
        return run([lo](int64_t v) { return v != lo; });
      case FilterOp::kGreater: return run([lo](int64_t v) { return v > lo; });
      case FilterOp::kGreaterOrEqual: return run([hi](int64_t v) { return v >= hi; });
      case FilterOp::kLess: return run([hi](int64_t v) { return v < hi; });
      case FilterOp::kLessOrEqual: return run([lo](int64_t v) { return v <= lo; });
      default: return;
    }
  }
  auto run = [&](auto test) {
    auto loop = [&](auto value_at) {
      if (view.present->empty()) {
        rows.ForEach([&](uint32_t row) { match[row] = test(value_at(row)); });
      } else {
        rows.ForEach([&](uint32_t row) { match[row] = view.Has(row) ? test(value_at(row)) : absent_matches; });
      }
    };
    if (view.ints == nullptr) return loop([&](uint32_t row) { return view.doubles[row]; });
    if (view.divisor == 1) return loop([&](uint32_t row) { return static_cast<double>(view.ints[row]); });
    loop([&](uint32_t row) { return static_cast<double>(view.ints[row]) / view.divisor; });
  };
  switch (op) {
    case FilterOp::kEquals: return run([x](double v) { return v == x; });
    case FilterOp::kNotEquals: return run([x](double v) { return v != x; });
    case FilterOp::kGreater: return run([x](double v) { return v > x; });
    case FilterOp::kGreaterOrEqual: return run([x](double v) { return v >= x; });
    case FilterOp::kLess: return run([x](double v) { return v < x; });
    case FilterOp::kLessOrEqual: return run([x](double v) { return v <= x; });
    default: return;
  }
}

// A filter on a field held in one stored column of the unit (BlockColumns::StringCodes and
// Numbers), evaluated without building a ValueColumn: strings once per dictionary entry and
// rows by code, numeric comparisons in a typed loop. False when the field is not held that
// way or the filter is not one of those (the caller then builds the column).
absl::StatusOr<bool> EvaluateOnStored(BlockColumns& block, const PreparedFilter& f, const RowSet& rows,
                                      std::vector<uint8_t>& match) {
  const bool absent_matches = Matches(CellValue{}, f);
  ASSIGN_OR_RETURN(const std::optional<StringCodesView> strings, block.StringCodes(f.filter->column));
  if (strings) {
    const store::ColumnValues& values = *strings->values;
    std::vector<uint8_t> by_code(values.dictionary.size() + 1);
    by_code[0] = strings->zero_is_empty ? Matches(CellValue{ValueType::kString, 0, 0, ""}, f) : absent_matches;
    for (size_t i = 0; i < values.dictionary.size(); ++i) {
      by_code[i + 1] = Matches(CellValue{ValueType::kString, 0, 0, values.dictionary[i]}, f);
    }
    rows.ForEach([&](uint32_t row) { match[row] = by_code[values.codes[row]]; });
    return true;
  }
  const FilterOp op = f.filter->op;
  const bool numeric_compare =
      f.values.size() == 1 && f.values[0].is_number &&
      (op == FilterOp::kEquals || op == FilterOp::kNotEquals || op == FilterOp::kGreater ||
       op == FilterOp::kGreaterOrEqual || op == FilterOp::kLess || op == FilterOp::kLessOrEqual);
  if (!numeric_compare) return false;
  ASSIGN_OR_RETURN(const std::optional<NumericView> numbers, block.Numbers(f.filter->column));
  if (!numbers) return false;
  CompareNumbers(*numbers, op, f.values[0].number, absent_matches, rows, match);
  return true;
}

// Sets match[row] for the rows of `rows`, on the stored column when the field is one.
absl::Status EvaluateFilter(BlockColumns& block, const PreparedFilter& f, const RowSet& rows,
                            std::vector<uint8_t>& match) {
  ASSIGN_OR_RETURN(const bool done, EvaluateOnStored(block, f, rows, match));
  if (done) return absl::OkStatus();
  ASSIGN_OR_RETURN(const ValueColumn* column, block.Column(f.filter->column));
  EvaluateFilter(*column, f, rows, match);
  return absl::OkStatus();
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
  size_t first = 0;  // the filters still to run over `selected`
  if (inside && !spec_->filter_or && !filters_.empty()) {
    // The first filter over every row, in contiguous loops; its matches become the selection.
    std::vector<uint8_t> match(rows, 0);
    RETURN_IF_NOT_OK(EvaluateFilter(block, filters_[0], RowSet{nullptr, rows}, match));
    // Eight rows at a time: most words of a selective filter are all zero.
    uint32_t row = 0;
    for (; row + 8 <= rows; row += 8) {
      uint64_t word;
      std::memcpy(&word, match.data() + row, 8);
      if (word == 0) continue;
      for (uint32_t r = row; r < row + 8; ++r) {
        if (match[r]) selected.push_back(r);
      }
    }
    for (; row < rows; ++row) {
      if (match[row]) selected.push_back(row);
    }
    first = 1;
  } else if (inside) {
    selected.resize(rows);
    std::iota(selected.begin(), selected.end(), 0u);
  } else {
    selected.reserve(rows);
    for (uint32_t row = 0; row < rows; ++row) {
      if ((*times)[row] >= start_ns_ && (*times)[row] < end_ns_) selected.push_back(row);
    }
  }
  if (first < filters_.size() && !selected.empty()) {
    std::vector<uint8_t> match(rows, 0);
    const RowSet selection{&selected, 0};
    if (spec_->filter_or) {
      std::vector<uint8_t> any(rows, 0);
      for (const PreparedFilter& f : filters_) {
        RETURN_IF_NOT_OK(EvaluateFilter(block, f, selection, match));
        for (uint32_t row : selected) any[row] |= match[row];
      }
      std::erase_if(selected, [&](uint32_t row) { return !any[row]; });
    } else {
      for (size_t i = first; i < filters_.size(); ++i) {
        RETURN_IF_NOT_OK(EvaluateFilter(block, filters_[i], selection, match));
        std::erase_if(selected, [&](uint32_t row) { return !match[row]; });
        if (selected.empty()) break;
      }
    }
  }
  return selected;
}

}  // namespace waggle::query
