// COUNT_DISTINCT: the hashes of the distinct values per cell (an integral double is the same
// value as the int). A string dictionary is hashed once per entry, then rows by their codes.
#include <absl/container/flat_hash_set.h>

#include <algorithm>

#include "common/status_macros.h"
#include "query/aggregate/functions.h"

namespace waggle::query {
namespace {

struct DistinctState {
  std::unique_ptr<absl::flat_hash_set<uint64_t>> hashes;  // made by the first value
};

class CountDistinctFunction final : public PlainAggregateFunction<DistinctState> {
 public:
  explicit CountDistinctFunction(std::string column) : PlainAggregateFunction(Family::kDistinct, std::move(column)) {}

  absl::Status AddBatch(BlockColumns& block, const AggregateBatch& batch, uint64_t& bytes) const override {
    auto add = [&](size_t i, uint64_t hash) {
      auto& hashes = state(batch.places[i]).hashes;
      if (!hashes) hashes = std::make_unique<absl::flat_hash_set<uint64_t>>(), bytes += 64;
      if (hashes->insert(hash).second) bytes += 16;
    };
    ASSIGN_OR_RETURN(const std::optional<StringCodesView> strings, block.StringCodes(this->column()));
    if (strings) {
      AddCodes(*strings, batch, add);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(const ValueColumn* column, block.Column(this->column()));
    if (column->dictionary != nullptr) {
      const auto& dictionary = column->dictionary->dictionary;
      std::vector<uint64_t> code_hashes(dictionary.size() + 1);
      for (size_t c = 0; c < dictionary.size(); ++c) {
        code_hashes[c + 1] = HashValue(CellValue{ValueType::kString, 0, 0, dictionary[c]});
      }
      const auto& codes = column->dictionary->codes;
      for (size_t i = 0; i < batch.size; ++i) {
        const uint32_t row = batch.rows[i];
        if (column->Has(row)) add(i, code_hashes[codes[row]]);
      }
    } else {
      for (size_t i = 0; i < batch.size; ++i) {
        const uint32_t row = batch.rows[i];
        if (column->Has(row)) add(i, HashValue(ValueAt(*column, row)));
      }
    }
    return absl::OkStatus();
  }

  // A field held as one string column: rows by their codes. When every row of the batch
  // goes to one cell (no breakdown, no series), each code present is inserted once.
  template <typename Add>
  static void AddCodes(const StringCodesView& strings, const AggregateBatch& batch, Add add) {
    const store::ColumnValues& values = *strings.values;
    const auto& dictionary = values.dictionary;
    auto hash_of = [&](uint32_t code) {
      return HashValue(CellValue{ValueType::kString, 0, 0, code == 0 ? std::string_view() : dictionary[code - 1]});
    };
    const bool zero_present = strings.zero_is_empty;  // code 0: "" (a span field), else absent
    if (batch.size == 0) return;
    const bool one_cell = batch.one_place || std::all_of(batch.places, batch.places + batch.size,
                                                         [&](char* place) { return place == batch.places[0]; });
    if (one_cell) {
      std::vector<uint8_t> seen(dictionary.size() + 1);
      const uint32_t* __restrict codes = values.codes.data();
      const uint32_t* __restrict rows = batch.rows;
      uint8_t* __restrict marks = seen.data();  // locals: byte stores alias everything
      for (size_t i = 0; i < batch.size; ++i) marks[codes[rows[i]]] = 1;
      for (uint32_t code = zero_present ? 0 : 1; code < seen.size(); ++code) {
        if (seen[code]) add(0, hash_of(code));
      }
      return;
    }
    std::vector<uint64_t> code_hashes(dictionary.size() + 1);
    for (uint32_t code = 0; code < code_hashes.size(); ++code) code_hashes[code] = hash_of(code);
    for (size_t i = 0; i < batch.size; ++i) {
      const uint32_t code = values.codes[batch.rows[i]];
      if (code != 0 || zero_present) add(i, code_hashes[code]);
    }
  }

  void Merge(char* into, char* from, bool steal) const override {
    auto& a = state(into).hashes;
    auto& b = state(from).hashes;
    if (!b) return;
    if (!a) {
      a = steal ? std::move(b) : std::make_unique<absl::flat_hash_set<uint64_t>>(*b);
    } else {
      a->insert(b->begin(), b->end());
    }
  }

  std::optional<double> Value(const char* place, CalculationOp) const override {
    const auto& hashes = state(place).hashes;
    return hashes ? static_cast<double>(hashes->size()) : 0.0;
  }
};

}  // namespace

std::unique_ptr<AggregateFunction> MakeCountDistinctFunction(std::string column) {
  return std::make_unique<CountDistinctFunction>(std::move(column));
}

}  // namespace waggle::query
