#include "loadgen/trace_generator.h"

#include <array>
#include <map>

namespace waggle::loadgen {
namespace {

namespace otlp = opentelemetry::proto;
using otlp::trace::v1::Span;

struct Route {
  const char* method;
  const char* route;
  int64_t typical_ms;
};
constexpr std::array<Route, 12> kRoutes = {{
    {"GET", "/api/activities/home", 40},   {"GET", "/api/activities/search", 120},
    {"POST", "/api/activities", 60},       {"GET", "/api/messages/@:handle", 35},
    {"POST", "/api/messages", 55},         {"GET", "/api/message_groups", 30},
    {"GET", "/api/profile/update", 25},    {"POST", "/api/profile/update", 80},
    {"GET", "/api/users/@:handle/short", 15}, {"GET", "/api/health-check", 2},
    {"POST", "/api/payments", 300},        {"GET", "/api/notifications", 45},
}};
constexpr std::array<const char*, 8> kStatements = {
    "SELECT * FROM activities WHERE user_uuid = $1 ORDER BY created_at DESC LIMIT 20",
    "SELECT uuid, handle, display_name FROM users WHERE handle = $1",
    "INSERT INTO activities (user_uuid, message, expires_at) VALUES ($1, $2, $3) RETURNING uuid",
    "SELECT * FROM message_groups WHERE $1 = ANY(user_uuids)",
    "INSERT INTO messages (message_group_uuid, user_uuid, message) VALUES ($1, $2, $3)",
    "UPDATE users SET bio = $1, display_name = $2 WHERE cognito_user_id = $3",
    "SELECT count(*) FROM notifications WHERE user_uuid = $1 AND read = false",
    "SELECT * FROM activities WHERE message ILIKE $1 LIMIT 50",
};
constexpr std::array<const char*, 5> kUserAgents = {
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148",
    "curl/8.5.0",
};
constexpr std::array<const char*, 3> kRegions = {"us-east-1", "us-west-2", "eu-central-1"};

void Put(Span* span, const char* key, const std::string& value) {
  auto* kv = span->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}
void Put(Span* span, const char* key, int64_t value) {
  auto* kv = span->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_int_value(value);
}
void PutDouble(Span* span, const char* key, double value) {
  auto* kv = span->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_double_value(value);
}
void PutBool(Span* span, const char* key, bool value) {
  auto* kv = span->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_bool_value(value);
}

class TraceBuilder {
 public:
  TraceBuilder(std::mt19937_64& rng, int64_t now,
               std::map<std::string, otlp::trace::v1::ScopeSpans*>& scopes,
               otlp::collector::trace::v1::ExportTraceServiceRequest* request)
      : rng_(rng), scopes_(scopes), request_(request), start_(now - Uniform(0, 1'000'000'000)) {
    for (uint8_t& b : trace_id_.bytes) b = static_cast<uint8_t>(rng_());
  }

  size_t Build() {
    const Route& route = kRoutes[Uniform(0, kRoutes.size() - 1)];
    const bool failed = Uniform(0, 99) < 2;
    const bool slow = Uniform(0, 99) < 1;
    const int64_t user = Uniform(1, 10000);
    const std::string host_suffix = std::to_string(Uniform(1, 5));
    const int64_t scale = slow ? Uniform(10, 50) : 1;
    int64_t backend_ms = std::max<int64_t>(1, route.typical_ms * scale * Uniform(50, 150) / 100);

    // frontend: server span for the page's API call, client span to the backend.
    Span* front = NewSpan("frontend", "frontend-" + host_suffix, std::string(route.method) + " " + route.route,
                          Span::SPAN_KIND_SERVER, nullptr, start_, (backend_ms + 3) * 1'000'000);
    HttpServerAttributes(front, route, user, failed);
    Span* call = NewSpan("frontend", "frontend-" + host_suffix, std::string("HTTP ") + route.method,
                         Span::SPAN_KIND_CLIENT, front, start_ + 1'000'000, (backend_ms + 1) * 1'000'000);
    Put(call, "http.method", route.method);
    Put(call, "http.url", std::string("http://backend-flask:4567") + route.route);
    Put(call, "net.peer.name", "backend-flask");
    Put(call, "http.status_code", int64_t{failed ? 500 : 200});

    // backend-flask: server span, database queries, maybe an external call, a template.
    const std::string backend_host = "backend-flask-" + std::to_string(Uniform(1, 20));
    const int64_t backend_start = start_ + 2'000'000;
    Span* server = NewSpan("backend-flask", backend_host, route.route, Span::SPAN_KIND_SERVER, call,
                           backend_start, backend_ms * 1'000'000);
    HttpServerAttributes(server, route, user, failed);
    Put(server, "app.session_id", "sess-" + std::to_string(Uniform(1, 50000)));
    int64_t t = backend_start + 200'000;
    const int64_t queries = Uniform(1, 4);
    for (int64_t q = 0; q < queries; ++q) {
      const int64_t query_ns = std::max<int64_t>(100'000, backend_ms * 1'000'000 / (queries + 2) * Uniform(20, 100) / 100);
      const char* statement = kStatements[Uniform(0, kStatements.size() - 1)];
      Span* db = NewSpan("backend-flask", backend_host, std::string(statement).substr(0, std::string(statement).find(' ')) + " cruddur",
                         Span::SPAN_KIND_CLIENT, server, t, query_ns);
      Put(db, "db.system", "postgresql");
      Put(db, "db.name", "cruddur");
      Put(db, "db.statement", statement);
      Put(db, "db.user", "cruddur_app");
      Put(db, "net.peer.name", "postgres");
      Put(db, "net.peer.port", int64_t{5432});
      Put(db, "db.rows_affected", Uniform(0, 50));
      t += query_ns + 50'000;
    }
    if (std::string_view(route.route) == "/api/payments" || Uniform(0, 9) == 0) {
      const int64_t ext_ns = Uniform(20, 250) * 1'000'000 * scale;
      Span* ext = NewSpan("backend-flask", backend_host, "POST payments-api", Span::SPAN_KIND_CLIENT, server,
                          t, ext_ns);
      Put(ext, "http.method", "POST");
      Put(ext, "http.url", "https://api.payments.example.com/v2/charges");
      Put(ext, "net.peer.name", "api.payments.example.com");
      Put(ext, "peer.service", "payments-api");
      Put(ext, "http.status_code", int64_t{failed ? 502 : 201});
      PutDouble(ext, "payment.amount", static_cast<double>(Uniform(100, 50000)) / 100.0);
      t += ext_ns;
    }
    Span* render = NewSpan("backend-flask", backend_host, "render_template", Span::SPAN_KIND_INTERNAL, server,
                           t, Uniform(100, 2000) * 1000);
    Put(render, "template.name", std::string(route.route).substr(5) + ".json");
    PutBool(render, "cache.hit", Uniform(0, 3) != 0);
    Put(render, "app.user_id", "user-" + std::to_string(user));
    if (failed) {
      server->mutable_status()->set_code(otlp::trace::v1::Status::STATUS_CODE_ERROR);
      server->mutable_status()->set_message("psycopg.OperationalError: connection reset");
      auto* event = server->add_events();
      event->set_name("exception");
      event->set_time_unix_nano(static_cast<uint64_t>(t));
      auto add = [&](const char* key, const char* value) {
        auto* kv = event->add_attributes();
        kv->set_key(key);
        kv->mutable_value()->set_string_value(value);
      };
      add("exception.type", "psycopg.OperationalError");
      add("exception.message", "connection reset by peer");
      add("exception.stacktrace", "Traceback (most recent call last):\n  File \"app.py\", line 88, in data_home\n");
      front->mutable_status()->set_code(otlp::trace::v1::Status::STATUS_CODE_ERROR);
    }
    return spans_;
  }

  const model::TraceId& trace_id() const { return trace_id_; }

 private:
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }

  Span* NewSpan(const std::string& service, const std::string& host, const std::string& name,
                Span::SpanKind kind, const Span* parent, int64_t start, int64_t duration) {
    const std::string key = service + "|" + host;
    auto it = scopes_.find(key);
    if (it == scopes_.end()) {
      auto* rs = request_->add_resource_spans();
      auto* resource = rs->mutable_resource();
      auto add = [&](const char* k, const std::string& v) {
        auto* kv = resource->add_attributes();
        kv->set_key(k);
        kv->mutable_value()->set_string_value(v);
      };
      add("service.name", service);
      add("service.version", service == "frontend" ? "2.14.0" : "1.9.3");
      add("deployment.environment", "production");
      add("host.name", host);
      add("cloud.region", kRegions[std::hash<std::string>{}(host) % kRegions.size()]);
      add("telemetry.sdk.name", "opentelemetry");
      add("telemetry.sdk.language", service == "frontend" ? "nodejs" : "python");
      add("telemetry.sdk.version", "1.24.0");
      auto* scope = rs->add_scope_spans();
      scope->mutable_scope()->set_name(service == "frontend" ? "@opentelemetry/instrumentation-http"
                                                             : "opentelemetry.instrumentation.flask");
      scope->mutable_scope()->set_version("0.45.0");
      it = scopes_.emplace(key, scope).first;
    }
    Span* span = it->second->add_spans();
    span->set_trace_id(std::string(trace_id_.AsBytes()));
    std::array<uint8_t, 8> id;
    for (uint8_t& b : id) b = static_cast<uint8_t>(rng_());
    span->set_span_id(std::string(reinterpret_cast<const char*>(id.data()), 8));
    if (parent != nullptr) span->set_parent_span_id(parent->span_id());
    span->set_name(name);
    span->set_kind(kind);
    span->set_start_time_unix_nano(static_cast<uint64_t>(start));
    span->set_end_time_unix_nano(static_cast<uint64_t>(start + duration));
    ++spans_;
    return span;
  }

  void HttpServerAttributes(Span* span, const Route& route, int64_t user, bool failed) {
    Put(span, "http.method", route.method);
    Put(span, "http.route", route.route);
    Put(span, "http.target", std::string(route.route) + "?page=" + std::to_string(Uniform(1, 5)));
    Put(span, "http.scheme", "https");
    Put(span, "http.status_code", int64_t{failed ? 500 : (Uniform(0, 49) == 0 ? 404 : 200)});
    Put(span, "http.user_agent", kUserAgents[Uniform(0, kUserAgents.size() - 1)]);
    Put(span, "net.host.port", int64_t{443});
    Put(span, "app.user_id", "user-" + std::to_string(user));
    Put(span, "http.response_content_length", Uniform(200, 40000));
  }

  std::mt19937_64& rng_;
  std::map<std::string, otlp::trace::v1::ScopeSpans*>& scopes_;
  otlp::collector::trace::v1::ExportTraceServiceRequest* request_;
  const int64_t start_;
  model::TraceId trace_id_;
  size_t spans_ = 0;
};

}  // namespace

TraceGenerator::TraceGenerator(uint64_t seed) : rng_(seed) {}

std::vector<model::TraceId> TraceGenerator::FillRequest(
    size_t min_spans, int64_t now_unix_nano,
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* request) {
  std::map<std::string, otlp::trace::v1::ScopeSpans*> scopes;
  std::vector<model::TraceId> ids;
  size_t spans = 0;
  while (spans < min_spans) {
    TraceBuilder trace(rng_, now_unix_nano, scopes, request);
    spans += trace.Build();
    ids.push_back(trace.trace_id());
  }
  return ids;
}

}  // namespace waggle::loadgen
