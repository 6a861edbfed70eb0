#include "query/row_selector.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>

#include "common/status_macros.h"
#include "common/strings.h"
#include "query/comparison.h"

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

// match[row] = by_code[codes[row]] for the rows. Pointers in locals: a byte store may alias
// anything, and through captured references the compiler reloaded them every row (perf: the
// loop ran at a third of its speed).
template <typename Code>
void ByCode(const uint8_t* __restrict by_code, const Code* __restrict codes, const RowSet& rows,
            uint8_t* __restrict match) {
  if (rows.selection != nullptr) {
    const uint32_t* selection = rows.selection->data();
    const size_t n = rows.selection->size();
    for (size_t i = 0; i < n; ++i) match[selection[i]] = by_code[codes[selection[i]]];
    return;
  }
  const uint32_t n = rows.count;
  for (uint32_t row = 0; row < n; ++row) match[row] = by_code[codes[row]];
}

// match[row] = flip ^ (lo <= codes[row] <= lo + span), sixteen rows at a time (GCC's vector
// extensions: portable, and at -O2 GCC 12 leaves the plain loop scalar).
void CodesInRange(const uint8_t* codes, uint32_t rows, uint8_t lo, uint8_t span, uint8_t flip, uint8_t* match) {
  using Bytes = uint8_t __attribute__((vector_size(16)));
  uint32_t row = 0;
  for (; row + 16 <= rows; row += 16) {
    Bytes c;
    std::memcpy(&c, codes + row, 16);
    const Bytes in = reinterpret_cast<Bytes>((c - lo) <= span) & 1;
    const Bytes m = in ^ flip;
    std::memcpy(match + row, &m, 16);
  }
  for (; row < rows; ++row) match[row] = static_cast<uint8_t>((static_cast<uint8_t>(codes[row] - lo) <= span) ^ flip);
}

// ByCode for the one-byte codes of store::AddIntCodes (`used` codes from 0, and
// kAbsentIntCode). Codes are in value order, so a comparison passes a range of codes (or all
// but one range, with absent rows): then a range test over sixteen rows at a time.
void ByByteCode(const std::array<uint8_t, 256>& by_code, size_t used, const uint8_t* codes, const RowSet& rows,
                uint8_t* match) {
  if (rows.selection == nullptr) {
    const uint8_t flip = by_code[store::kAbsentIntCode];
    // The codes whose result differs from absent rows': one range [first, last], or none.
    size_t first = used, last = 0, count = 0;
    for (size_t code = 0; code < used; ++code) {
      if (by_code[code] == flip) continue;
      first = std::min(first, code), last = code, ++count;
    }
    if (count == 0) {
      std::memset(match, flip, rows.count);
      return;
    }
    if (last - first + 1 == count) {
      CodesInRange(codes, rows.count, static_cast<uint8_t>(first), static_cast<uint8_t>(last - first), flip, match);
      return;
    }
  }
  ByCode(by_code.data(), codes, rows, match);
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
    const uint8_t absent = absent_matches;
    auto run = [&](auto test) {
      // Locals, not captures: through a captured reference the pointers were reloaded after
      // every byte stored.
      const uint8_t* __restrict present = view.present->empty() ? nullptr : view.present->data();
      const int64_t* __restrict ints = view.ints;
      uint8_t* __restrict out = match.data();
      if (view.coded != nullptr) {
        // Each distinct value once, then a byte a row (absent rows have their own code).
        std::array<uint8_t, 256> by_code;
        by_code.fill(absent);
        const std::vector<int64_t>& dictionary = view.coded->int_dictionary;
        for (size_t i = 0; i < dictionary.size(); ++i) by_code[i] = test(dictionary[i]);
        ByByteCode(by_code, dictionary.size(), view.coded->int_codes.data(), rows, match.data());
        return;
      }
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

// A comparison (= != > >= < <=) against one number.
bool IsNumericCompare(const PreparedFilter& f) {
  const FilterOp op = f.filter->op;
  return f.values.size() == 1 && f.values[0].is_number &&
         (op == FilterOp::kEquals || op == FilterOp::kNotEquals || op == FilterOp::kGreater ||
          op == FilterOp::kGreaterOrEqual || op == FilterOp::kLess || op == FilterOp::kLessOrEqual);
}

// The filter's result for each code of a stored string column (StringCodesView): by_code[0]
// for code 0 (absent, or "" for a fixed field), by_code[i + 1] for dictionary entry i.
std::vector<uint8_t> StringCodeTable(const StringCodesView& strings, const PreparedFilter& f) {
  const store::ColumnValues& values = *strings.values;
  std::vector<uint8_t> by_code(values.dictionary.size() + 1);
  by_code[0] = Matches(strings.zero_is_empty ? CellValue{ValueType::kString, 0, 0, ""} : CellValue{}, f);
  for (size_t i = 0; i < values.dictionary.size(); ++i) {
    by_code[i + 1] = Matches(CellValue{ValueType::kString, 0, 0, values.dictionary[i]}, f);
  }
  return by_code;
}

// A filter on a field held in one stored column of the unit (BlockColumns::StringCodes and
// Numbers), evaluated without building a ValueColumn: strings once per dictionary entry and
// rows by code, numeric comparisons in a typed loop. False when the field is not held that
// way or the filter is not one of those (the caller then builds the column). `table`, when
// not empty, is the filter's StringCodeTable for the field, made already.
absl::StatusOr<bool> EvaluateOnStored(BlockColumns& block, const PreparedFilter& f, const std::vector<uint8_t>& table,
                                      const RowSet& rows, std::vector<uint8_t>& match) {
  ASSIGN_OR_RETURN(const std::optional<StringCodesView> strings, block.StringCodes(f.filter->column));
  if (strings) {
    const std::vector<uint8_t> made = table.empty() ? StringCodeTable(*strings, f) : std::vector<uint8_t>();
    ByCode(table.empty() ? made.data() : table.data(), strings->values->codes.data(), rows, match.data());
    return true;
  }
  const bool absent_matches = Matches(CellValue{}, f);
  if (!IsNumericCompare(f)) return false;
  ASSIGN_OR_RETURN(const std::optional<NumericView> numbers, block.Numbers(f.filter->column));
  if (!numbers) return false;
  CompareNumbers(*numbers, f.filter->op, f.values[0].number, absent_matches, rows, match);
  return true;
}

// Whether an int passes `v op x`, as CompareNumbers decides it.
bool IntPasses(FilterOp op, double x, int64_t v) {
  if (std::fabs(x) >= 4503599627370496.0) return NumberComparisonHolds(op, static_cast<double>(v), x);
  const auto lo = static_cast<int64_t>(std::floor(x));
  const auto hi = static_cast<int64_t>(std::ceil(x));
  switch (op) {
    case FilterOp::kEquals: return lo == hi && v == lo;
    case FilterOp::kNotEquals: return lo != hi || v != lo;
    case FilterOp::kGreater: return v > lo;
    case FilterOp::kGreaterOrEqual: return v >= hi;
    case FilterOp::kLess: return v < hi;
    case FilterOp::kLessOrEqual: return v <= lo;
    default: return false;
  }
}

// The rows of a unit that a filter selects, read from the rows of each code of a coded int
// column (store::AddIntCodes) instead of testing every row: taken when the filter is a numeric
// comparison that absent rows fail and the codes that pass hold at most an eighth of the rows
// (status >= 500). False when it does not apply; the caller then tests rows.
absl::StatusOr<bool> SelectByCodeRows(BlockColumns& block, const PreparedFilter& f, uint32_t rows,
                                      std::vector<uint32_t>& selected) {
  if (!IsNumericCompare(f) || Matches(CellValue{}, f)) return false;
  ASSIGN_OR_RETURN(const std::optional<NumericView> numbers, block.Numbers(f.filter->column));
  if (!numbers || numbers->coded == nullptr || numbers->coded->code_starts.empty()) return false;
  const store::ColumnValues& coded = *numbers->coded;
  const std::vector<int64_t>& dictionary = coded.int_dictionary;
  std::array<uint8_t, 256> passes;
  size_t count = 0, codes_passing = 0;
  for (size_t code = 0; code < dictionary.size(); ++code) {
    passes[code] = IntPasses(f.filter->op, f.values[0].number, dictionary[code]);
    if (passes[code]) count += coded.code_starts[code + 1] - coded.code_starts[code], ++codes_passing;
  }
  if (count > rows / 8) return false;
  selected.clear();
  selected.reserve(count);
  for (size_t code = 0; code < dictionary.size(); ++code) {
    if (!passes[code]) continue;
    selected.insert(selected.end(), coded.code_rows.begin() + coded.code_starts[code],
                    coded.code_rows.begin() + coded.code_starts[code + 1]);
  }
  if (codes_passing > 1) std::sort(selected.begin(), selected.end());
  return true;
}

// exists / does-not-exist on a field derived from a fixed id column with no attribute of the
// name here (trace.parent_id does-not-exist: the root spans), the id bytes tested in place
// rather than made into hex text for every row. False when that is not the filter.
absl::StatusOr<bool> IdExistence(BlockColumns& block, const PreparedFilter& f, const RowSet& rows,
                                 std::vector<uint8_t>& match) {
  const FilterOp op = f.filter->op;
  if (op != FilterOp::kExists && op != FilterOp::kDoesNotExist) return false;
  const ColumnSources& sources = block.Sources(f.filter->column);
  if (!sources.fixed || !sources.attributes.empty()) return false;
  const model::HoneycombSpanField* field = model::FindHoneycombSpanField(f.filter->column);
  if (field == nullptr ||
      (field->derived != model::DerivedAs::kHexId && field->derived != model::DerivedAs::kHexIdNonZero)) {
    return false;
  }
  ASSIGN_OR_RETURN(const store::ColumnValues* ids, block.Physical(static_cast<size_t>(field->source)));
  ASSIGN_OR_RETURN(const store::ColumnValues* types,
                   block.Physical(static_cast<size_t>(store::FixedColumn::kAnnotationType)));
  const size_t width = model::FixedFieldInfoOf(field->source).width;
  const uint32_t unit_rows = block.unit().rows();
  if (ids->fixed.size() < size_t{unit_rows} * width || types->ints.size() < unit_rows) {
    return absl::DataLossError("id column shorter than its block");
  }
  const bool zero_is_absent = field->derived == model::DerivedAs::kHexIdNonZero;
  const uint8_t absent = op == FilterOp::kDoesNotExist;
  // Most units hold spans only: then the field applies to every row, known from the range.
  bool applies_to_all = false;
  if (const auto range = block.unit().IntRange(static_cast<size_t>(store::FixedColumn::kAnnotationType))) {
    applies_to_all = range->first >= 0 && range->second <= model::kMaxAnnotationType;
    for (int64_t t = range->first; applies_to_all && t <= range->second; ++t) {
      applies_to_all = model::Applies(field->applies, static_cast<model::AnnotationType>(t));
    }
  }
  rows.ForEach([&](uint32_t row) {
    bool has = applies_to_all || model::Applies(field->applies, static_cast<model::AnnotationType>(types->ints[row]));
    if (has && zero_is_absent) {
      const char* id = ids->fixed.data() + row * width;
      if (width == 8) {  // span ids: one word
        uint64_t word;
        std::memcpy(&word, id, 8);
        has = word != 0;
      } else {
        has = std::any_of(id, id + width, [](char b) { return b != 0; });
      }
    }
    match[row] = has ? absent ^ 1 : absent;
  });
  return true;
}

// Sets match[row] for the rows of `rows`, on the stored column when the field is one.
absl::Status EvaluateFilter(BlockColumns& block, const PreparedFilter& f, const std::vector<uint8_t>& table,
                            const RowSet& rows, std::vector<uint8_t>& match) {
  ASSIGN_OR_RETURN(const bool done, EvaluateOnStored(block, f, table, rows, match));
  if (done) return absl::OkStatus();
  ASSIGN_OR_RETURN(const bool ids_done, IdExistence(block, f, rows, match));
  if (ids_done) return absl::OkStatus();
  ASSIGN_OR_RETURN(const ValueColumn* column, block.Column(f.filter->column));
  EvaluateFilter(*column, f, rows, match);
  return absl::OkStatus();
}

// Whether any row of the unit can match, from the filter's string dictionary alone, when the
// field is one stored string column here: a rare value (one user's id) rules out most blocks
// after reading one column, before anything is built per row. `table` gets the filter's
// StringCodeTable, which the filter then reads rows with (one pass over the dictionary).
absl::StatusOr<bool> DictionaryMayMatch(BlockColumns& block, const PreparedFilter& f, std::vector<uint8_t>& table) {
  ASSIGN_OR_RETURN(const std::optional<StringCodesView> strings, block.StringCodes(f.filter->column));
  if (!strings) return true;
  table = StringCodeTable(*strings, f);
  return std::find(table.begin(), table.end(), uint8_t{1}) != table.end();
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
  std::vector<std::vector<uint8_t>> tables(filters_.size());  // string filters' code tables
  if (!spec_->filter_or) {
    for (size_t i = 0; i < filters_.size(); ++i) {
      ASSIGN_OR_RETURN(const bool may_match, DictionaryMayMatch(block, filters_[i], tables[i]));
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
  ASSIGN_OR_RETURN(const bool from_code_rows,
                   inside && !spec_->filter_or && !filters_.empty() ? SelectByCodeRows(block, filters_[0], rows, selected)
                                                                    : absl::StatusOr<bool>(false));
  if (from_code_rows) {
    first = 1;
  } else if (inside && !spec_->filter_or && !filters_.empty()) {
    // The first filter over every row, in contiguous loops; its matches become the selection.
    std::vector<uint8_t> match(rows, 0);
    RETURN_IF_NOT_OK(EvaluateFilter(block, filters_[0], tables[0], RowSet{nullptr, rows}, match));
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
      for (size_t i = 0; i < filters_.size(); ++i) {
        RETURN_IF_NOT_OK(EvaluateFilter(block, filters_[i], tables[i], selection, match));
        for (uint32_t row : selected) any[row] |= match[row];
      }
      std::erase_if(selected, [&](uint32_t row) { return !any[row]; });
    } else {
      for (size_t i = first; i < filters_.size(); ++i) {
        RETURN_IF_NOT_OK(EvaluateFilter(block, filters_[i], tables[i], selection, match));
        std::erase_if(selected, [&](uint32_t row) { return !match[row]; });
        if (selected.empty()) break;
      }
    }
  }
  return selected;
}

}  // namespace waggle::query
