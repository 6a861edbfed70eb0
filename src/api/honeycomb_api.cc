#include "api/honeycomb_api.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xxhash.h>

#include <map>
#include <set>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "api/http_errors.h"
#include "common/json_writer.h"
#include "common/metrics.h"
#include "common/strings.h"
#include "common/wall_clock.h"
#include "ingest/body_decoder.h"
#include "ingest/honeycomb_event_ingest.h"
#include "ingest/honeycomb_events.h"
#include "query/bubble_up.h"
#include "query/query_result_json.h"
#include "query/value_column.h"

namespace waggle::api {
namespace {

namespace http = boost::beast::http;
using Json = nlohmann::json;

HttpResponse JsonResponse(const HttpRequest& request, http::status status, const Json& body) {
  return MakeResponse(request, status, "application/json", body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string HeaderValue(const HttpRequest& request, std::string_view name) {
  auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  if (it == request.end()) return "";
  return std::string(it->value().data(), it->value().size());
}

const char* ColumnTypeName(model::AttributeType type) {
  switch (type) {
    case model::AttributeType::kString: return "string";
    case model::AttributeType::kInt: return "integer";
    case model::AttributeType::kDouble: return "float";
    case model::AttributeType::kBool: return "boolean";
  }
  return "string";
}

const char* ValueTypeName(query::ValueType type) {
  switch (type) {
    case query::ValueType::kInt: return "integer";
    case query::ValueType::kDouble: return "float";
    case query::ValueType::kBool: return "boolean";
    default: return "string";
  }
}

// Whether a unit holds spans (not only plain events), so the derived span fields apply.
bool HoldsSpans(const store::ScanUnit& unit) {
  const auto column = static_cast<size_t>(store::FixedColumn::kAnnotationType);
  if (auto range = unit.IntRange(column)) return range->first < static_cast<int64_t>(model::AnnotationType::kEvent);
  auto values = unit.Read(column);
  if (!values.ok()) return false;
  for (int64_t v : (*values)->ints) {
    if (v != static_cast<int64_t>(model::AnnotationType::kEvent)) return true;
  }
  return false;
}

Json MarkerJson(const store::Marker& m) {
  Json j = {{"id", m.id},
            {"start_time", m.start_time},
            {"message", m.message},
            {"type", m.type},
            {"url", m.url},
            {"color", m.color},
            {"created_at", query::FormatRfc3339(m.created_at)},
            {"updated_at", query::FormatRfc3339(m.updated_at)}};
  if (m.end_time) j["end_time"] = *m.end_time;
  return j;
}

absl::StatusOr<store::Marker> MarkerFromBody(const std::string& body) {
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("a marker must be a JSON object like {\"message\":\"deploy 42\",\"type\":\"deploy\"}");
  }
  store::Marker m;
  auto int_field = [&](const char* key, int64_t* out) -> absl::Status {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return absl::OkStatus();
    if (!it->is_number()) return absl::InvalidArgumentError(StrCat(key, ": must be unix seconds"));
    *out = it->is_number_integer() ? it->get<int64_t>() : static_cast<int64_t>(it->get<double>());
    return absl::OkStatus();
  };
  auto string_field = [&](const char* key, std::string* out) -> absl::Status {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return absl::OkStatus();
    if (!it->is_string()) return absl::InvalidArgumentError(StrCat(key, ": must be a string"));
    *out = it->get<std::string>();
    return absl::OkStatus();
  };
  if (auto s = int_field("start_time", &m.start_time); !s.ok()) return s;
  int64_t end = 0;
  if (auto s = int_field("end_time", &end); !s.ok()) return s;
  if (end != 0) m.end_time = end;
  for (auto [key, out] : {std::pair{"message", &m.message}, {"type", &m.type}, {"url", &m.url}, {"color", &m.color}}) {
    if (auto s = string_field(key, out); !s.ok()) return s;
  }
  if (m.end_time && *m.end_time < m.start_time) return absl::InvalidArgumentError("end_time: must not be before start_time");
  return m;
}

}  // namespace

HoneycombApi::HoneycombApi(const auth::ApiKeyRegistry& keys, store::Store& store, store::MarkerStore& markers,
                           HoneycombApiOptions options)
    : keys_(keys), store_(store), markers_(markers), options_(options), routes_(MakeRoutes()) {
  for (int i = 0; i < std::max(1, options_.query_workers); ++i) {
    workers_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "waggle-query");
      // Queries yield to ingest: a lower priority for this thread and the ones it starts.
      setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 5);
      WorkerLoop();
    });
  }
}

HoneycombApi::~HoneycombApi() { Stop(); }

void HoneycombApi::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, run] : runs_) run->cancelled = true;
    wake_.notify_all();
    for (auto& task : tasks_) task(false);
    tasks_.clear();
  }
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

absl::Status HoneycombApi::CheckKey(const HttpRequest& request, auth::KeyScope scope) const {
  std::optional<std::string_view> key;
  if (auto it = request.find("x-honeycomb-team"); it != request.end()) {
    key = std::string_view(it->value().data(), it->value().size());
  }
  return keys_.Check(key, scope);
}

RouteTable HoneycombApi::MakeRoutes() {
  using http::verb;
  RouteTable routes;
  auto needs_dataset = [](std::string pattern) {
    return [pattern](HttpRequest& request, const RouteParams&, HttpReply& reply) {
      reply(JsonError(request, absl::InvalidArgumentError(StrCat("the URL needs a dataset: ", pattern))));
    };
  };
  for (const char* resource : {"events", "batch", "markers", "queries", "query_results", "columns"}) {
    routes.Add(StrCat("/1/", resource), {}, needs_dataset(StrCat("/1/", resource, "/{dataset}")));
  }
  routes.Add("/api/bubbleup", {}, needs_dataset("/api/bubbleup/{dataset}"));
  routes
      .Add("/1/auth", {verb::get}, [this](HttpRequest& q, const RouteParams&, HttpReply& r) { Auth(q, r); })
      .Add("/1/datasets", {verb::get}, [this](HttpRequest& q, const RouteParams&, HttpReply& r) { Datasets(q, r); })
      .Add("/1/events/{dataset}", {verb::post},
           [this](HttpRequest& q, const RouteParams& p, HttpReply& r) { Events(q, p[0], r, /*batch=*/false); })
      .Add("/1/batch/{dataset}", {verb::post},
           [this](HttpRequest& q, const RouteParams& p, HttpReply& r) { Events(q, p[0], r, /*batch=*/true); })
      .Add("/1/markers/{dataset}", {verb::get},
           [this](HttpRequest& q, const RouteParams& p, HttpReply& r) { ListMarkers(q, p[0], r); })
      .Add("/1/markers/{dataset}", {verb::post},
           [this](HttpRequest& q, const RouteParams& p, HttpReply& r) { CreateMarker(q, p[0], r); })
      .Add("/1/markers/{dataset}/{id}", {verb::put},
           [this](HttpRequest& q, const RouteParams& p, HttpReply& r) { UpdateMarker(q, p[0], p[1], r); })
      .Add("/1/markers/{dataset}/{id}", {verb::delete_},
           [this](HttpRequest& q, const RouteParams& p, HttpReply& r) { DeleteMarker(q, p[0], p[1], r); })
      .Add("/1/queries/{dataset}", {verb::post},
           [this](HttpRequest& q, const RouteParams& p, HttpReply& r) { CreateQuery(q, p[0], r); })
      .Add("/1/queries/{dataset}/{id}", {verb::get},
           [this](HttpRequest& q, const RouteParams& p, HttpReply& r) { GetQuery(q, p[0], p[1], r); })
      .Add("/1/query_results/{dataset}", {verb::post},
           [this](HttpRequest& q, const RouteParams& p, HttpReply& r) { CreateQueryResult(q, p[0], r); })
      .Add("/1/query_results/{dataset}/{id}", {verb::get},
           [this](HttpRequest& q, const RouteParams& p, HttpReply& r) { GetQueryResult(q, p[0], p[1], r); })
      .Add("/1/query_results/{dataset}/{id}", {verb::delete_},
           [this](HttpRequest& q, const RouteParams& p, HttpReply& r) { CancelQueryResult(q, p[0], p[1], r); })
      .Add("/1/columns/{dataset}", {verb::get},
           [this](HttpRequest& q, const RouteParams& p, HttpReply& r) { Columns(q, p[0], r); })
      .Add("/api/bubbleup/{dataset}", {verb::post},
           [this](HttpRequest& q, const RouteParams& p, HttpReply& r) { BubbleUp(q, p[0], r); });
  return routes;
}

bool HoneycombApi::Handle(HttpRequest& request, std::string_view path, HttpReply& reply) {
  return routes_.Dispatch(request, path, reply);
}

void HoneycombApi::Events(HttpRequest& request, const std::string& dataset, HttpReply& reply, bool batch) {
  if (absl::Status s = CheckKey(request, auth::KeyScope::kIngest); !s.ok()) return reply(JsonError(request, s));
  if (AsciiLower(dataset) == "__all__") {
    return reply(JsonError(request, absl::InvalidArgumentError("__all__ names every dataset in queries; send events to a dataset of their own")));
  }
  auto body = ingest::DecodeBody(HeaderValue(request, "content-encoding"), std::move(request.body()),
                                 options_.max_decoded_bytes);
  if (!body.ok()) return reply(IngestJsonError(request, body.status()));
  const std::string content_type = AsciiLower(HeaderValue(request, "content-type"));
  const auto encoding = content_type.find("msgpack") != std::string::npos ? ingest::EventsEncoding::kMsgpack
                                                                          : ingest::EventsEncoding::kJson;
  ingest::EventDefaults defaults;
  defaults.dataset = dataset;
  defaults.time_unix_nano = UnixNanosNow();
  if (std::string t = HeaderValue(request, "x-honeycomb-event-time"); !t.empty()) {
    auto time = ingest::ParseEventTime(t);
    if (!time.ok()) {
      return reply(JsonError(request, absl::InvalidArgumentError(StrCat("X-Honeycomb-Event-Time: ", std::string(time.status().message())))));
    }
    defaults.time_unix_nano = *time;
  }
  if (std::string r = HeaderValue(request, "x-honeycomb-samplerate"); !r.empty()) {
    int64_t rate = 0;
    auto [end, ec] = std::from_chars(r.data(), r.data() + r.size(), rate);
    if (ec != std::errc() || end != r.data() + r.size()) {
      return reply(JsonError(request, absl::InvalidArgumentError(StrCat("X-Honeycomb-Samplerate: '", r.substr(0, 32), "' is not an integer"))));
    }
    defaults.sample_rate = std::max<int64_t>(1, rate);
  }
  const HttpRequest& req = request;
  ingest::IngestHoneycombEvents(store_, *body, encoding, defaults, batch, [req, reply, batch](ingest::EventsOutcome outcome) {
    if (!outcome.status.ok()) return reply(IngestJsonError(req, outcome.status));
    if (!batch) return reply(MakeResponse(req, http::status::ok, "application/json", "{}"));
    Json statuses = Json::array();
    for (const absl::Status& item : outcome.elements) {
      if (item.ok()) statuses.push_back({{"status", 202}});
      else statuses.push_back({{"status", 400}, {"error", std::string(item.message())}});
    }
    reply(JsonResponse(req, http::status::ok, statuses));
  });
}

void HoneycombApi::ListMarkers(HttpRequest& request, const std::string& dataset, HttpReply& reply) {
  if (absl::Status s = CheckKey(request, auth::KeyScope::kQuery); !s.ok()) return reply(JsonError(request, s));
  Json list = Json::array();
  for (const store::Marker& m : markers_.List(AsciiLower(dataset))) list.push_back(MarkerJson(m));
  reply(JsonResponse(request, http::status::ok, list));
}

void HoneycombApi::CreateMarker(HttpRequest& request, const std::string& dataset, HttpReply& reply) {
  if (absl::Status s = CheckKey(request, auth::KeyScope::kIngest); !s.ok()) return reply(JsonError(request, s));
  auto marker = MarkerFromBody(request.body());
  if (!marker.ok()) return reply(JsonError(request, marker.status()));
  marker->dataset = AsciiLower(dataset);
  auto created = markers_.Create(std::move(*marker));
  if (!created.ok()) return reply(JsonError(request, created.status()));
  reply(JsonResponse(request, http::status::created, MarkerJson(*created)));
}

void HoneycombApi::UpdateMarker(HttpRequest& request, const std::string& dataset, const std::string& id,
                                HttpReply& reply) {
  if (absl::Status s = CheckKey(request, auth::KeyScope::kIngest); !s.ok()) return reply(JsonError(request, s));
  auto changes = MarkerFromBody(request.body());
  if (!changes.ok()) return reply(JsonError(request, changes.status()));
  auto updated = markers_.Update(AsciiLower(dataset), id, *changes);
  if (!updated.ok()) return reply(JsonError(request, updated.status()));
  reply(JsonResponse(request, http::status::ok, MarkerJson(*updated)));
}

void HoneycombApi::DeleteMarker(HttpRequest& request, const std::string& dataset, const std::string& id,
                                HttpReply& reply) {
  if (absl::Status s = CheckKey(request, auth::KeyScope::kIngest); !s.ok()) return reply(JsonError(request, s));
  if (absl::Status s = markers_.Delete(AsciiLower(dataset), id); !s.ok()) return reply(JsonError(request, s));
  reply(MakeResponse(request, http::status::no_content, "application/json", ""));
}

void HoneycombApi::CreateQuery(HttpRequest& request, const std::string& dataset, HttpReply& reply) {
  if (absl::Status s = CheckKey(request, auth::KeyScope::kQuery); !s.ok()) return reply(JsonError(request, s));
  // Parsed once: runs take the spec as it is (a relative range resolves when each runs).
  auto spec = query::ParseQuerySpec(request.body(), UnixSecondsNow());
  if (!spec.ok()) return reply(JsonError(request, spec.status()));
  // The same spec (defaults filled in) in the same dataset is the same query.
  const std::string canonical = query::QuerySpecToJson(*spec);
  const std::string ds = AsciiLower(dataset);
  const std::string key = StrCat(ds, "\n", canonical);
  char id[17];
  std::snprintf(id, sizeof(id), "%016llx", static_cast<unsigned long long>(XXH3_64bits(key.data(), key.size())));
  std::string body = query::QuerySpecToJson(*spec, id);
  {
    std::lock_guard lock(mutex_);
    queries_[id] = {ds, std::move(*spec)};
  }
  reply(MakeResponse(request, http::status::ok, "application/json", std::move(body)));
}

void HoneycombApi::GetQuery(HttpRequest& request, const std::string& dataset, const std::string& id, HttpReply& reply) {
  if (absl::Status s = CheckKey(request, auth::KeyScope::kQuery); !s.ok()) return reply(JsonError(request, s));
  std::string body;
  {
    std::lock_guard lock(mutex_);
    auto it = queries_.find(id);
    if (it == queries_.end() || it->second.dataset != AsciiLower(dataset)) {
      return reply(JsonError(request, absl::NotFoundError(StrCat("query ", id, " not found in dataset ", dataset))));
    }
    body = query::QuerySpecToJson(it->second.spec, id);
  }
  reply(MakeResponse(request, http::status::ok, "application/json", std::move(body)));
}

void HoneycombApi::CreateQueryResult(HttpRequest& request, const std::string& dataset, HttpReply& reply) {
  if (absl::Status s = CheckKey(request, auth::KeyScope::kQuery); !s.ok()) return reply(JsonError(request, s));
  Json doc = Json::parse(request.body(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("query_id") || !doc["query_id"].is_string()) {
    return reply(JsonError(request, absl::InvalidArgumentError(
                                        "query_id: required; create the query with POST /1/queries/{dataset} first")));
  }
  auto run = std::make_shared<QueryRun>();
  std::string body;
  run->dataset = AsciiLower(dataset);
  run->query_id = doc["query_id"].get<std::string>();
  if (auto it = doc.find("disable_series"); it != doc.end() && it->is_boolean()) run->disable_series = it->get<bool>();
  if (auto it = doc.find("limit"); it != doc.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 10000) {
      return reply(JsonError(request, absl::InvalidArgumentError("limit: must be between 1 and 10000")));
    }
    run->limit = static_cast<int>(it->get<int64_t>());
  }
  {
    std::lock_guard lock(mutex_);
    auto q = queries_.find(run->query_id);
    if (q == queries_.end() || q->second.dataset != run->dataset) {
      return reply(JsonError(request, absl::NotFoundError(StrCat("query ", run->query_id, " not found in dataset ", dataset,
                                                                 "; create it with POST /1/queries/", dataset))));
    }
    run->id = StrCat("r", next_run_++);
    runs_[run->id] = run;
    run_order_.push_back(run->id);
    while (run_order_.size() > options_.kept_results) {
      auto old = runs_.find(run_order_.front());
      if (old != runs_.end()) old->second->cancelled = true, runs_.erase(old);
      run_order_.pop_front();
    }
    pending_.push_back(run);
    wake_.notify_one();
    body = ResultJson(*run, request);
  }
  reply(MakeResponse(request, http::status::created, "application/json", std::move(body)));
}

std::string HoneycombApi::ResultJson(const QueryRun& run, const HttpRequest& request) const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("id").String(run.id).Key("query_id").String(run.query_id).Key("complete").Bool(run.complete);
  w.Key("links").BeginObject().Key("query_url");
  w.String(StrCat("http://", HeaderValue(request, "host"), "/query/", run.dataset, "?query_id=", run.query_id));
  w.Key("graph_image_url").String("").EndObject();
  if (run.complete) w.Key("data").Raw(run.data_json).Key("stats").Raw(run.stats_json);
  w.EndObject();
  return out;
}

void HoneycombApi::GetQueryResult(HttpRequest& request, const std::string& dataset, const std::string& id,
                                  HttpReply& reply) {
  if (absl::Status s = CheckKey(request, auth::KeyScope::kQuery); !s.ok()) return reply(JsonError(request, s));
  absl::Status failure;
  std::string body;
  {
    std::lock_guard lock(mutex_);
    auto it = runs_.find(id);
    if (it == runs_.end() || it->second->dataset != AsciiLower(dataset)) {
      failure = absl::NotFoundError(StrCat("query result ", id, " not found in dataset ", dataset));
    } else if (it->second->complete && !it->second->status.ok()) {
      failure = it->second->status;
    } else {
      body = ResultJson(*it->second, request);
    }
  }
  if (!failure.ok()) return reply(JsonError(request, failure));
  reply(MakeResponse(request, http::status::ok, "application/json", std::move(body)));
}

void HoneycombApi::CancelQueryResult(HttpRequest& request, const std::string& dataset, const std::string& id,
                                     HttpReply& reply) {
  if (absl::Status s = CheckKey(request, auth::KeyScope::kQuery); !s.ok()) return reply(JsonError(request, s));
  {
    std::lock_guard lock(mutex_);
    auto it = runs_.find(id);
    if (it == runs_.end() || it->second->dataset != AsciiLower(dataset)) {
      return reply(JsonError(request, absl::NotFoundError(StrCat("query result ", id, " not found in dataset ", dataset))));
    }
    // A queued run is dropped when a worker takes it; a running one stops at its next block.
    it->second->cancelled = true;
  }
  reply(MakeResponse(request, http::status::no_content, "application/json", ""));
}

void HoneycombApi::WorkerLoop() {
  while (true) {
    std::shared_ptr<QueryRun> run;
    std::function<void(bool)> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !pending_.empty() || !tasks_.empty(); });
      if (stopping_) return;
      if (!tasks_.empty()) {
        task = std::move(tasks_.front());
        tasks_.pop_front();
      } else {
        run = std::move(pending_.front());
        pending_.pop_front();
      }
    }
    if (task) {
      task(true);
    } else {
      Run(*run);
    }
  }
}

void HoneycombApi::Run(QueryRun& run) {
  std::optional<query::QuerySpec> spec;
  {
    std::lock_guard lock(mutex_);
    auto q = queries_.find(run.query_id);
    if (q != queries_.end()) spec = q->second.spec;
  }
  auto finish = [&](absl::Status status, std::string data, std::string stats) {
    std::lock_guard lock(mutex_);
    run.status = std::move(status);
    run.data_json = std::move(data);
    run.stats_json = std::move(stats);
    run.complete = true;
  };
  if (!spec) return finish(absl::NotFoundError(StrCat("query ", run.query_id, " is gone")), "", "");
  query::ResolveTimes(*spec, UnixSecondsNow());
  if (run.limit > 0) spec->limit = std::min(run.limit, 10000);
  query::QueryOptions options;
  if (run.dataset != "__all__") options.datasets = {run.dataset};
  options.threads = options_.threads_per_query;
  options.memory_budget_bytes = options_.query_memory_bytes;
  options.series = !run.disable_series;
  options.cancelled = &run.cancelled;
  options.deadline = std::chrono::steady_clock::now() + options_.query_timeout;
  auto result = query::ExecuteQuery(store_, *spec, options);
  if (!result.ok()) {
    spdlog::warn("query {} on {} failed: {}", run.query_id, run.dataset, result.status().ToString());
    return finish(result.status(), "", "");
  }
  const query::QueryStats& st = result->stats;
  metrics::QueryLatency("honeycomb").Observe(st.seconds);
  std::string stats;
  JsonWriter(&stats)
      .BeginObject()
      .Key("units").Int(static_cast<int64_t>(st.units_total))
      .Key("units_skipped").Int(static_cast<int64_t>(st.units_skipped))
      .Key("rows_scanned").Int(static_cast<int64_t>(st.rows_scanned))
      .Key("rows_matched").Int(static_cast<int64_t>(st.rows_matched))
      .Key("seconds").Double(st.seconds)
      .Key("exact_percentiles").Bool(st.exact_percentiles)
      .EndObject();
  finish(absl::OkStatus(), query::QueryResultData(*result), std::move(stats));
}

namespace {

absl::StatusOr<query::BubbleUpSelection> ParseSelection(const Json& doc) {
  auto it = doc.find("selection");
  if (it == doc.end() || !it->is_object()) {
    return absl::InvalidArgumentError(
        "selection: required, {\"column\", \"start_time\", \"end_time\", \"min\", \"max\"} (a heatmap region)");
  }
  query::BubbleUpSelection selection;
  if (auto c = it->find("column"); c != it->end()) {
    if (!c->is_string() || c->get<std::string>().empty()) return absl::InvalidArgumentError("selection.column: a column name");
    selection.column = c->get<std::string>();
  }
  for (auto [name, out] : {std::pair{"start_time", &selection.start_time}, std::pair{"end_time", &selection.end_time}}) {
    auto v = it->find(name);
    if (v == it->end() || !v->is_number() || std::fabs(v->get<double>()) > 1e11) {
      return absl::InvalidArgumentError(StrCat("selection.", name, ": required, unix seconds"));
    }
    *out = static_cast<int64_t>(v->get<double>());
  }
  for (auto [name, out] : {std::pair{"min", &selection.min_value}, std::pair{"max", &selection.max_value}}) {
    auto v = it->find(name);
    if (v == it->end() || !v->is_number()) return absl::InvalidArgumentError(StrCat("selection.", name, ": required, a number"));
    *out = v->get<double>();
  }
  return selection;
}

Json BubbleUpJson(const query::BubbleUpResult& r) {
  Json dimensions = Json::array();
  for (const query::BubbleUpDimension& d : r.dimensions) {
    Json bars = Json::array();
    for (const query::BubbleUpBar& b : d.bars) {
      Json bar = {{"label", b.label}, {"selection", b.selection}, {"baseline", b.baseline}};
      if (b.lo) bar["lo"] = *b.lo, bar["hi"] = *b.hi;
      bars.push_back(std::move(bar));
    }
    dimensions.push_back({{"column", d.column}, {"binned", d.binned}, {"score", d.score},
                          {"selection_missing", d.selection_missing}, {"baseline_missing", d.baseline_missing},
                          {"bars", std::move(bars)}});
  }
  return {{"selection_count", r.selection_count},
          {"baseline_count", r.baseline_count},
          {"selection_examined", r.selection_examined},
          {"baseline_examined", r.baseline_examined},
          {"dimensions", std::move(dimensions)},
          {"stats",
           {{"units", r.stats.units_total},
            {"units_skipped", r.stats.units_skipped},
            {"rows_scanned", r.stats.rows_scanned},
            {"rows_matched", r.stats.rows_matched},
            {"seconds", r.stats.seconds}}}};
}

}  // namespace

void HoneycombApi::BubbleUp(HttpRequest& request, const std::string& dataset, HttpReply& reply) {
  if (absl::Status s = CheckKey(request, auth::KeyScope::kQuery); !s.ok()) return reply(JsonError(request, s));
  if (dataset.empty() || dataset.find('/') != std::string::npos) {
    return reply(JsonError(request, absl::InvalidArgumentError("the URL needs a dataset: /api/bubbleup/{dataset}")));
  }
  Json doc = Json::parse(request.body(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return reply(JsonError(request, absl::InvalidArgumentError(
                                        "the body must be a JSON object: {\"query\": {query spec}, \"selection\": {...}}")));
  }
  auto q = doc.find("query");
  if (q == doc.end() || !q->is_object()) {
    return reply(JsonError(request, absl::InvalidArgumentError("query: required, the heatmap's query spec")));
  }
  auto spec = query::ParseQuerySpec(q->dump(), UnixSecondsNow());
  if (!spec.ok()) return reply(JsonError(request, spec.status()));
  auto selection = ParseSelection(doc);
  if (!selection.ok()) return reply(JsonError(request, selection.status()));

  query::BubbleUpOptions options;
  if (AsciiLower(dataset) != "__all__") options.datasets = {AsciiLower(dataset)};
  options.threads = options_.threads_per_query;
  options.deadline = std::chrono::steady_clock::now() + options_.query_timeout;
  auto task = [this, spec = std::move(*spec), selection = *selection, options, reply,
               request = std::make_shared<HttpRequest>(std::move(request))](bool run) {
    if (!run) return reply(JsonError(*request, absl::UnavailableError("Waggle is shutting down")));
    auto result = query::ExecuteBubbleUp(store_, spec, selection, options);
    if (!result.ok()) return reply(JsonError(*request, result.status()));
    metrics::QueryLatency("bubbleup").Observe(result->stats.seconds);
    reply(MakeResponse(*request, http::status::ok, "application/json",
                       BubbleUpJson(*result).dump(-1, ' ', false, Json::error_handler_t::replace)));
  };
  std::lock_guard lock(mutex_);
  if (stopping_ || tasks_.size() >= 16) {
    HttpResponse response = JsonError(request, absl::UnavailableError("too many BubbleUp requests waiting; retry shortly"));
    response.result(http::status::too_many_requests);
    return reply(std::move(response));
  }
  tasks_.push_back(std::move(task));
  wake_.notify_one();
}

void HoneycombApi::Columns(HttpRequest& request, const std::string& dataset, HttpReply& reply) {
  if (absl::Status s = CheckKey(request, auth::KeyScope::kQuery); !s.ok()) return reply(JsonError(request, s));
  store::ScanRange range;
  if (AsciiLower(dataset) != "__all__") range.datasets = {AsciiLower(dataset)};
  auto units = store_.Scan(range);
  if (!units.ok()) return reply(JsonError(request, units.status()));
  struct Seen {
    std::set<std::string> types;
    int64_t last_written = 0;
  };
  std::map<std::string, Seen> columns;
  bool any_spans = false;
  int64_t last_span = 0;
  for (const auto& unit : *units) {
    if (absl::Status loaded = unit->Load(); !loaded.ok()) return reply(JsonError(request, loaded));
    const auto& descriptors = unit->columns();
    for (size_t c = static_cast<size_t>(store::FixedColumn::kCount); c < descriptors.size(); ++c) {
      Seen& seen = columns[descriptors[c].key];
      seen.types.insert(ColumnTypeName(descriptors[c].type));
      seen.last_written = std::max(seen.last_written, unit->max_time());
    }
    if (HoldsSpans(*unit)) any_spans = true, last_span = std::max(last_span, unit->max_time());
  }
  if (any_spans) {
    for (const auto& [name, type] : query::FixedFields()) {
      Seen& seen = columns[name];
      seen.types.insert(ValueTypeName(type));
      seen.last_written = std::max(seen.last_written, last_span);
    }
  }
  if (columns.empty() && AsciiLower(dataset) != "__all__") {
    return reply(JsonError(request, absl::NotFoundError(StrCat("dataset '", dataset, "' has no events"))));
  }
  Json list = Json::array();
  for (const auto& [name, seen] : columns) {
    // One type per column, as Honeycomb shows it; a column sent with several types is a string.
    const std::string type = seen.types.size() == 1 ? *seen.types.begin() : "string";
    list.push_back({{"id", name},
                    {"key_name", name},
                    {"type", type},
                    {"description", seen.types.size() > 1 ? StrCat("sent with several types") : ""},
                    {"hidden", false},
                    {"last_written", query::FormatRfc3339(seen.last_written / 1000000000)}});
  }
  reply(JsonResponse(request, http::status::ok, list));
}

void HoneycombApi::Datasets(HttpRequest& request, HttpReply& reply) {
  if (absl::Status s = CheckKey(request, auth::KeyScope::kQuery); !s.ok()) return reply(JsonError(request, s));
  auto units = store_.Scan(store::ScanRange{});
  if (!units.ok()) return reply(JsonError(request, units.status()));
  std::map<std::string, std::pair<std::string, int64_t>> datasets;  // slug -> name, last written
  for (const auto& unit : *units) {
    auto& entry = datasets[AsciiLower(unit->dataset())];
    if (entry.first.empty()) entry.first = unit->dataset();
    entry.second = std::max(entry.second, unit->max_time());
  }
  Json list = Json::array();
  for (const auto& [slug, entry] : datasets) {
    list.push_back({{"name", entry.first},
                    {"slug", slug},
                    {"description", ""},
                    {"last_written_at", query::FormatRfc3339(entry.second / 1000000000)}});
  }
  reply(JsonResponse(request, http::status::ok, list));
}

void HoneycombApi::Auth(HttpRequest& request, HttpReply& reply) {
  std::optional<std::string_view> key;
  if (auto it = request.find("x-honeycomb-team"); it != request.end()) {
    key = std::string_view(it->value().data(), it->value().size());
  }
  const bool ingest = keys_.Check(key, auth::KeyScope::kIngest).ok();
  const bool query = keys_.Check(key, auth::KeyScope::kQuery).ok();
  if (!ingest && !query) return reply(JsonError(request, keys_.Check(key, auth::KeyScope::kIngest)));
  Json doc = {{"id", "waggle"},
              {"type", "configuration"},
              {"api_key_access",
               {{"events", ingest}, {"markers", ingest}, {"triggers", false}, {"boards", false},
                {"queries", query}, {"columns", query}, {"createDatasets", ingest}}},
              {"team", {{"name", options_.team}, {"slug", options_.team}}},
              {"environment", {{"name", options_.team}, {"slug", options_.team}}}};
  reply(JsonResponse(request, http::status::ok, doc));
}

}  // namespace waggle::api
