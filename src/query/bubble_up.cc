#include "query/bubble_up.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "common/status_macros.h"
#include "common/strings.h"
#include "query/scheduler.h"
#include "query/value_column.h"
#include "query/value_distribution.h"

namespace waggle::query {
namespace {

constexpr int64_t kNanosPerSecond = 1000000000;
constexpr size_t kSelection = 0;
constexpr size_t kBaseline = 1;
// Distinct strings kept per column; past it the rest are counted as one "other" value
// (request ids and the like: no single value of theirs can stand out).
constexpr size_t kMaxStrings = 2000;
// Numbers with at most this many distinct values (status codes, retries) are shown as values.
constexpr size_t kMaxNumberValues = 24;

// Fields every event has that say nothing about a group of events (ids, times).
bool Uninformative(std::string_view name) {
  return name.starts_with("trace.") || name == "meta.signal_type" || name == "meta.invalid_duration" ||
         name == "span.num_links" || name == "timestamp";
}

using SideWeights = std::array<double, 2>;

struct ColumnCounts {
  SideWeights missing{};
  SideWeights other{};  // strings past kMaxStrings
  std::unordered_map<std::string, SideWeights> strings;
  std::map<double, SideWeights> numbers;  // until more than kMaxNumberValues distinct
  bool many_numbers = false;
  std::array<ValueDistribution, 2> distributions;

  void AddString(std::string_view s, size_t side, double w) {
    auto it = strings.find(std::string(s));
    if (it == strings.end()) {
      if (strings.size() >= kMaxStrings) {
        other[side] += w;
        return;
      }
      it = strings.emplace(std::string(s), SideWeights{}).first;
    }
    it->second[side] += w;
  }
  void AddNumber(double v, size_t side, double w) {
    distributions[side].Add(v, w);
    if (many_numbers) return;
    numbers[v][side] += w;
    if (numbers.size() > kMaxNumberValues) {
      many_numbers = true;
      numbers.clear();
    }
  }
  void Merge(ColumnCounts& from) {
    for (size_t s : {kSelection, kBaseline}) {
      missing[s] += from.missing[s];
      other[s] += from.other[s];
      distributions[s].Merge(from.distributions[s]);
    }
    for (auto& [value, w] : from.strings) {
      for (size_t s : {kSelection, kBaseline}) {
        if (w[s] > 0) AddString(value, s, w[s]);
      }
    }
    many_numbers = many_numbers || from.many_numbers;
    if (!many_numbers) {
      for (auto& [v, w] : from.numbers) {
        SideWeights& into = numbers[v];
        into[kSelection] += w[kSelection], into[kBaseline] += w[kBaseline];
      }
      if (numbers.size() > kMaxNumberValues) many_numbers = true;
    }
    if (many_numbers) numbers.clear();
  }
};

// The rows of one unit on each side, from the first pass.
struct UnitSides {
  std::array<std::vector<uint32_t>, 2> rows;
};

struct Partial {
  std::unordered_map<std::string, ColumnCounts> columns;
  SideWeights examined{};  // weighted rows examined per side
  SideWeights counts{};    // weighted rows per side (first pass)
  QueryStats stats;
};

// Weight (sample rate) of each row of a unit.
absl::StatusOr<std::vector<double>> RowWeights(BlockColumns& block) {
  const auto range = block.unit().IntRange(static_cast<size_t>(store::FixedColumn::kSampleRate));
  if (range && range->first == range->second) {
    return std::vector<double>(block.unit().rows(), static_cast<double>(std::max<int64_t>(1, range->first)));
  }
  ASSIGN_OR_RETURN(const std::vector<int64_t>* rates, block.SampleRates());
  std::vector<double> weights(rates->size());
  for (size_t i = 0; i < rates->size(); ++i) weights[i] = static_cast<double>(std::max<int64_t>(1, (*rates)[i]));
  return weights;
}

absl::Status SplitUnit(const RowSelector& selector, const BubbleUpSelection& region, const store::ScanUnit& unit,
                       UnitSides& sides, Partial& partial) {
  BlockColumns block(unit);
  ASSIGN_OR_RETURN(std::optional<std::vector<uint32_t>> selected, selector.Select(block, true));
  if (!selected) {
    ++partial.stats.units_skipped;
    return absl::OkStatus();
  }
  partial.stats.rows_scanned += unit.rows();
  if (selected->empty()) return absl::OkStatus();
  partial.stats.rows_matched += selected->size();
  ASSIGN_OR_RETURN(const std::vector<int64_t>* times, block.Times());
  ASSIGN_OR_RETURN(const ValueColumn* values, block.Column(region.column));
  ASSIGN_OR_RETURN(const std::vector<double> weights, RowWeights(block));
  const int64_t start_ns = region.start_time * kNanosPerSecond;
  const int64_t end_ns = region.end_time * kNanosPerSecond;
  for (uint32_t row : *selected) {
    const int64_t t = (*times)[row];
    const bool inside = t >= start_ns && t < end_ns && values->IsNumber(row) &&
                        values->Number(row) >= region.min_value && values->Number(row) <= region.max_value;
    const size_t side = inside ? kSelection : kBaseline;
    sides.rows[side].push_back(row);
    partial.counts[side] += weights[row];
  }
  return absl::OkStatus();
}

// The field names a unit holds, as queries name them.
std::vector<std::string> FieldNames(const store::ScanUnit& unit) {
  std::vector<std::string> names;
  std::unordered_set<std::string> seen;
  for (const auto& [name, type] : FixedFields()) {
    if (!Uninformative(name) && seen.insert(name).second) names.push_back(name);
  }
  for (const store::ColumnDescriptor& d : unit.columns()) {
    if (d.is_attribute() && !Uninformative(d.key) && seen.insert(d.key).second) names.push_back(d.key);
  }
  return names;
}

absl::Status CountUnit(const store::ScanUnit& unit, const UnitSides& sides, const std::array<bool, 2>& examine,
                       Partial& partial) {
  BlockColumns block(unit);
  ASSIGN_OR_RETURN(const std::vector<double> weights, RowWeights(block));
  for (size_t side : {kSelection, kBaseline}) {
    if (!examine[side]) continue;
    for (uint32_t row : sides.rows[side]) partial.examined[side] += weights[row];
  }
  for (const std::string& name : FieldNames(unit)) {
    ASSIGN_OR_RETURN(const ValueColumn* column, block.Column(name));
    ColumnCounts& counts = partial.columns[name];
    for (size_t side : {kSelection, kBaseline}) {
      if (!examine[side]) continue;
      const std::vector<uint32_t>& rows = sides.rows[side];
      if (column->dictionary != nullptr) {
        // Each distinct string once: count codes, then name them.
        const auto& codes = column->dictionary->codes;
        std::vector<double> by_code(column->dictionary->dictionary.size() + 1, 0);
        for (uint32_t row : rows) by_code[column->types[row] == ValueType::kAbsent ? 0 : codes[row]] += weights[row];
        counts.missing[side] += by_code[0];
        for (size_t code = 1; code < by_code.size(); ++code) {
          if (by_code[code] > 0) counts.AddString(column->dictionary->dictionary[code - 1], side, by_code[code]);
        }
        continue;
      }
      for (uint32_t row : rows) {
        const double w = weights[row];
        switch (column->types[row]) {
          case ValueType::kAbsent: counts.missing[side] += w; break;
          case ValueType::kString: counts.AddString(column->strings[row], side, w); break;
          case ValueType::kBool: counts.AddString(column->ints[row] != 0 ? "true" : "false", side, w); break;
          case ValueType::kInt:
          case ValueType::kDouble: counts.AddNumber(column->Number(row), side, w); break;
        }
      }
    }
  }
  return absl::OkStatus();
}

std::string FormatValue(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return StrCat(static_cast<int64_t>(v));
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.4g", v);
  return buffer;
}

// Bin edges over [lo, hi]: logarithmic for positive values spread over orders of magnitude
// (durations), linear otherwise.
std::vector<double> BinEdges(double lo, double hi, size_t bins) {
  std::vector<double> edges(bins + 1);
  const bool logarithmic = lo > 0 && hi / lo > 20;
  for (size_t i = 0; i <= bins; ++i) {
    const double f = static_cast<double>(i) / static_cast<double>(bins);
    edges[i] = logarithmic ? lo * std::pow(hi / lo, f) : lo + (hi - lo) * f;
  }
  edges.back() = hi;
  return edges;
}

BubbleUpDimension Rank(const std::string& name, const ColumnCounts& counts, const SideWeights& totals,
                       const BubbleUpOptions& options) {
  BubbleUpDimension d;
  d.column = name;
  auto share = [&](const SideWeights& w, size_t side) { return totals[side] > 0 ? w[side] / totals[side] : 0; };
  d.selection_missing = share(counts.missing, kSelection);
  d.baseline_missing = share(counts.missing, kBaseline);
  d.score = std::fabs(d.selection_missing - d.baseline_missing);
  auto add_bar = [&](std::string label, const SideWeights& w) {
    BubbleUpBar bar{std::move(label), std::nullopt, std::nullopt, share(w, kSelection), share(w, kBaseline)};
    d.score = std::max(d.score, std::fabs(bar.selection - bar.baseline));
    d.bars.push_back(std::move(bar));
  };
  // Events without the field are a bar of their own (often the difference: only the slow
  // requests call the database).
  auto add_missing = [&] {
    if (counts.missing[kSelection] > 0 || counts.missing[kBaseline] > 0) add_bar("(missing)", counts.missing);
  };
  const bool any_numbers = !counts.distributions[kSelection].empty() || !counts.distributions[kBaseline].empty();
  if (counts.many_numbers && counts.strings.empty()) {
    d.binned = true;
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& dist : counts.distributions) {
      if (!dist.empty()) lo = std::min(lo, dist.min()), hi = std::max(hi, dist.max());
    }
    const std::vector<double> edges = BinEdges(lo, hi, options.bins);
    std::array<std::vector<double>, 2> binned;
    for (size_t side : {kSelection, kBaseline}) {
      binned[side].assign(options.bins, 0);
      counts.distributions[side].AddToBins(edges, binned[side]);
    }
    for (size_t i = 0; i < options.bins; ++i) {
      add_bar(StrCat(FormatValue(edges[i]), " – ", FormatValue(edges[i + 1])),
              SideWeights{binned[kSelection][i], binned[kBaseline][i]});
      d.bars.back().lo = edges[i];
      d.bars.back().hi = edges[i + 1];
    }
    add_missing();
    return d;
  }
  // Values: the largest shares on either side, by how much they differ first.
  std::vector<std::pair<std::string, SideWeights>> values(counts.strings.begin(), counts.strings.end());
  if (any_numbers) {
    for (const auto& [v, w] : counts.numbers) values.emplace_back(FormatValue(v), w);
  }
  auto difference = [&](const SideWeights& w) { return std::fabs(share(w, kSelection) - share(w, kBaseline)); };
  std::sort(values.begin(), values.end(), [&](const auto& a, const auto& b) {
    const double da = difference(a.second), db = difference(b.second);
    if (da != db) return da > db;
    if (a.second[kSelection] != b.second[kSelection]) return a.second[kSelection] > b.second[kSelection];
    return a.first < b.first;
  });
  for (size_t i = 0; i < values.size() && i < options.max_values; ++i) add_bar(values[i].first, values[i].second);
  // The rest of the values, together, so each side's bars add up with the missing share.
  SideWeights rest = counts.other;
  for (size_t i = options.max_values; i < values.size(); ++i) {
    rest[kSelection] += values[i].second[kSelection], rest[kBaseline] += values[i].second[kBaseline];
  }
  if (rest[kSelection] > 0 || rest[kBaseline] > 0) {
    const double score = d.score;
    add_bar("(other values)", rest);
    d.score = score;  // many small values together are not one difference
  }
  add_missing();
  return d;
}

}  // namespace

absl::StatusOr<BubbleUpResult> ExecuteBubbleUp(store::Store& store, const QuerySpec& spec,
                                               const BubbleUpSelection& selection, const BubbleUpOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  if (!(selection.min_value <= selection.max_value) || selection.start_time >= selection.end_time) {
    return absl::InvalidArgumentError(
        "selection: needs start_time < end_time and min <= max (drag a region on the heatmap)");
  }
  const RowSelector selector(spec);
  store::ScanRange range;
  range.min_time = selector.start_ns();
  range.max_time = selector.end_ns() - 1;
  range.datasets = options.datasets;
  range.filter = spec.RowFilter();  // every field is compared, so fields stays nullopt
  ASSIGN_OR_RETURN(store::ScanUnits units, store.Scan(range));

  const size_t threads = static_cast<size_t>(std::max(1, std::min<int>(options.threads, static_cast<int>(units.size()))));
  std::vector<Partial> partials(threads);
  auto run = [&](auto work) {
    return QueryScheduler::Shared().ForEach(units.size(), static_cast<int>(threads), options.cancelled, options.deadline, "BubbleUp",
                       [&](size_t unit, size_t thread) { return work(unit, partials[thread]); });
  };

  std::vector<UnitSides> sides(units.size());
  RETURN_IF_NOT_OK(run([&](size_t i, Partial& partial) {
    return SplitUnit(selector, selection, *units[i], sides[i], partial);
  }));
  // Which units the second pass examines per side: all, or every k-th holding rows of it.
  std::array<uint64_t, 2> side_rows{};
  for (const UnitSides& s : sides) side_rows[0] += s.rows[0].size(), side_rows[1] += s.rows[1].size();
  std::vector<std::array<bool, 2>> examine(units.size());
  auto ceil_div = [](uint64_t a, uint64_t b) { return (a + b - 1) / std::max<uint64_t>(1, b); };
  for (size_t side : {kSelection, kBaseline}) {
    uint64_t holding = 0;
    for (const UnitSides& s : sides) holding += !s.rows[side].empty();
    const uint64_t stride = std::max<uint64_t>({1, ceil_div(side_rows[side], options.max_rows_per_side),
                                                ceil_div(holding, options.max_units_per_side)});
    uint64_t seen = 0;
    for (size_t i = 0; i < units.size(); ++i) {
      if (sides[i].rows[side].empty()) continue;
      examine[i][side] = seen++ % stride == 0;
    }
  }
  RETURN_IF_NOT_OK(run([&](size_t i, Partial& partial) {
    if (!examine[i][kSelection] && !examine[i][kBaseline]) return absl::OkStatus();
    return CountUnit(*units[i], sides[i], examine[i], partial);
  }));

  Partial& total = partials[0];
  for (size_t t = 1; t < partials.size(); ++t) {
    for (auto& [name, counts] : partials[t].columns) total.columns[name].Merge(counts);
    for (size_t s : {kSelection, kBaseline}) {
      total.examined[s] += partials[t].examined[s];
      total.counts[s] += partials[t].counts[s];
    }
    total.stats.units_skipped += partials[t].stats.units_skipped;
    total.stats.rows_scanned += partials[t].stats.rows_scanned;
    total.stats.rows_matched += partials[t].stats.rows_matched;
  }
  BubbleUpResult result;
  result.selection_count = total.counts[kSelection];
  result.baseline_count = total.counts[kBaseline];
  for (size_t i = 0; i < units.size(); ++i) {
    if (examine[i][kSelection]) result.selection_examined += sides[i].rows[kSelection].size();
    if (examine[i][kBaseline]) result.baseline_examined += sides[i].rows[kBaseline].size();
  }
  for (const auto& [name, counts] : total.columns) {
    // A column no examined event has is no difference.
    const double missing = counts.missing[kSelection] + counts.missing[kBaseline];
    if (missing >= total.examined[kSelection] + total.examined[kBaseline]) continue;
    result.dimensions.push_back(Rank(name, counts, total.examined, options));
  }
  std::sort(result.dimensions.begin(), result.dimensions.end(), [](const auto& a, const auto& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.column < b.column;
  });
  if (result.dimensions.size() > options.max_dimensions) result.dimensions.resize(options.max_dimensions);
  result.stats = total.stats;
  result.stats.units_total = units.size();
  result.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace waggle::query
