// CONCURRENCY: the highest number of spans in progress at once. A cell keeps its spans'
// intervals; the peak is a sweep over their starts and ends when the query finishes.
#include <algorithm>

#include "common/status_macros.h"
#include "query/aggregate/functions.h"

namespace waggle::query {

absl::Status ConcurrencyFunction::AddBatch(BlockColumns& block, const AggregateBatch& batch, uint64_t& bytes) const {
  ASSIGN_OR_RETURN(const std::vector<int64_t>* times, block.Times());
  ASSIGN_OR_RETURN(const std::vector<int64_t>* durations, block.Durations());
  for (size_t i = 0; i < batch.size; ++i) {
    const uint32_t row = batch.rows[i];
    state(batch.places[i]).intervals.emplace_back((*times)[row], (*times)[row] + std::max<int64_t>(0, (*durations)[row]));
  }
  bytes += 16 * batch.size;
  return absl::OkStatus();
}

void ConcurrencyFunction::Merge(char* into, char* from, bool steal) const {
  auto& a = state(into).intervals;
  auto& b = state(from).intervals;
  if (steal && a.empty()) {
    a = std::move(b);
    return;
  }
  a.insert(a.end(), b.begin(), b.end());
}

std::optional<double> ConcurrencyFunction::Value(const char* place, CalculationOp) const {
  return Peak(place, 0, 1, 0, nullptr);
}

double ConcurrencyFunction::Peak(const char* place, int64_t origin_ns, int64_t bucket_ns, size_t buckets,
                                 std::vector<double>* per_bucket) const {
  const auto& intervals = state(place).intervals;
  std::vector<std::pair<int64_t, int>> points;
  points.reserve(intervals.size() * 2);
  for (const auto& [start, end] : intervals) {
    points.emplace_back(start, +1);
    points.emplace_back(end > start ? end : start, -1);
  }
  // At one instant, starts before ends: a zero-length span counts as in progress.
  std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second > b.second;
  });
  double current = 0, best = 0;
  if (per_bucket) per_bucket->assign(buckets, 0);
  const auto nbuckets = static_cast<int64_t>(buckets);
  int64_t last_bucket = -1;
  for (const auto& [t, delta] : points) {
    const int64_t bucket = std::clamp<int64_t>((t - origin_ns) / bucket_ns, -1, nbuckets);
    if (per_bucket) {
      // Spans in progress when a bucket begins count in it, up to and including this one.
      for (int64_t b = std::max<int64_t>(last_bucket + 1, 0); b < std::min<int64_t>(bucket + 1, nbuckets); ++b) {
        (*per_bucket)[static_cast<size_t>(b)] = std::max((*per_bucket)[static_cast<size_t>(b)], current);
      }
    }
    last_bucket = std::max(last_bucket, bucket);
    current += delta;
    best = std::max(best, current);
    if (per_bucket && bucket >= 0 && bucket < nbuckets) {
      (*per_bucket)[static_cast<size_t>(bucket)] = std::max((*per_bucket)[static_cast<size_t>(bucket)], current);
    }
  }
  return best;
}

}  // namespace waggle::query
