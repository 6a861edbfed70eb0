#include "api/xray_api.h"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "api/http_errors.h"
#include "common/strings.h"
#include "common/wall_clock.h"
#include "query/query_executor.h"
#include "xray/segment_document.h"
#include "xray/service_graph.h"

namespace waggle::api {
namespace {

namespace http = boost::beast::http;
using Json = nlohmann::json;

double NowSeconds() { return static_cast<double>(UnixNanosNow()) / 1e9; }

HttpResponse XrayJson(const HttpRequest& request, const Json& body) {
  return MakeResponse(request, http::status::ok, "application/json",
                      body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

// X-Ray's error shape: the code in x-amzn-ErrorType and __type, the text in message (botocore
// prints "An error occurred (Code) when calling the Op operation: message").
HttpResponse XrayError(const HttpRequest& request, http::status status, std::string_view type, std::string_view message) {
  Json body = {{"__type", type}, {"message", message}};
  HttpResponse response = MakeResponse(request, status, "application/json", body.dump(-1, ' ', false, Json::error_handler_t::replace));
  response.set("x-amzn-ErrorType", std::string(type));
  AddRetryAfter(response);
  return response;
}

HttpResponse XrayError(const HttpRequest& request, const absl::Status& status) {
  const ErrorAnswer& answer = AnswerFor(status);
  return XrayError(request, answer.xray_http, answer.xray_type, std::string(status.message()));
}

std::optional<double> TimeField(const Json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {
    char* end = nullptr;
    std::string s = it->get<std::string>();
    double v = std::strtod(s.c_str(), &end);
    if (end && *end == '\0' && !s.empty()) return v;
  }
  return std::nullopt;
}

absl::StatusOr<std::pair<double, double>> TimeRange(const Json& body) {
  auto start = TimeField(body, "StartTime");
  auto end = TimeField(body, "EndTime");
  if (!start || !end) return absl::InvalidArgumentError("StartTime and EndTime are required, as epoch seconds");
  if (!std::isfinite(*start) || !std::isfinite(*end) || *start < 0 || *end > 1e11) {
    return absl::InvalidArgumentError("StartTime and EndTime: epoch seconds");
  }
  if (*end <= *start) return absl::InvalidArgumentError("EndTime must be after StartTime");
  return std::make_pair(*start, *end);
}

// The resource an operation names by ARN or by name (GroupARN/GroupName, RuleARN/RuleName).
std::string ArnOrName(const Json& body, const char* arn_key, const char* name_key) {
  auto text = [&](const char* key) {
    auto it = body.find(key);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string arn = text(arn_key);
  return arn.empty() ? text(name_key) : arn;
}

bool BoolField(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::string StringField(const Json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

// The few operations Waggle has nothing to say about (insights, resource policies, tags):
// the shape an account with none of them gets.
const std::vector<std::pair<std::string_view, const char*>>& EmptyResponses() {
  static const auto* table = new std::vector<std::pair<std::string_view, const char*>>{
      {"/InsightSummaries", R"({"InsightSummaries":[]})"},
      {"/InsightEvents", R"({"InsightEvents":[]})"},
      {"/ListResourcePolicies", R"({"ResourcePolicies":[]})"},
      {"/ListTagsForResource", R"({"Tags":[]})"},
      {"/TagResource", "{}"},
      {"/UntagResource", "{}"},
  };
  return *table;
}

}  // namespace

XrayApi::XrayApi(store::Store& store, xray::XrayConfigStore& config, xray::SegmentIngest& ingest, XrayApiOptions options)
    : store_(store), config_(config), ingest_(ingest), options_(std::move(options)) {
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "waggle-xray");
      WorkerLoop();
    });
  }
}

XrayApi::~XrayApi() { Stop(); }

void XrayApi::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void XrayApi::WorkerLoop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to answer
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

bool XrayApi::Handle(HttpRequest& request, std::string_view path, HttpReply& reply) {
  struct Route {
    std::string_view path;
    Operation operation;
    bool on_worker;  // reads traces: off the HTTP threads
  };
  static const Route kRoutes[] = {
      {"/TraceSegments", &XrayApi::PutTraceSegments, false},
      {"/TelemetryRecords", &XrayApi::PutTelemetryRecords, false},
      {"/Traces", &XrayApi::BatchGetTraces, true},
      {"/TraceSummaries", &XrayApi::GetTraceSummaries, true},
      {"/TraceGraph", &XrayApi::GetTraceGraph, true},
      {"/ServiceGraph", &XrayApi::GetServiceGraph, true},
      {"/TimeSeriesServiceStatistics", &XrayApi::GetTimeSeriesServiceStatistics, true},
      {"/CreateGroup", &XrayApi::CreateGroup, false},
      {"/GetGroup", &XrayApi::GetGroup, false},
      {"/Groups", &XrayApi::GetGroups, false},
      {"/UpdateGroup", &XrayApi::UpdateGroup, false},
      {"/DeleteGroup", &XrayApi::DeleteGroup, false},
      {"/CreateSamplingRule", &XrayApi::CreateSamplingRule, false},
      {"/GetSamplingRules", &XrayApi::GetSamplingRules, false},
      {"/UpdateSamplingRule", &XrayApi::UpdateSamplingRule, false},
      {"/DeleteSamplingRule", &XrayApi::DeleteSamplingRule, false},
      {"/SamplingTargets", &XrayApi::GetSamplingTargets, false},
      {"/SamplingStatisticSummaries", &XrayApi::GetSamplingStatisticSummaries, false},
      {"/EncryptionConfig", &XrayApi::GetEncryptionConfig, false},
  };
  const Route* route = nullptr;
  for (const Route& r : kRoutes) {
    if (r.path == path) route = &r;
  }
  bool empty_response = std::any_of(EmptyResponses().begin(), EmptyResponses().end(),
                                    [&](const auto& e) { return e.first == path; });
  if (!route && !empty_response) return false;
  if (request.method() != http::verb::post) {
    HttpResponse response = XrayError(request, http::status::method_not_allowed, "InvalidRequestException",
                                      StrCat("use POST for ", path));
    response.set(http::field::allow, "POST");
    reply(std::move(response));
    return true;
  }
  // A Waggle API key (the web UI), else SigV4 unless Waggle runs open on loopback with no
  // access key configured.
  bool by_api_key = false;
  if (auto it = request.find("x-honeycomb-team"); it != request.end() && options_.api_keys != nullptr &&
                                                  !options_.api_keys->open()) {
    const bool writes = path.starts_with("/Create") || path.starts_with("/Update") || path.starts_with("/Delete") ||
                        path == "/TraceSegments" || path == "/TelemetryRecords";
    const absl::Status status = options_.api_keys->Check(std::string_view(it->value().data(), it->value().size()),
                                                         writes ? auth::KeyScope::kAll : auth::KeyScope::kQuery);
    if (!status.ok()) {
      reply(XrayError(request, http::status::forbidden, "AccessDeniedException", std::string(status.message())));
      return true;
    }
    by_api_key = true;
  }
  if (!options_.allow_unsigned && !by_api_key) {
    if (options_.access_keys.empty() && !options_.server_has_access_keys) {
      reply(XrayError(request, http::status::forbidden, "AccessDeniedException",
                      options_.api_keys != nullptr && !options_.api_keys->open()
                          ? "the X-Ray API needs a key: send a Waggle API key in x-honeycomb-team, or configure "
                            "--aws-access-key ID:SECRET and sign requests"
                          : "the X-Ray API is reachable beyond loopback: configure --aws-access-key ID:SECRET and sign "
                            "requests"));
      return true;
    }
    xray::SigV4Request signed_request{
        std::string_view(request.method_string().data(), request.method_string().size()),
        std::string_view(request.target().data(), request.target().size()),
        [&request](std::string_view name) -> std::optional<std::string> {
          auto it = request.find(boost::beast::string_view(name.data(), name.size()));
          if (it == request.end()) return std::nullopt;
          return std::string(it->value().data(), it->value().size());
        },
        request.body()};
    if (auto failure = xray::VerifySigV4(signed_request, options_.access_keys, UnixSecondsNow())) {
      reply(XrayError(request, http::status::forbidden, failure->code, failure->message));
      return true;
    }
  }
  if (!route) {
    for (const auto& [p, body] : EmptyResponses()) {
      if (p == path) reply(MakeResponse(request, http::status::ok, "application/json", body));
    }
    return true;
  }
  Dispatch(route->operation, route->on_worker, request, reply);
  return true;
}

void XrayApi::HandleDaemon(HttpRequest&& request, HttpReply reply) {
  std::string_view target(request.target().data(), request.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  if (request.method() == http::verb::post && path == "/GetSamplingRules") {
    return Dispatch(&XrayApi::GetSamplingRules, false, request, reply);
  }
  if (request.method() == http::verb::post && path == "/SamplingTargets") {
    return Dispatch(&XrayApi::GetSamplingTargets, false, request, reply);
  }
  reply(XrayError(request, http::status::not_found, "InvalidRequestException",
                  StrCat("the daemon port answers POST /GetSamplingRules and POST /SamplingTargets, not ",
                         request.method_string().to_string(), " ", path)));
}

void XrayApi::Dispatch(Operation operation, bool on_worker, HttpRequest& request, HttpReply& reply) {
  Json body = Json::object();
  if (!TrimAsciiWhitespace(request.body()).empty()) {
    body = Json::parse(request.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return reply(XrayError(request, http::status::bad_request, "InvalidRequestException",
                             "the request body must be a JSON object"));
    }
  }
  if (!on_worker) return Run(operation, body, reply, request);
  // Answers need only the request's version and keep-alive.
  auto shell = std::make_shared<HttpRequest>();
  shell->version(request.version());
  shell->keep_alive(request.keep_alive());
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && queue_.size() < options_.max_queued) {
      queue_.push_back([this, operation, body = std::move(body), reply = std::move(reply), shell]() mutable {
        Run(operation, body, reply, *shell);
      });
      wake_.notify_one();
      return;
    }
  }
  reply(XrayError(request, http::status::too_many_requests, "ThrottledException",
                  "too many X-Ray queries are waiting; retry shortly"));
}

// Handlers read request JSON with checks, but nlohmann::json throws on a type it did not
// expect; a request that gets past a check that way is a bad request, never a crash.
void XrayApi::Run(Operation operation, const Json& body, HttpReply& reply, const HttpRequest& request) {
  try {
    (this->*operation)(body, reply, request);
  } catch (const Json::exception& e) {
    reply(XrayError(request, http::status::bad_request, "InvalidRequestException",
                    StrCat("a field has the wrong type: ", e.what())));
  }
}

// --- segments in ----------------------------------------------------------------------------

void XrayApi::PutTraceSegments(const Json& body, HttpReply& reply, const HttpRequest& request) {
  auto docs = body.find("TraceSegmentDocuments");
  if (docs == body.end() || !docs->is_array()) {
    return reply(XrayError(request, absl::InvalidArgumentError("TraceSegmentDocuments: required, a list of JSON strings")));
  }
  std::vector<std::string> texts;
  for (const Json& d : *docs) texts.push_back(d.is_string() ? d.get<std::string>() : d.dump());
  std::vector<std::string_view> views(texts.begin(), texts.end());
  xray::MappedDocuments mapped = ingest_.Map(views);
  Json unprocessed = Json::array();
  for (const auto& u : mapped.unprocessed) {
    unprocessed.push_back({{"Id", u.id}, {"ErrorCode", "InvalidSegment"}, {"Message", u.message}});
  }
  if (mapped.rows.empty()) return reply(XrayJson(request, {{"UnprocessedTraceSegments", unprocessed}}));
  auto shell = std::make_shared<HttpRequest>();
  shell->version(request.version());
  shell->keep_alive(request.keep_alive());
  ingest_.Append(std::move(mapped.rows),
                 [reply = std::move(reply), shell, unprocessed = std::move(unprocessed)](absl::Status status) {
                   if (!status.ok()) return reply(XrayError(*shell, status));
                   reply(XrayJson(*shell, {{"UnprocessedTraceSegments", unprocessed}}));
                 });
}

void XrayApi::PutTelemetryRecords(const Json& body, HttpReply& reply, const HttpRequest& request) {
  auto records = body.find("TelemetryRecords");
  if (records == body.end() || !records->is_array()) {
    return reply(XrayError(request, absl::InvalidArgumentError("TelemetryRecords: required, a list")));
  }
  reply(XrayJson(request, Json::object()));
}

// --- traces out -----------------------------------------------------------------------------

xray::FilterExpression::GroupLookup XrayApi::Groups() const {
  return [this](std::string_view, std::string_view value) -> std::optional<std::string> {
    auto group = config_.FindGroup(value);
    if (!group) return std::nullopt;
    return group->filter_expression;
  };
}

absl::StatusOr<xray::FilterExpression> XrayApi::GroupFilter(const Json& body) {
  std::string group = ArnOrName(body, "GroupARN", "GroupName");
  if (group.empty()) return xray::FilterExpression::Parse("");
  auto found = config_.FindGroup(group);
  if (!found) return absl::InvalidArgumentError(StrCat("group '", group, "' does not exist"));
  return xray::FilterExpression::Parse(found->filter_expression);
}

void XrayApi::BatchGetTraces(const Json& body, HttpReply& reply, const HttpRequest& request) {
  auto ids = body.find("TraceIds");
  if (ids == body.end() || !ids->is_array()) {
    return reply(XrayError(request, absl::InvalidArgumentError("TraceIds: required, a list of trace ids")));
  }
  Json traces = Json::array();
  Json unprocessed = Json::array();
  for (const Json& id_json : *ids) {
    std::string text = id_json.is_string() ? id_json.get<std::string>() : id_json.dump();
    auto id = xray::ParseXrayTraceId(text);
    if (!id) id = model::TraceId::FromHex(text);
    if (!id) {
      unprocessed.push_back(text);
      continue;
    }
    auto trace = xray::LoadTrace(store_, *id);
    if (!trace.ok()) return reply(XrayError(request, trace.status()));
    if (trace->nodes.empty()) {
      unprocessed.push_back(text);
      continue;
    }
    Json segments = Json::array();
    for (auto& [segment_id, document] : xray::SegmentDocuments(*trace)) {
      segments.push_back({{"Id", segment_id}, {"Document", document}});
    }
    traces.push_back({{"Id", xray::FormatXrayTraceId(*id)},
                      {"Duration", std::round(trace->Duration() * 1e6) / 1e6},
                      {"LimitExceeded", false},
                      {"Segments", std::move(segments)}});
  }
  reply(XrayJson(request, {{"Traces", traces}, {"UnprocessedTraceIds", unprocessed}}));
}

void XrayApi::GetTraceSummaries(const Json& body, HttpReply& reply, const HttpRequest& request) {
  auto range = TimeRange(body);
  if (!range.ok()) return reply(XrayError(request, range.status()));
  auto filter = xray::FilterExpression::Parse(StringField(body, "FilterExpression"));
  if (!filter.ok()) return reply(XrayError(request, filter.status()));
  size_t offset = 0;
  if (std::string token = StringField(body, "NextToken"); !token.empty()) {
    char* end = nullptr;
    offset = std::strtoull(token.c_str(), &end, 10);
    if (!end || *end != '\0') return reply(XrayError(request, absl::InvalidArgumentError("NextToken: not one Waggle gave")));
  }
  constexpr size_t kMaxCandidates = 20000;
  auto ids = xray::CandidateTraces(store_, range->first, range->second, kMaxCandidates, filter->Hint());
  if (!ids.ok()) return reply(XrayError(request, ids.status()));
  Json summaries = Json::array();
  auto groups = Groups();
  size_t at = std::min(offset, ids->size());
  const size_t stop = std::min(ids->size(), at + options_.traces_per_page);
  const size_t processed = stop - at;
  auto traces = xray::LoadTraces(store_, std::vector<model::TraceId>(ids->begin() + static_cast<ptrdiff_t>(at),
                                                       ids->begin() + static_cast<ptrdiff_t>(stop)));
  if (!traces.ok()) return reply(XrayError(request, traces.status()));
  for (const xray::XrayTrace& trace : *traces) {
    if (trace.nodes.empty() || !filter->Matches(trace, groups)) continue;
    summaries.push_back(xray::TraceSummary(trace));
  }
  Json out = {{"TraceSummaries", std::move(summaries)},
              {"ApproximateTime", std::floor(NowSeconds())},
              {"TracesProcessedCount", processed}};
  if (stop < ids->size()) out["NextToken"] = std::to_string(stop);
  reply(XrayJson(request, out));
}

void XrayApi::GetTraceGraph(const Json& body, HttpReply& reply, const HttpRequest& request) {
  auto ids = body.find("TraceIds");
  if (ids == body.end() || !ids->is_array()) {
    return reply(XrayError(request, absl::InvalidArgumentError("TraceIds: required, a list of trace ids")));
  }
  std::vector<xray::XrayTrace> traces;
  double start = 0, end = 0;
  for (const Json& id_json : *ids) {
    auto id = id_json.is_string() ? xray::ParseXrayTraceId(id_json.get<std::string>()) : std::nullopt;
    if (!id) return reply(XrayError(request, absl::InvalidArgumentError(StrCat("TraceIds: '", id_json.dump(), "' is not an X-Ray trace id"))));
    auto trace = xray::LoadTrace(store_, *id);
    if (!trace.ok()) return reply(XrayError(request, trace.status()));
    if (trace->nodes.empty()) continue;
    start = traces.empty() ? trace->start : std::min(start, trace->start);
    end = std::max(end, trace->end);
    traces.push_back(std::move(*trace));
  }
  std::vector<const xray::XrayTrace*> pointers;
  for (const auto& t : traces) pointers.push_back(&t);
  reply(XrayJson(request, xray::BuildServiceGraph(pointers, start, end)));
}

void XrayApi::GetServiceGraph(const Json& body, HttpReply& reply, const HttpRequest& request) {
  auto range = TimeRange(body);
  if (!range.ok()) return reply(XrayError(request, range.status()));
  auto filter = GroupFilter(body);
  if (!filter.ok()) return reply(XrayError(request, filter.status()));
  auto traces = xray::MatchingTraces(store_, range->first, range->second, *filter, Groups(), options_.max_graph_traces);
  if (!traces.ok()) return reply(XrayError(request, traces.status()));
  std::vector<const xray::XrayTrace*> pointers;
  for (const auto& t : *traces) pointers.push_back(&t);
  Json out = xray::BuildServiceGraph(pointers, range->first, range->second);
  out["StartTime"] = range->first;
  out["EndTime"] = range->second;
  out["ContainsOldGroupVersions"] = false;
  reply(XrayJson(request, out));
}

void XrayApi::GetTimeSeriesServiceStatistics(const Json& body, HttpReply& reply, const HttpRequest& request) {
  auto range = TimeRange(body);
  if (!range.ok()) return reply(XrayError(request, range.status()));
  auto group = GroupFilter(body);
  if (!group.ok()) return reply(XrayError(request, group.status()));
  auto entity = xray::FilterExpression::Parse(StringField(body, "EntitySelectorExpression"));
  if (!entity.ok()) return reply(XrayError(request, entity.status()));
  int64_t period = 60;
  if (auto p = body.find("Period"); p != body.end() && p->is_number()) {
    const double v = p->get<double>();
    period = std::isfinite(v) && std::abs(v) < 1e9 ? static_cast<int64_t>(v) : -1;
  }
  if (period < 60 || period % 60 != 0) {
    return reply(XrayError(request, absl::InvalidArgumentError("Period: a multiple of 60 seconds")));
  }
  auto traces = xray::MatchingTraces(store_, range->first, range->second, *group, Groups(), options_.max_graph_traces);
  if (!traces.ok()) return reply(XrayError(request, traces.status()));
  std::vector<const xray::XrayTrace*> pointers;
  auto groups = Groups();
  for (const auto& t : *traces) {
    if (entity->Matches(t, groups)) pointers.push_back(&t);
  }
  reply(XrayJson(request, {{"TimeSeriesServiceStatistics",
                            xray::TimeSeriesStatistics(pointers, entity->NamedServices(), range->first, range->second, period)},
                           {"ContainsOldGroupVersions", false}}));
}

// --- groups ---------------------------------------------------------------------------------

void XrayApi::CreateGroup(const Json& body, HttpReply& reply, const HttpRequest& request) {
  xray::Group group;
  group.name = StringField(body, "GroupName");
  group.filter_expression = StringField(body, "FilterExpression");
  if (auto filter = xray::FilterExpression::Parse(group.filter_expression); !filter.ok()) {
    return reply(XrayError(request, filter.status()));
  }
  if (auto it = body.find("InsightsConfiguration"); it != body.end() && it->is_object()) {
    group.insights_enabled = BoolField(*it, "InsightsEnabled");
    group.notifications_enabled = BoolField(*it, "NotificationsEnabled");
  }
  auto created = config_.CreateGroup(group);
  if (!created.ok()) {
    return reply(XrayError(request, created.status().code() == absl::StatusCode::kFailedPrecondition
                                        ? absl::InvalidArgumentError(created.status().message())
                                        : created.status()));
  }
  reply(XrayJson(request, {{"Group", created->ToJson()}}));
}

void XrayApi::GetGroup(const Json& body, HttpReply& reply, const HttpRequest& request) {
  std::string name = ArnOrName(body, "GroupARN", "GroupName");
  auto group = config_.FindGroup(name);
  if (!group) return reply(XrayError(request, absl::NotFoundError(StrCat("group '", name, "' does not exist"))));
  reply(XrayJson(request, {{"Group", group->ToJson()}}));
}

void XrayApi::GetGroups(const Json&, HttpReply& reply, const HttpRequest& request) {
  Json groups = Json::array();
  for (const xray::Group& g : config_.Groups()) groups.push_back(g.ToJson());
  reply(XrayJson(request, {{"Groups", groups}}));
}

void XrayApi::UpdateGroup(const Json& body, HttpReply& reply, const HttpRequest& request) {
  std::string name = ArnOrName(body, "GroupARN", "GroupName");
  std::optional<std::string> filter;
  if (body.contains("FilterExpression")) {
    filter = StringField(body, "FilterExpression");
    if (auto parsed = xray::FilterExpression::Parse(*filter); !parsed.ok()) return reply(XrayError(request, parsed.status()));
  }
  std::optional<bool> insights, notifications;
  if (auto it = body.find("InsightsConfiguration"); it != body.end() && it->is_object()) {
    if (it->contains("InsightsEnabled")) insights = BoolField(*it, "InsightsEnabled");
    if (it->contains("NotificationsEnabled")) notifications = BoolField(*it, "NotificationsEnabled");
  }
  auto updated = config_.UpdateGroup(name, filter, insights, notifications);
  if (!updated.ok()) return reply(XrayError(request, updated.status()));
  reply(XrayJson(request, {{"Group", updated->ToJson()}}));
}

void XrayApi::DeleteGroup(const Json& body, HttpReply& reply, const HttpRequest& request) {
  std::string name = ArnOrName(body, "GroupARN", "GroupName");
  if (absl::Status status = config_.DeleteGroup(name); !status.ok()) return reply(XrayError(request, status));
  reply(XrayJson(request, Json::object()));
}

// --- sampling -------------------------------------------------------------------------------

void XrayApi::CreateSamplingRule(const Json& body, HttpReply& reply, const HttpRequest& request) {
  auto rule = body.find("SamplingRule");
  if (rule == body.end()) return reply(XrayError(request, absl::InvalidArgumentError("SamplingRule: required")));
  auto created = config_.CreateRule(*rule);
  if (!created.ok()) return reply(XrayError(request, created.status()));
  reply(XrayJson(request, {{"SamplingRuleRecord", created->ToRecordJson()}}));
}

void XrayApi::GetSamplingRules(const Json&, HttpReply& reply, const HttpRequest& request) {
  Json records = Json::array();
  for (const xray::SamplingRule& r : config_.Rules()) records.push_back(r.ToRecordJson());
  reply(XrayJson(request, {{"SamplingRuleRecords", records}}));
}

void XrayApi::UpdateSamplingRule(const Json& body, HttpReply& reply, const HttpRequest& request) {
  auto update = body.find("SamplingRuleUpdate");
  if (update == body.end()) return reply(XrayError(request, absl::InvalidArgumentError("SamplingRuleUpdate: required")));
  auto updated = config_.UpdateRule(*update);
  if (!updated.ok()) return reply(XrayError(request, updated.status()));
  reply(XrayJson(request, {{"SamplingRuleRecord", updated->ToRecordJson()}}));
}

void XrayApi::DeleteSamplingRule(const Json& body, HttpReply& reply, const HttpRequest& request) {
  std::string name = ArnOrName(body, "RuleARN", "RuleName");
  if (name.empty()) return reply(XrayError(request, absl::InvalidArgumentError("give RuleName or RuleARN")));
  auto deleted = config_.DeleteRule(name);
  if (!deleted.ok()) return reply(XrayError(request, deleted.status()));
  reply(XrayJson(request, {{"SamplingRuleRecord", deleted->ToRecordJson()}}));
}

void XrayApi::GetSamplingTargets(const Json& body, HttpReply& reply, const HttpRequest& request) {
  auto response = targets_.Report(body, config_.Rules(), config_.LastRuleModification(), NowSeconds(),
                                  options_.node_share ? options_.node_share() : xray::NodeShare{});
  if (!response.ok()) return reply(XrayError(request, response.status()));
  reply(XrayJson(request, *response));
}

void XrayApi::GetSamplingStatisticSummaries(const Json&, HttpReply& reply, const HttpRequest& request) {
  reply(XrayJson(request, {{"SamplingStatisticSummaries", targets_.Summaries()}}));
}

void XrayApi::GetEncryptionConfig(const Json&, HttpReply& reply, const HttpRequest& request) {
  reply(XrayJson(request, {{"EncryptionConfig", {{"Status", "ACTIVE"}, {"Type", "NONE"}}}}));
}

}  // namespace waggle::api
