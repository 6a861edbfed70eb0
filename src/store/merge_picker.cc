#include "store/merge_picker.h"

#include <algorithm>
#include <map>
#include <utility>

namespace waggle::store {
namespace {

using GroupKey = std::pair<std::string, int64_t>;

// The parts of each dataset/hour that may still be merged, smallest first.
std::map<GroupKey, std::vector<const PartDescriptor*>> WaitingByGroup(std::span<const PartDescriptor> parts,
                                                                     const MergePolicy& policy) {
  std::map<GroupKey, std::vector<const PartDescriptor*>> groups;
  for (const PartDescriptor& p : parts) {
    if (p.rows < policy.max_part_rows / 2) groups[{p.dataset, p.partition}].push_back(&p);
  }
  for (auto& [key, members] : groups) {
    std::stable_sort(members.begin(), members.end(),
                     [](const PartDescriptor* a, const PartDescriptor* b) { return a->rows < b->rows; });
  }
  return groups;
}

// Up to max_inputs parts from `first` on, while they fit in max_part_rows (the first two
// always) and, unless forced, stay within size_ratio of the first. *full says the next part
// would not have fit: the output is close to final, worth merging with fewer inputs.
MergeChoice Take(const std::vector<const PartDescriptor*>& members, size_t first, bool forced,
                 const MergePolicy& policy, bool* full) {
  MergeChoice choice;
  *full = false;
  const double limit = static_cast<double>(std::max<uint64_t>(members[first]->rows, 1)) * policy.size_ratio;
  for (size_t i = first; i < members.size() && choice.ids.size() < policy.max_inputs; ++i) {
    const PartDescriptor& p = *members[i];
    if (!forced && static_cast<double>(p.rows) > limit) break;
    if (choice.ids.size() >= 2 && choice.rows + p.rows > policy.max_part_rows) {
      *full = true;
      break;
    }
    choice.ids.push_back(p.id);
    choice.rows += p.rows;
  }
  return choice;
}

}  // namespace

std::optional<MergeChoice> PickMerge(std::span<const PartDescriptor> parts, const MergePolicy& policy) {
  std::optional<MergeChoice> best;
  size_t best_waiting = 0;
  for (const auto& [key, members] : WaitingByGroup(parts, policy)) {
    if (members.size() < 2 || members.size() <= best_waiting) continue;
    std::optional<MergeChoice> choice;
    bool full = false;
    for (size_t first = 0; first + 2 <= members.size(); ++first) {
      MergeChoice tier = Take(members, first, false, policy, &full);
      if (tier.ids.size() >= 2 && (full || tier.ids.size() >= policy.min_inputs)) {
        choice = std::move(tier);
        break;
      }
    }
    if (!choice && members.size() >= policy.force_after) choice = Take(members, 0, true, policy, &full);
    if (!choice || choice->ids.size() < 2) continue;
    choice->dataset = key.first;
    choice->partition = key.second;
    best = std::move(choice);
    best_waiting = members.size();
  }
  return best;
}

size_t MostWaitingParts(std::span<const PartDescriptor> parts, const MergePolicy& policy) {
  size_t most = 0;
  for (const auto& [key, members] : WaitingByGroup(parts, policy)) most = std::max(most, members.size());
  return most;
}

}  // namespace waggle::store
