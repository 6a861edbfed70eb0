// A running Waggle server: one tenant (store and APIs) per team, the HTTP listener (OTLP/HTTP,
// the Honeycomb and X-Ray APIs, trace lookup, the UI), the gRPC listener (OTLP/gRPC) and the
// X-Ray daemon port, wired together. Every request goes to the tenant of its key (an unknown
// or missing key to the default team's, which refuses it once keys are configured). Shutdown
// stops accepting, lets requests under way finish (their data is fsynced before they are
// answered), then closes the stores.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <grpcpp/server.h>

#include "absl/status/statusor.h"
#include "auth/api_keys.h"
#include "api/honeycomb_api.h"
#include "api/http_server.h"
#include "api/listen_address.h"
#include "api/otlp_grpc_service.h"
#include "api/route_table.h"
#include "api/tenant.h"
#include "api/ui_assets.h"
#include "api/xray_daemon.h"
#include "store/clickhouse/node_registry.h"

namespace waggle::api {

struct ServerOptions {
  // Data directory, flush, retention. The default team's store is the data directory; other
  // teams' are its teams/<team>/. Retention and --max-disk apply to each team's store.
  store::EmbeddedStoreOptions store;
  // Set: events go to ClickHouse (--store clickhouse://HOST:8123/DB), every team in one table.
  std::optional<clickhouse::ClickHouseEndpoint> clickhouse;
  std::chrono::milliseconds clickhouse_retry{10000};  // a failing insert is retried this long, then 503
  ListenAddress http{"127.0.0.1", 4318};
  ListenAddress grpc{"127.0.0.1", 4317};
  std::vector<auth::ApiKey> api_keys;
  uint64_t max_body_bytes = 20ull << 20;     // compressed, as sent
  uint64_t max_decoded_bytes = 64ull << 20;  // after Content-Encoding
  int io_threads = 2;
  HoneycombApiOptions honeycomb;
  std::optional<ListenAddress> xray = ListenAddress{"127.0.0.1", 2000};  // nullopt: no daemon port
  std::vector<xray::AwsAccessKey> aws_access_keys;
  // The team the X-Ray daemon port (unauthenticated UDP segments, sampling calls) feeds.
  std::string xray_team{kDefaultTeam};
  std::string ui_dir;  // the built web UI; empty: DefaultUiDirectory()
  // What the process may hold in memory (RSS). Split: request bodies in flight 1/16 (at
  // least one body of max_body_bytes; parsing one takes several times its size), gRPC 1/16,
  // the write-ahead log queue 1/16, the head 1/32 (events in memory take several times their
  // encoded size, and up to 6 heads wait while parts are written out), one query 1/8; the
  // rest is the process's own (code, caches, part writing and merging, allocator slack).
  // With several teams the log queue, head and query shares are split evenly among them.
  // Past them requests get 503 + Retry-After (a query a "narrow it" 400). Measured at twice
  // the sustainable ingest rate with 256 MiB: peak RSS 215-234 MiB (tests/interop/overload).
  // Smaller heads are not cheaper: at 1/64 merges of many small parts took RSS to 550-650 MiB.
  uint64_t memory_budget_bytes = 2ull << 30;
  std::chrono::milliseconds header_timeout{10000};  // a request's headers must arrive within it
  int64_t max_connections = 10000;  // open HTTP connections; past it 503 + Retry-After
  // Ingest over HTTP (OTLP, Honeycomb events) gets 503 + Retry-After while the io threads
  // start handlers this late: past what the CPU parses, more requests only wait longer.
  int64_t max_ingest_lag_ms = 100;
  // PEM files: TLS on the HTTP and gRPC listeners when both are set.
  std::string tls_cert;
  std::string tls_key;
};

class Server {
 public:
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options);
  ~Server();

  const ListenAddress& http_address() const { return http_address_; }
  const ListenAddress& grpc_address() const { return grpc_address_; }
  // The X-Ray daemon address (UDP and TCP); nullopt when not served.
  std::optional<ListenAddress> xray_address() const;
  // The tenant of `team`, nullptr if no key names it.
  Tenant* tenant(std::string_view team) const;

  void Shutdown();

 private:
  explicit Server(const ServerOptions& options);
  RouteTable MakeRoutes();
  void Route(HttpRequest&& request, HttpReply reply);
  // The tenant of an API key; the default team's for a missing or unknown key.
  Tenant& TenantForKey(const std::optional<std::string_view>& key) const;
  // By x-honeycomb-team, else by the SigV4 access key id (X-Ray API calls).
  Tenant& TenantForRequest(const HttpRequest& request) const;
  void StoreStatus(Tenant& tenant, const HttpRequest& request, HttpReply reply);
  void LookupTrace(Tenant& tenant, const HttpRequest& request, std::string_view id, HttpReply reply);
  std::string Metrics();  // /metrics, with the store's state as gauges

  // Constant after Start.
  const ServerOptions options_;
  const auth::ApiKeyRegistry keys_;  // every team's keys, to find a key's team
  const RouteTable routes_;          // the server's own endpoints (each tenant's APIs have theirs)
  std::map<std::string, std::string, std::less<>> team_of_access_key_;
  std::vector<std::unique_ptr<Tenant>> tenants_;
  std::map<std::string, Tenant*, std::less<>> tenant_of_team_;
  Tenant* default_tenant_ = nullptr;
  std::unique_ptr<clickhouse::NodeRegistry> nodes_;  // on ClickHouse: the nodes sharing it
  std::unique_ptr<OtlpGrpcService> otlp_grpc_;
  UiAssets ui_;
  ListenAddress http_address_;
  ListenAddress grpc_address_;

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<XrayDaemon> xray_daemon_;  // after io_: its TCP listener is an io_ object
  std::unique_ptr<grpc::Server> grpc_;
  std::vector<std::thread> io_threads_;

  std::atomic<int64_t> http_in_flight_{0};
  std::atomic<bool> shut_down_{false};
};

}  // namespace waggle::api
