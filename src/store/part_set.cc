#include "store/part_set.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <spdlog/spdlog.h>

#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "common/sync_point.h"

namespace waggle::store {
namespace {

namespace fs = std::filesystem;

// parts/<20 digits>.part; nullopt for anything else (temporaries included).
std::optional<uint64_t> PartIdOf(const std::string& name) {
  if (name.size() != 25 || !name.ends_with(".part")) return std::nullopt;
  uint64_t id = 0;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + static_cast<uint64_t>(c - '0');
  }
  return id;
}

std::vector<PartDescriptor> DescribeParts(const std::vector<std::shared_ptr<PartReader>>& parts,
                                          const std::vector<uint64_t>& ids) {
  std::vector<PartDescriptor> out;
  out.reserve(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    const PartFooter& f = parts[i]->footer();
    out.push_back({ids[i], f.dataset, f.partition, f.rows});
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PartSet>> PartSet::Open(const std::string& data_dir, const MergePolicy& policy) {
  std::unique_ptr<PartSet> set(new PartSet(data_dir, policy));
  RETURN_IF_NOT_OK(set->Load());
  return set;
}

std::string PartSet::PartPath(uint64_t id) const { return absl::StrFormat("%s/parts/%020d.part", data_dir_, id); }

uint64_t PartSet::AllocatePartId() {
  std::lock_guard lock(manifest_mutex_);
  return manifest_.next_part_id++;
}

uint64_t PartSet::wal_replay_from() const {
  std::lock_guard lock(mutex_);
  return replay_from_;
}

absl::Status PartSet::Load() {
  const std::string manifest_path = data_dir_ + "/MANIFEST";
  ASSIGN_OR_RETURN(manifest_, LoadManifest(manifest_path));
  std::set<uint64_t> listed(manifest_.part_ids.begin(), manifest_.part_ids.end());
  // Files the manifest does not list were being written when the process stopped.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(data_dir_ + "/parts", ec)) {
    std::string name = entry.path().filename().string();
    auto id = PartIdOf(name);
    if (!id || !listed.contains(*id)) {
      spdlog::info("removing unpublished part file {}", entry.path().string());
      fs::remove(entry.path(), ec);
    }
  }
  std::vector<uint64_t> good;
  for (uint64_t id : manifest_.part_ids) {
    const std::string path = PartPath(id);
    auto part = PartReader::Open(path);
    absl::Status status = part.ok() ? (*part)->Verify() : part.status();
    if (!status.ok()) {
      fs::create_directories(data_dir_ + "/quarantine", ec);
      const std::string target = absl::StrFormat("%s/quarantine/%020d.part", data_dir_, id);
      fs::rename(path, target, ec);
      spdlog::error("part {} failed verification and is not served; moved to {}: {}", path, target,
                    std::string(status.message()));
      ++quarantined_;
      continue;
    }
    good.push_back(id);
    parts_.push_back(std::move(*part));
    ids_.push_back(id);
  }
  if (good.size() != manifest_.part_ids.size()) {
    manifest_.part_ids = good;
    RETURN_IF_NOT_OK(SaveManifest(manifest_path, manifest_));
  }
  replay_from_ = manifest_.wal_replay_from;
  most_unmerged_parts_ = MostWaitingParts(DescribeParts(parts_, ids_), policy_);
  return absl::OkStatus();
}

absl::Status PartSet::Apply(const PartSetEdit& edit) {
  std::vector<std::shared_ptr<PartReader>> opened;
  for (uint64_t id : edit.added) {
    ASSIGN_OR_RETURN(auto part, PartReader::Open(PartPath(id)));
    opened.push_back(std::move(part));
  }
  std::lock_guard manifest_lock(manifest_mutex_);
  Manifest next = manifest_;
  std::set<uint64_t> gone(edit.removed.begin(), edit.removed.end());
  std::erase_if(next.part_ids, [&](uint64_t id) { return gone.contains(id); });
  next.part_ids.insert(next.part_ids.end(), edit.added.begin(), edit.added.end());
  next.wal_replay_from = std::max(next.wal_replay_from, edit.wal_replay_from);
  RETURN_IF_NOT_OK(SaveManifest(data_dir_ + "/MANIFEST", next));
  SyncPoint("PartSet::Apply:ManifestSaved");
  manifest_ = std::move(next);
  {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < parts_.size();) {
      if (gone.contains(ids_[i])) {
        parts_.erase(parts_.begin() + static_cast<std::ptrdiff_t>(i));
        ids_.erase(ids_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    for (size_t i = 0; i < edit.added.size(); ++i) {
      parts_.push_back(opened[i]);
      ids_.push_back(edit.added[i]);
    }
    most_unmerged_parts_ = MostWaitingParts(DescribeParts(parts_, ids_), policy_);
    replay_from_ = manifest_.wal_replay_from;
    if (edit.publishes_frozen_head && !frozen_.empty()) {
      frozen_bytes_ -= frozen_.front().head->bytes();
      frozen_.pop_front();
    }
  }
  for (uint64_t id : edit.removed) ::unlink(PartPath(id).c_str());
  SyncPoint("PartSet::Apply:Done");
  return absl::OkStatus();
}

void PartSet::AddFrozenHead(FrozenHead frozen) {
  std::lock_guard lock(mutex_);
  frozen_bytes_ += frozen.head->bytes();
  frozen_.push_back(std::move(frozen));
}

PartSet::Snapshot PartSet::Current() const {
  std::lock_guard lock(mutex_);
  Snapshot snapshot{parts_, ids_, {}};
  for (const FrozenHead& f : frozen_) snapshot.frozen.push_back(f.head);
  return snapshot;
}

std::optional<FrozenHead> PartSet::OldestFrozenHead() const {
  std::lock_guard lock(mutex_);
  if (frozen_.empty()) return std::nullopt;
  return frozen_.front();
}

size_t PartSet::frozen_count() const {
  std::lock_guard lock(mutex_);
  return frozen_.size();
}

uint64_t PartSet::frozen_bytes() const {
  std::lock_guard lock(mutex_);
  return frozen_bytes_;
}

size_t PartSet::most_unmerged_parts() const {
  std::lock_guard lock(mutex_);
  return most_unmerged_parts_;
}

std::vector<PartDescriptor> PartSet::Snapshot::Describe() const { return DescribeParts(parts, ids); }

}  // namespace waggle::store
