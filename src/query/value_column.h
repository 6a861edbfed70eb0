// The values of one query column (a Honeycomb field name such as duration_ms or
// http.route) in one scan unit, a row at a time in flat arrays. A field name may be stored
// as several physical columns: fixed ones (duration, name, trace id) and attributes of each
// origin and type; BlockColumns resolves the name the way Honeycomb flattens an event
// (model::HoneycombFields): span attributes over scope over resource over the fixed fields.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "common/strings.h"
#include "model/event_schema.h"
#include "store/scan_unit.h"

namespace waggle::query {

struct QuerySpec;

enum class ValueType : uint8_t { kAbsent = 0, kInt, kDouble, kString, kBool };

struct ValueColumn {
  std::vector<ValueType> types;          // per row
  // Per row, each only when some row has a value of its type (read it only for such rows).
  std::vector<int64_t> ints;             // kInt; kBool as 0/1
  std::vector<double> doubles;           // kDouble
  std::vector<std::string_view> strings;  // kString
  // Set when every value came from one string column: filters can test each dictionary
  // entry once and then rows by code (code 0 = absent).
  const store::ColumnValues* dictionary = nullptr;

  bool Has(size_t row) const { return types[row] != ValueType::kAbsent; }
  bool IsNumber(size_t row) const { return types[row] == ValueType::kInt || types[row] == ValueType::kDouble; }
  double Number(size_t row) const {
    return types[row] == ValueType::kDouble ? doubles[row] : static_cast<double>(ints[row]);
  }
  // The row's value when it is a number (int or double; not a bool), in one branch on type.
  bool NumberAt(size_t row, double& value) const {
    switch (types[row]) {
      case ValueType::kInt: value = static_cast<double>(ints[row]); return true;
      case ValueType::kDouble: value = doubles[row]; return true;
      default: return false;
    }
  }
};

// One value as filters, group keys and COUNT_DISTINCT see it.
struct CellValue {
  ValueType type = ValueType::kAbsent;
  int64_t i = 0;
  double d = 0;
  std::string_view s;

  double Number() const { return type == ValueType::kDouble ? d : static_cast<double>(i); }
  bool IsNumber() const { return type == ValueType::kInt || type == ValueType::kDouble; }
};

inline CellValue ValueAt(const ValueColumn& c, size_t row) {
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

// A value as text ("404", "true", "1.5"), as string filters compare it.
std::string TextOf(const CellValue& v);
// A value's hash for COUNT_DISTINCT: an integral double hashes as the same int.
uint64_t HashValue(const CellValue& v);
// Appends a group key of the value: its type and bytes (404.0 and 404 are one group, as in
// COUNT_DISTINCT), the same from every unit and from counts a store made.
void AppendGroupKey(const CellValue& v, std::string& key);

// The physical columns of a unit that could hold a field name.
struct ColumnSources {
  std::vector<size_t> attributes;  // attribute columns, highest precedence first
  bool fixed = false;              // a field Waggle derives from the fixed columns
};

// A numeric field held in one stored column of a unit, for typed loops without a ValueColumn:
// a present row's value is ints[row] / divisor (durations in ms: ns / 1e6) or doubles[row].
struct NumericView {
  const int64_t* ints = nullptr;
  const double* doubles = nullptr;
  double divisor = 1;
  const std::vector<uint8_t>* present = nullptr;  // empty: every row has a value
  // Set when the ints are also a byte a row (store::AddIntCodes) and the codes' absent rows
  // are exactly the view's: filters may then test each distinct value once.
  const store::ColumnValues* coded = nullptr;

  bool Has(size_t row) const { return present->empty() || (*present)[row] != 0; }
  double At(size_t row) const { return ints != nullptr ? static_cast<double>(ints[row]) / divisor : doubles[row]; }
};

// A string field held in one stored string column: values->codes index values->dictionary
// (minus one); code 0 is an absent value, or for a fixed field (every row has one) "".
struct StringCodesView {
  const store::ColumnValues* values = nullptr;
  bool zero_is_empty = false;
};

// Reads and caches the columns of one unit that a query needs.
class BlockColumns {
 public:
  explicit BlockColumns(const store::ScanUnit& unit);

  const store::ScanUnit& unit() const { return unit_; }
  const ColumnSources& Sources(const std::string& name) const;
  absl::StatusOr<const store::ColumnValues*> Physical(size_t column);
  absl::StatusOr<const ValueColumn*> Column(const std::string& name);
  // The field as one stored column, when it is one here (nullopt: use Column): an int or
  // double attribute alone under its name, or a fixed field that applies to every row.
  absl::StatusOr<std::optional<NumericView>> Numbers(const std::string& name);
  absl::StatusOr<std::optional<StringCodesView>> StringCodes(const std::string& name);
  // Start times (ns), sample rates and annotation types of every row.
  absl::StatusOr<const std::vector<int64_t>*> Times();
  absl::StatusOr<const std::vector<int64_t>*> SampleRates();
  absl::StatusOr<const std::vector<int64_t>*> Durations();

  // Bytes held (for the query's memory budget).
  size_t bytes() const { return bytes_; }

 private:
  const model::HoneycombSpanField* WholeFixedField(const std::string& name, const ColumnSources& sources) const;
  // `dictionary` is set to the string column the values came from, when there is one.
  absl::Status FillFixed(const std::string& name, ValueColumn& out, const store::ColumnValues** dictionary);

  const store::ScanUnit& unit_;
  mutable std::deque<std::pair<std::string, ColumnSources>> sources_;  // by field name, as asked
  std::unordered_map<size_t, std::shared_ptr<const store::ColumnValues>> physical_;
  std::unordered_map<std::string, std::unique_ptr<ValueColumn>> columns_;
  std::vector<std::unique_ptr<std::string>> owned_strings_;  // hex ids made for this unit
  std::unordered_map<std::string, std::unique_ptr<store::ColumnValues>> merged_;  // StringCodes of two sources
  std::unordered_map<int, std::vector<uint8_t>> applies_masks_;  // by model::AppliesTo: rows a span field exists on
  size_t bytes_ = 0;
};

// Whether a name is one Waggle derives from the fixed columns (duration_ms, trace.trace_id, ...).
bool IsFixedField(std::string_view name);
// The fields every span has, for the column list.
const std::vector<std::pair<std::string, ValueType>>& FixedFields();
// The field names a query reads: calculated, filtered, broken down, ordered by or in a having.
std::vector<std::string> FieldsOf(const QuerySpec& spec);

}  // namespace waggle::query
