#include <csignal>
#include <cstdio>

#include <fmt/core.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "api/server.h"
#include "cli/commands.h"

namespace waggle::cli {

int RunServe(const ServeFlags& flags) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("waggle"));

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
  options.data_dir = flags.data_dir;
  auto http = api::ParseListenAddress(flags.http, "--http");
  if (!http.ok()) return fail(http.status());
  auto grpc = api::ParseListenAddress(flags.grpc, "--grpc");
  if (!grpc.ok()) return fail(grpc.status());
  auto xray = api::ParseListenAddress(flags.xray, "--xray");
  if (!xray.ok()) return fail(xray.status());
  options.http = *http;
  options.grpc = *grpc;
  for (const std::string& text : flags.api_keys) {
    auto key = api::ParseApiKeyFlag(text);
    if (!key.ok()) return fail(key.status());
    options.api_keys.push_back(std::move(*key));
  }

  auto server = api::Server::Start(options);
  if (!server.ok()) return fail(server.status());
  // Scripts and tests read this line to learn the bound ports.
  fmt::print("listening http={} grpc={}\n", (*server)->http_address().ToString(),
             (*server)->grpc_address().ToString());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received signal {}", signal_number);
  (*server)->Shutdown();
  return 0;
}

}  // namespace waggle::cli
