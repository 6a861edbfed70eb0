#include "api/server.h"

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/asio/ssl/context.hpp>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <spdlog/spdlog.h>

#include "api/http_errors.h"
#include "api/trace_renderer.h"
#include "store/clickhouse/clickhouse_store.h"
#include "store/column_cache.h"
#include <nlohmann/json.hpp>

#include "xray/segment_document.h"
#include "common/metrics.h"
#include "common/strings.h"

namespace waggle::api {

namespace http = boost::beast::http;

namespace {

struct TlsConfig {
  std::shared_ptr<boost::asio::ssl::context> context;
  std::string cert_pem;
  std::string key_pem;
};

absl::StatusOr<std::string> ReadPem(const std::string& path, std::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return absl::InvalidArgumentError(StrCat(flag, " ", path, ": cannot read it"));
  return std::move(text).str();
}

// TLS 1.2 and later, with the certificate chain and key of --tls-cert/--tls-key (PEM).
absl::StatusOr<TlsConfig> LoadTls(const std::string& cert, const std::string& key) {
  if (cert.empty() || key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together: give both PEM files, or neither");
  }
  TlsConfig tls;
  auto cert_pem = ReadPem(cert, "--tls-cert");
  if (!cert_pem.ok()) return cert_pem.status();
  auto key_pem = ReadPem(key, "--tls-key");
  if (!key_pem.ok()) return key_pem.status();
  tls.cert_pem = std::move(*cert_pem);
  tls.key_pem = std::move(*key_pem);
  namespace ssl = boost::asio::ssl;
  tls.context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  tls.context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                               ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                           ec);
  if (!ec) tls.context->use_certificate_chain(boost::asio::buffer(tls.cert_pem), ec);
  if (ec) return absl::InvalidArgumentError(StrCat("--tls-cert ", cert, ": not a PEM certificate chain: ", ec.message()));
  tls.context->use_private_key(boost::asio::buffer(tls.key_pem), ssl::context::pem, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("--tls-key ", key, ": not a PEM private key for the certificate: ", ec.message()));
  return tls;
}

// The protocol label of a request's path, for the metrics.
std::string_view ProtocolOfPath(std::string_view path) {
  if (path == "/v1/traces") return "otlp_http";
  if (path.starts_with("/1/events") || path.starts_with("/1/batch")) return "honeycomb";
  if (path.starts_with("/1/") || path.starts_with("/api/")) return "query";
  return "xray_api";
}

// The same for a request target (the path and its query string).
std::string_view ProtocolOfTarget(std::string_view target) { return ProtocolOfPath(target.substr(0, target.find('?'))); }

absl::Status CheckKey(const auth::ApiKeyRegistry& keys, const HttpRequest& request, auth::KeyScope scope) {
  std::optional<std::string_view> key;
  if (auto it = request.find("x-honeycomb-team"); it != request.end()) {
    key = std::string_view(it->value().data(), it->value().size());
  }
  return keys.Check(key, scope);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  if (options.api_keys.empty()) {
    for (const ListenAddress* address : {&options.http, &options.grpc, options.xray ? &*options.xray : &options.http}) {
      if (!address->IsLoopback()) {
        return absl::FailedPreconditionError(StrCat(
            "refusing to listen on ", address->ToString(),
            " without API keys: anyone who can reach it could write and read traces. Configure "
            "--api-key KEY[:ingest|query|all], or listen on 127.0.0.1"));
      }
    }
  }
  if (!IsValidTeamName(options.xray_team)) {
    return absl::InvalidArgumentError(StrCat("--xray-team '", options.xray_team.substr(0, 64),
                                             "': a team is 1-64 letters, digits, '_' or '-'"));
  }
  // Teams are the ones keys name, the default team and the daemon port's.
  std::map<std::string, std::string> team_of_secret;
  std::set<std::string> teams = {std::string(kDefaultTeam), options.xray_team};
  for (const auth::ApiKey& key : options.api_keys) {
    auto [it, added] = team_of_secret.emplace(key.secret, key.team);
    if (!added && it->second != key.team) {
      return absl::InvalidArgumentError(
          StrCat("--api-key: one key is given for teams '", it->second, "' and '", key.team, "'; a key belongs to one team"));
    }
    teams.insert(key.team);
  }
  std::unique_ptr<Server> server(new Server(options));
  for (const xray::AwsAccessKey& key : options.aws_access_keys) {
    auto [it, added] = server->team_of_access_key_.emplace(key.id, key.team);
    if (!added && it->second != key.team) {
      return absl::InvalidArgumentError(StrCat("--aws-access-key: access key id ", key.id, " is given for teams '",
                                               it->second, "' and '", key.team, "'"));
    }
    teams.insert(key.team);
  }

  if (options.clickhouse) {
    if (absl::Status schema = clickhouse::ClickHouseStore::CreateSchema(*options.clickhouse); !schema.ok()) return schema;
    auto nodes = clickhouse::NodeRegistry::Start(*options.clickhouse);
    if (!nodes.ok()) return nodes.status();
    server->nodes_ = std::move(*nodes);
  }
  const uint64_t budget = options.memory_budget_bytes;
  const uint64_t team_count = teams.size();
  // Decoded columns for queries, a quarter of the budget, shared by every team's parts.
  store::ColumnCache::Shared().SetCapacity(options.clickhouse ? 0 : budget / 4);
  for (const std::string& team : teams) {
    TenantOptions tenant;
    tenant.team = team;
    tenant.store = options.store;
    tenant.clickhouse = options.clickhouse;
    tenant.clickhouse_retry = options.clickhouse_retry;
    if (team != kDefaultTeam) tenant.store.data_dir = StrCat(options.store.data_dir, "/teams/", team);
    tenant.store.max_pending_bytes = std::min(tenant.store.max_pending_bytes, budget / 16 / team_count);
    // The active head, one frozen head waiting and one being written (decoded into events
    // while it is), within a sixteenth of the budget together.
    tenant.store.head_flush_bytes =
        std::max<uint64_t>(1, std::min(tenant.store.head_flush_bytes, budget / 48 / team_count));
    for (const auth::ApiKey& key : options.api_keys) {
      if (key.team == team) tenant.api_keys.push_back(key);
    }
    tenant.open = options.api_keys.empty();
    tenant.max_decoded_bytes = options.max_decoded_bytes;
    tenant.honeycomb = options.honeycomb;
    tenant.honeycomb.query_memory_bytes = std::min(tenant.honeycomb.query_memory_bytes, budget / 8 / team_count);
    tenant.honeycomb.max_decoded_bytes = options.max_decoded_bytes;
    for (const xray::AwsAccessKey& key : options.aws_access_keys) {
      if (key.team == team) tenant.xray.access_keys.push_back(key);
    }
    // Unsigned X-Ray API calls only while Waggle runs fully open (no key of either kind) on
    // loopback; with API keys configured a call needs SigV4 or one of those keys.
    tenant.xray.allow_unsigned =
        options.aws_access_keys.empty() && options.api_keys.empty() && options.http.IsLoopback();
    tenant.xray.server_has_access_keys = !options.aws_access_keys.empty();
    if (server->nodes_) tenant.xray.node_share = [nodes = server->nodes_.get()] { return nodes->Share(); };
    auto opened = Tenant::Open(std::move(tenant));
    if (!opened.ok()) return opened.status();
    server->tenant_of_team_[team] = opened->get();
    server->tenants_.push_back(std::move(*opened));
  }
  server->default_tenant_ = server->tenant_of_team_.at(std::string(kDefaultTeam));
  Server* self = server.get();
  server->otlp_grpc_ = std::make_unique<OtlpGrpcService>(
      [self](const std::optional<std::string>& key) -> ingest::OtlpTraceIngest& { return self->TenantForKey(key).ingest(); });

  const std::string ui_dir = options.ui_dir.empty() ? DefaultUiDirectory() : options.ui_dir;
  auto ui = UiAssets::Load(ui_dir);
  if (!ui.ok()) return ui.status();
  server->ui_ = std::move(*ui);
  if (server->ui_.empty()) {
    spdlog::warn("no web UI in {}: build it with scripts/build.sh (or give --ui-dir); the APIs work without it", ui_dir);
  }

  HttpServerOptions http_options;
  http_options.max_body_bytes = options.max_body_bytes;
  http_options.max_in_flight_bytes = std::max(budget / 16, options.max_body_bytes);
  http_options.header_timeout_ms = options.header_timeout.count();
  http_options.max_connections = options.max_connections;
  http_options.max_ingest_lag_ms = options.max_ingest_lag_ms;
  http_options.is_ingest = [](std::string_view target) {
    const std::string_view protocol = ProtocolOfTarget(target);
    return protocol == "otlp_http" || protocol == "honeycomb";
  };
  http_options.on_shed = [](std::string_view target) {
    metrics::RequestsShed(ProtocolOfTarget(target)).Increment();
  };
  std::optional<std::pair<std::string, std::string>> tls_pem;  // certificate chain, key
  if (!options.tls_cert.empty() || !options.tls_key.empty()) {
    auto tls = LoadTls(options.tls_cert, options.tls_key);
    if (!tls.ok()) return tls.status();
    http_options.tls = tls->context;
    tls_pem = std::make_pair(tls->cert_pem, tls->key_pem);
  }
  server->http_ = std::make_unique<HttpServer>(
      server->io_, http_options,
      [self](HttpRequest&& request, HttpReply reply) { self->Route(std::move(request), std::move(reply)); });
  auto http_address = server->http_->Listen(options.http);
  if (!http_address.ok()) return http_address.status();
  server->http_address_ = *http_address;

  grpc::ServerBuilder builder;
  int grpc_port = 0;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (tls_pem) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({tls_pem->second, tls_pem->first});
    credentials = grpc::SslServerCredentials(ssl);
  }
  builder.AddListeningPort(options.grpc.ToString(), credentials, &grpc_port);
  builder.RegisterService(server->otlp_grpc_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_decoded_bytes));
  grpc::ResourceQuota quota("waggle-grpc");
  quota.Resize(std::max<uint64_t>(budget / 16, options.max_decoded_bytes * 2));
  builder.SetResourceQuota(quota);
  server->grpc_ = builder.BuildAndStart();
  if (!server->grpc_ || grpc_port == 0) {
    return absl::UnavailableError(
        StrCat("--grpc ", options.grpc.ToString(), ": cannot listen (address in use or invalid)"));
  }
  server->grpc_address_ = ListenAddress{options.grpc.host, static_cast<uint16_t>(grpc_port)};

  if (options.xray) {
    Tenant& tenant = *server->tenant_of_team_.at(options.xray_team);
    auto daemon = XrayDaemon::Start(*options.xray, server->io_, tenant.segment_ingest(), tenant.xray_api());
    if (!daemon.ok()) return daemon.status();
    server->xray_daemon_ = std::move(*daemon);
  }

  for (int i = 0; i < std::max(1, options.io_threads); ++i) {
    server->io_threads_.emplace_back([self] {
      pthread_setname_np(pthread_self(), "waggle-http");
      self->io_.run();
    });
  }
  return server;
}

Server::Server(const ServerOptions& options)
    : options_(options), keys_(options.api_keys), routes_(MakeRoutes()), work_(boost::asio::make_work_guard(io_)) {}

Tenant* Server::tenant(std::string_view team) const {
  auto it = tenant_of_team_.find(team);
  return it == tenant_of_team_.end() ? nullptr : it->second;
}

Tenant& Server::TenantForKey(const std::optional<std::string_view>& key) const {
  std::optional<std::string> team = keys_.TeamOf(key);
  if (!team) return *default_tenant_;
  return *tenant_of_team_.at(*team);
}

Tenant& Server::TenantForRequest(const HttpRequest& request) const {
  if (auto it = request.find("x-honeycomb-team"); it != request.end()) {
    std::optional<std::string> team = keys_.TeamOf(std::string_view(it->value().data(), it->value().size()));
    if (team) return *tenant_of_team_.at(*team);
  }
  if (auto it = request.find(http::field::authorization); it != request.end() && !team_of_access_key_.empty()) {
    if (auto id = xray::SigV4AccessKeyId(std::string_view(it->value().data(), it->value().size()))) {
      if (auto team = team_of_access_key_.find(*id); team != team_of_access_key_.end()) {
        return *tenant_of_team_.at(team->second);
      }
    }
  }
  return *default_tenant_;
}

Server::~Server() { Shutdown(); }

std::optional<ListenAddress> Server::xray_address() const {
  if (!xray_daemon_) return std::nullopt;
  return xray_daemon_->address();
}


RouteTable Server::MakeRoutes() {
  using http::verb;
  RouteTable routes;
  routes
      .Add("/v1/traces", {verb::post},
           [this](HttpRequest& request, const RouteParams&, HttpReply& reply) {
             TenantForRequest(request).otlp_http().Handle(std::move(request), std::move(reply));
           })
      .Add("/api/traces/{id}", {verb::get},
           [this](HttpRequest& request, const RouteParams& params, HttpReply& reply) {
             LookupTrace(TenantForRequest(request), request, params[0], std::move(reply));
           })
      .Add("/api/status", {verb::get},
           [this](HttpRequest& request, const RouteParams&, HttpReply& reply) {
             StoreStatus(TenantForRequest(request), request, std::move(reply));
           })
      .Add("/healthz", {},
           [](HttpRequest& request, const RouteParams&, HttpReply& reply) {
             reply(MakeResponse(request, http::status::ok, "text/plain", "ok\n"));
           })
      .Add("/readyz", {},
           [this](HttpRequest& request, const RouteParams&, HttpReply& reply) {
             // Ready to take writes: started, not shutting down, the store open.
             if (shut_down_.load() || tenants_.empty()) {
               return reply(JsonError(request, absl::UnavailableError("shutting down")));
             }
             reply(MakeResponse(request, http::status::ok, "text/plain", "ready\n"));
           })
      .Add("/metrics", {verb::get}, [this](HttpRequest& request, const RouteParams&, HttpReply& reply) {
        reply(MakeResponse(request, http::status::ok, "text/plain; version=0.0.4; charset=utf-8", Metrics()));
      });
  return routes;
}

void Server::Route(HttpRequest&& request, HttpReply reply) {
  ++http_in_flight_;
  std::string_view target(request.target().data(), request.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  HttpReply counted = [this, reply = std::move(reply), protocol = ProtocolOfPath(path)](HttpResponse response) {
    if (response.result() == http::status::too_many_requests || response.result() == http::status::service_unavailable ||
        response.result() == http::status::insufficient_storage) {
      metrics::RequestsShed(protocol).Increment();
    }
    reply(std::move(response));
    --http_in_flight_;
  };

  if (routes_.Dispatch(request, path, counted)) return;
  Tenant& tenant = TenantForRequest(request);
  if (tenant.honeycomb().Handle(request, path, counted)) return;
  if (tenant.xray_api().Handle(request, path, counted)) return;
  if (request.method() == http::verb::get || request.method() == http::verb::head) {
    if (const UiAsset* asset = ui_.Find(path)) {
      HttpResponse response = MakeResponse(request, http::status::ok, asset->content_type, asset->body);
      response.set(http::field::cache_control, asset->immutable ? "public, max-age=31536000, immutable" : "no-cache");
      response.set("x-content-type-options", "nosniff");
      return counted(std::move(response));
    }
  }
  counted(JsonError(request, absl::NotFoundError(StrCat("no endpoint ", request.method_string().to_string(),
                                                        " ", path))));
}

void Server::LookupTrace(Tenant& tenant, const HttpRequest& request, std::string_view id, HttpReply reply) {
  if (absl::Status status = CheckKey(tenant.keys(), request, auth::KeyScope::kQuery); !status.ok()) {
    return reply(JsonError(request, status));
  }
  // Like Tempo, take shorter ids (64-bit ones from older tracers) left-padded with zeros.
  std::optional<model::TraceId> trace_id = xray::ParseXrayTraceId(id);  // 1-5759e988-bd86...
  if (!trace_id && !id.empty() && id.size() <= 32) {
    trace_id = model::TraceId::FromHex(std::string(32 - id.size(), '0') + std::string(id));
  }
  if (!trace_id) {
    return reply(JsonError(request, absl::InvalidArgumentError(StrCat(
                                        "malformed trace id '", id.substr(0, 64),
                                        "': expected up to 32 hex digits, e.g. 4bf92f3577b34da6a3ce929d0e0e4736"))));
  }
  auto events = tenant.store().FindTrace(*trace_id);
  if (!events.ok()) return reply(JsonError(request, events.status()));
  if (events->empty()) {
    return reply(JsonError(request, absl::NotFoundError(StrCat("trace ", trace_id->ToHex(), " not found"))));
  }
  reply(MakeResponse(request, http::status::ok, "application/json", RenderTraceAsOtlpJson(*events)));
}

void Server::StoreStatus(Tenant& tenant, const HttpRequest& request, HttpReply reply) {
  if (absl::Status status = CheckKey(tenant.keys(), request, auth::KeyScope::kQuery); !status.ok()) {
    return reply(JsonError(request, status));
  }
  const store::EmbeddedStoreStats s =
      tenant.embedded_store() ? tenant.embedded_store()->Stats() : store::EmbeddedStoreStats{};
  nlohmann::json body = {{"store", tenant.embedded_store() ? "embedded" : "clickhouse"},
                         {"parts", s.parts},           {"part_rows", s.part_rows},
                         {"part_bytes", s.part_bytes}, {"head_events", s.head_events},
                         {"head_bytes", s.head_bytes}, {"flushes", s.flushes},
                         {"merges", s.merges},         {"parts_dropped", s.parts_dropped},
                         {"parts_quarantined", s.parts_quarantined}};
  body["team"] = tenant.team();
  // Shared by every team: sizes and counts only.
  const store::ColumnCache::Stats cache = store::ColumnCache::Shared().stats();
  body["column_cache"] = {{"bytes", cache.bytes},
                          {"capacity", store::ColumnCache::Shared().capacity()},
                          {"entries", cache.entries},
                          {"hits", cache.hits},
                          {"misses", cache.misses}};
  if (xray_daemon_ && tenant.team() == options_.xray_team) {
    const XrayDaemonStats x = xray_daemon_->Stats();
    body["xray_udp"] = {{"datagrams", x.datagrams},
                        {"malformed", x.malformed},
                        {"documents_stored", x.documents_stored},
                        {"documents_dropped", x.documents_dropped}};
  }
  reply(MakeResponse(request, http::status::ok, "application/json", body.dump()));
}

std::string Server::Metrics() {
  // Totals over the teams: /metrics takes no key, so it names no team.
  store::EmbeddedStoreStats s;
  for (const auto& tenant : tenants_) {
    if (!tenant->embedded_store()) continue;
    const store::EmbeddedStoreStats t = tenant->embedded_store()->Stats();
    s.parts += t.parts;
    s.part_bytes += t.part_bytes;
    s.part_rows += t.part_rows;
    s.head_events += t.head_events;
    s.head_bytes += t.head_bytes;
    s.parts_quarantined += t.parts_quarantined;
  }
  metrics::Gauge("waggle_store_parts", "Parts on disk").Set(static_cast<double>(s.parts));
  metrics::Gauge("waggle_store_part_bytes", "Bytes of parts on disk").Set(static_cast<double>(s.part_bytes));
  metrics::Gauge("waggle_store_part_rows", "Events in parts on disk").Set(static_cast<double>(s.part_rows));
  metrics::Gauge("waggle_store_head_events", "Events in memory, not yet in a part (in the write-ahead log)")
      .Set(static_cast<double>(s.head_events));
  metrics::Gauge("waggle_store_head_bytes", "Bytes of events in memory").Set(static_cast<double>(s.head_bytes));
  metrics::Gauge("waggle_store_parts_quarantined", "Parts set aside as corrupt").Set(static_cast<double>(s.parts_quarantined));
  metrics::Gauge("waggle_http_requests_in_flight", "HTTP requests being served").Set(static_cast<double>(http_in_flight_.load()));
  return metrics::RenderText();
}

void Server::Shutdown() {
  if (shut_down_.exchange(true)) return;
  spdlog::info("shutting down: finishing requests under way");
  if (http_) http_->Stop();
  if (grpc_) grpc_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  // Requests under way are waiting for fsync; their answers go out before io stops.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (http_in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (xray_daemon_) xray_daemon_->Stop();
  for (auto& tenant : tenants_) tenant->Stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the last writes leave
  work_.reset();
  io_.stop();
  for (std::thread& t : io_threads_) t.join();
  io_threads_.clear();
  spdlog::info("shut down cleanly");
}

}  // namespace waggle::api
