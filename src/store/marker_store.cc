#include "store/marker_store.h"

#include <sys/stat.h>


#include <nlohmann/json.hpp>

#include "common/status_macros.h"
#include "common/strings.h"
#include "common/wall_clock.h"
#include "store/file_util.h"

namespace waggle::store {
namespace {

using Json = nlohmann::json;


Json ToJson(const Marker& m) {
  Json j = {{"id", m.id},           {"dataset", m.dataset},       {"start_time", m.start_time},
            {"message", m.message}, {"type", m.type},             {"url", m.url},
            {"color", m.color},     {"created_at", m.created_at}, {"updated_at", m.updated_at}};
  if (m.end_time) j["end_time"] = *m.end_time;
  return j;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MarkerStore>> MarkerStore::Open(const std::string& path) {
  std::unique_ptr<MarkerStore> store(new MarkerStore(path));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return store;
  ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc["markers"].is_array()) {
    return absl::DataLossError(StrCat(path, " is not a markers file; move it aside to start without markers"));
  }
  for (const Json& j : doc["markers"]) {
    Marker m;
    m.id = j.value("id", "");
    m.dataset = j.value("dataset", "");
    m.start_time = j.value("start_time", int64_t{0});
    if (j.contains("end_time")) m.end_time = j["end_time"].get<int64_t>();
    m.message = j.value("message", "");
    m.type = j.value("type", "");
    m.url = j.value("url", "");
    m.color = j.value("color", "");
    m.created_at = j.value("created_at", int64_t{0});
    m.updated_at = j.value("updated_at", int64_t{0});
    store->markers_.push_back(std::move(m));
  }
  store->next_id_ = doc.value("next_id", uint64_t{1});
  return store;
}

absl::Status MarkerStore::Save() {
  Json list = Json::array();
  for (const Marker& m : markers_) list.push_back(ToJson(m));
  Json doc = {{"next_id", next_id_}, {"markers", std::move(list)}};
  return WriteFileAtomically(path_, doc.dump(1));
}

absl::StatusOr<Marker> MarkerStore::Create(Marker marker) {
  std::lock_guard lock(mutex_);
  marker.id = StrCat("m", next_id_++);
  marker.created_at = marker.updated_at = UnixSecondsNow();
  if (marker.start_time == 0) marker.start_time = marker.created_at;
  markers_.push_back(marker);
  if (absl::Status s = Save(); !s.ok()) {
    markers_.pop_back();
    return s;
  }
  return marker;
}

absl::StatusOr<Marker> MarkerStore::Update(const std::string& dataset, const std::string& id, const Marker& changes) {
  std::lock_guard lock(mutex_);
  for (Marker& m : markers_) {
    if (m.id != id || m.dataset != dataset) continue;
    const Marker before = m;
    if (changes.start_time != 0) m.start_time = changes.start_time;
    if (changes.end_time) m.end_time = changes.end_time;
    if (!changes.message.empty()) m.message = changes.message;
    if (!changes.type.empty()) m.type = changes.type;
    if (!changes.url.empty()) m.url = changes.url;
    if (!changes.color.empty()) m.color = changes.color;
    m.updated_at = UnixSecondsNow();
    if (absl::Status s = Save(); !s.ok()) {
      m = before;
      return s;
    }
    return m;
  }
  return absl::NotFoundError(StrCat("marker ", id, " not found in dataset ", dataset));
}

absl::Status MarkerStore::Delete(const std::string& dataset, const std::string& id) {
  std::lock_guard lock(mutex_);
  for (auto it = markers_.begin(); it != markers_.end(); ++it) {
    if (it->id != id || it->dataset != dataset) continue;
    const Marker removed = *it;
    markers_.erase(it);
    if (absl::Status s = Save(); !s.ok()) {
      markers_.push_back(removed);
      return s;
    }
    return absl::OkStatus();
  }
  return absl::NotFoundError(StrCat("marker ", id, " not found in dataset ", dataset));
}

std::vector<Marker> MarkerStore::List(const std::string& dataset) const {
  std::lock_guard lock(mutex_);
  std::vector<Marker> out;
  for (const Marker& m : markers_) {
    if (dataset == "__all__" || m.dataset == dataset || m.dataset == "__all__") out.push_back(m);
  }
  return out;
}

}  // namespace waggle::store
