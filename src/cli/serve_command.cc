#include <malloc.h>

#include <csignal>
#include <cstdio>

#include <fmt/core.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "api/server.h"
#include "store/clickhouse/clickhouse_client.h"
#include "cli/commands.h"
#include "common/units.h"

namespace waggle::cli {

int RunServe(const ServeFlags& flags) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("waggle"));
  // glibc gives each thread that allocates its own arena; with gRPC's and Asio's threads
  // that multiplies freed-but-kept memory. Two arenas keep RSS near the working set.
  mallopt(M_ARENA_MAX, 2);

  // Signals are taken by sigwait below; block them before any thread starts so no other
  // thread is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto fail = [](const absl::Status& status) {
    fmt::print(stderr, "waggle: {}\n", std::string(status.message()));
    return 1;
  };
  api::ServerOptions options;
  options.store.data_dir = flags.data_dir;
  if (!flags.retention.empty()) {
    auto retention = ParseDuration(flags.retention, "--retention");
    if (!retention.ok()) return fail(retention.status());
    options.store.retention = *retention;
  }
  if (!flags.max_disk.empty()) {
    auto max_disk = ParseByteSize(flags.max_disk, "--max-disk");
    if (!max_disk.ok()) return fail(max_disk.status());
    options.store.max_disk_bytes = *max_disk;
  }
  auto memory_budget = ParseByteSize(flags.memory_budget, "--memory-budget");
  if (!memory_budget.ok()) return fail(memory_budget.status());
  if (*memory_budget < (64ull << 20)) return fail(absl::InvalidArgumentError("--memory-budget: at least 64MiB"));
  options.memory_budget_bytes = *memory_budget;
  auto header_timeout = ParseDuration(flags.header_timeout, "--header-timeout");
  if (!header_timeout.ok()) return fail(header_timeout.status());
  options.header_timeout = std::max(std::chrono::milliseconds(100),
                                    std::chrono::duration_cast<std::chrono::milliseconds>(*header_timeout));
  auto flush_bytes = ParseByteSize(flags.flush_bytes, "--flush-bytes");
  if (!flush_bytes.ok()) return fail(flush_bytes.status());
  options.store.head_flush_bytes = std::max<uint64_t>(*flush_bytes, 1);
  auto flush_interval = ParseDuration(flags.flush_interval, "--flush-interval");
  if (!flush_interval.ok()) return fail(flush_interval.status());
  options.store.head_flush_age = std::chrono::duration_cast<std::chrono::milliseconds>(*flush_interval);
  options.store.maintenance_interval =
      std::min(options.store.maintenance_interval,
               std::max(std::chrono::milliseconds(50), options.store.head_flush_age));
  auto http = api::ParseListenAddress(flags.http, "--http");
  if (!http.ok()) return fail(http.status());
  auto grpc = api::ParseListenAddress(flags.grpc, "--grpc");
  if (!grpc.ok()) return fail(grpc.status());
  if (flags.xray == "off") {
    options.xray.reset();
  } else {
    auto xray = api::ParseListenAddress(flags.xray, "--xray");
    if (!xray.ok()) return fail(xray.status());
    options.xray = *xray;
  }
  for (const std::string& text : flags.aws_access_keys) {
    auto key = xray::ParseAwsAccessKeyFlag(text);
    if (!key.ok()) return fail(key.status());
    options.aws_access_keys.push_back(std::move(*key));
  }
  options.xray_team = flags.xray_team;
  if (flags.store != "embedded") {
    auto endpoint = clickhouse::ParseClickHouseUrl(flags.store);
    if (!endpoint.ok()) return fail(endpoint.status());
    options.clickhouse = *endpoint;
    if (!flags.retention.empty() || !flags.max_disk.empty()) {
      return fail(absl::InvalidArgumentError(
          "--retention and --max-disk apply to the embedded store; on ClickHouse drop old partitions of "
          "waggle_events there (docs/scale-out.md)"));
    }
  }
  auto clickhouse_retry = ParseDuration(flags.clickhouse_retry, "--clickhouse-retry");
  if (!clickhouse_retry.ok()) return fail(clickhouse_retry.status());
  options.clickhouse_retry = std::chrono::duration_cast<std::chrono::milliseconds>(*clickhouse_retry);
  options.ui_dir = flags.ui_dir;
  options.max_connections = flags.max_connections;
  options.tls_cert = flags.tls_cert;
  options.tls_key = flags.tls_key;
  options.http = *http;
  options.grpc = *grpc;
  for (const std::string& text : flags.api_keys) {
    auto key = auth::ParseApiKeyFlag(text);
    if (!key.ok()) return fail(key.status());
    options.api_keys.push_back(std::move(*key));
  }

  auto server = api::Server::Start(options);
  if (!server.ok()) return fail(server.status());
  // Scripts and tests read this line to learn the bound ports.
  auto xray_address = (*server)->xray_address();
  fmt::print("listening http={} grpc={} xray={}\n", (*server)->http_address().ToString(),
             (*server)->grpc_address().ToString(), xray_address ? xray_address->ToString() : "off");
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received signal {}", signal_number);
  (*server)->Shutdown();
  return 0;
}

}  // namespace waggle::cli
