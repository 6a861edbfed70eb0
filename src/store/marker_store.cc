#include "store/marker_store.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

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
  return Open(std::make_unique<FileDocumentStore>(path));
}

absl::StatusOr<std::unique_ptr<MarkerStore>> MarkerStore::Open(std::unique_ptr<DocumentStore> document) {
  std::unique_ptr<MarkerStore> store(new MarkerStore(std::move(document)));
  ASSIGN_OR_RETURN(DocumentStore::Snapshot snapshot, store->document_->Load());
  if (snapshot.text) RETURN_IF_NOT_OK(store->Parse(*snapshot.text));
  store->version_ = snapshot.version;
  return store;
}

absl::Status MarkerStore::Parse(const std::string& text) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc["markers"].is_array()) {
    return absl::DataLossError(StrCat(document_->Describe(), " is not a markers document; move it aside to start without markers"));
  }
  std::vector<Marker> markers;
  try {
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
      markers.push_back(std::move(m));
    }
    next_id_ = doc.value("next_id", uint64_t{1});
  } catch (const Json::exception& e) {
    return absl::DataLossError(StrCat(document_->Describe(), ": ", e.what()));
  }
  markers_ = std::move(markers);
  return absl::OkStatus();
}

absl::Status MarkerStore::RefreshLocked() {
  if (!document_->shared()) return absl::OkStatus();
  ASSIGN_OR_RETURN(DocumentStore::Snapshot snapshot, document_->Load());
  if (snapshot.version == version_ || !snapshot.text) return absl::OkStatus();
  RETURN_IF_NOT_OK(Parse(*snapshot.text));
  version_ = snapshot.version;
  return absl::OkStatus();
}

absl::Status MarkerStore::Save() {
  Json list = Json::array();
  for (const Marker& m : markers_) list.push_back(ToJson(m));
  Json doc = {{"next_id", next_id_}, {"markers", std::move(list)}};
  ASSIGN_OR_RETURN(version_, document_->Save(doc.dump(1)));
  return absl::OkStatus();
}

absl::StatusOr<Marker> MarkerStore::Create(Marker marker) {
  std::lock_guard lock(mutex_);
  RETURN_IF_NOT_OK(RefreshLocked());
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
  RETURN_IF_NOT_OK(RefreshLocked());
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
  RETURN_IF_NOT_OK(RefreshLocked());
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

std::vector<Marker> MarkerStore::List(const std::string& dataset) {
  std::lock_guard lock(mutex_);
  if (absl::Status refreshed = RefreshLocked(); !refreshed.ok()) {
    spdlog::warn("markers: listing the last copy read: {}", std::string(refreshed.message()));
  }
  std::vector<Marker> out;
  for (const Marker& m : markers_) {
    if (dataset == "__all__" || m.dataset == dataset || m.dataset == "__all__") out.push_back(m);
  }
  return out;
}

}  // namespace waggle::store
