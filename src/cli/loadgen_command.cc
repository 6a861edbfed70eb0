// waggle loadgen: synthetic traces at a set rate or as fast as the server takes them, over
// OTLP/HTTP (protobuf or JSON) or OTLP/gRPC, in the spirit of the OTel Collector's
// telemetrygen. Prints a progress line each second and a summary: spans/s achieved, errors
// by status, request latency percentiles.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <cstdio>
#include <thread>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/strings.h"
#include "common/units.h"
#include "loadgen/otlp_sender.h"
#include "loadgen/payload_pool.h"

namespace waggle::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct LoadStats {
  std::atomic<uint64_t> spans_ok{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> retries{0};
  std::mutex mutex;
  std::vector<float> latencies_ms;      // every request
  std::map<std::string, uint64_t> error_counts;  // "503", "connection", ...
  std::string last_error;
  std::vector<model::TraceId> sample_trace_ids;
};

bool IsRetryable(loadgen::OtlpProtocol protocol, int code) {
  if (protocol == loadgen::OtlpProtocol::kGrpc) return code == 14 || code == 8;  // UNAVAILABLE, RESOURCE_EXHAUSTED
  return code == 429 || code == 503;
}

double Percentile(std::vector<float> values, double p) {
  if (values.empty()) return 0;
  size_t k = std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

}  // namespace

int RunLoadgen(const LoadgenFlags& flags) {
  auto fail = [](const absl::Status& status) {
    fmt::print(stderr, "waggle loadgen: {}\n", std::string(status.message()));
    return 2;
  };
  auto protocol = loadgen::ParseOtlpProtocol(flags.protocol);
  if (!protocol.ok()) return fail(protocol.status());
  auto duration = ParseDuration(flags.duration, "--duration");
  if (!duration.ok()) return fail(duration.status());
  if (flags.batch == 0 || flags.workers == 0 || flags.pool == 0) {
    return fail(absl::InvalidArgumentError("--batch, --workers and --pool must be at least 1"));
  }
  std::string endpoint = flags.endpoint;
  if (*protocol == loadgen::OtlpProtocol::kGrpc && endpoint.ends_with(":4318")) {
    endpoint = endpoint.substr(0, endpoint.size() - 4) + "4317";  // the OTLP default ports
  }

  const auto encoding = *protocol == loadgen::OtlpProtocol::kHttpJson ? ingest::OtlpEncoding::kJson
                                                                      : ingest::OtlpEncoding::kProtobuf;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  fmt::print(stderr, "waggle loadgen: preparing {} batches of {} spans (seed {})\n", flags.pool, flags.batch,
             flags.seed);
  loadgen::PayloadPool pool(encoding, flags.pool, flags.batch, flags.seed, now);
  double spans_per_batch = 0;
  for (size_t i = 0; i < pool.size(); ++i) spans_per_batch += static_cast<double>(pool.spans(i));
  spans_per_batch /= static_cast<double>(pool.size());
  if (!flags.write_body.empty()) {
    std::ofstream out(flags.write_body, std::ios::binary | std::ios::trunc);
    out << pool.Render(0, 0);
    out.close();
    if (!out) return fail(absl::UnavailableError(StrCat("cannot write ", flags.write_body)));
    fmt::print("{}\n", pool.spans(0));
    return 0;
  }

  std::vector<std::unique_ptr<loadgen::OtlpSender>> senders;
  for (size_t i = 0; i < flags.workers; ++i) {
    auto sender = loadgen::MakeOtlpSender(*protocol, endpoint, flags.api_key);
    if (!sender.ok()) return fail(sender.status());
    senders.push_back(std::move(*sender));
  }

  LoadStats stats;
  std::atomic<uint64_t> next_batch{0};
  std::atomic<bool> stop{false};
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + *duration;
  const uint64_t max_batches =
      flags.max_spans > 0 ? static_cast<uint64_t>(static_cast<double>(flags.max_spans) / spans_per_batch + 0.999)
                          : UINT64_MAX;

  auto work = [&](loadgen::OtlpSender& sender) {
    while (!stop.load()) {
      const uint64_t n = next_batch.fetch_add(1);
      if (n >= max_batches) return;
      if (flags.rate > 0) {
        auto due = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                               static_cast<double>(n) * spans_per_batch / flags.rate));
        if (due >= deadline) return;
        std::this_thread::sleep_until(due);
      }
      if (Clock::now() >= deadline) return;
      const size_t index = n % pool.size();
      std::string body = pool.Render(index, n / pool.size());
      const auto t0 = Clock::now();
      loadgen::SendOutcome outcome = sender.Send(body);
      // Like the OTel exporters, resend what the server refused for overload (429/503,
      // gRPC UNAVAILABLE/RESOURCE_EXHAUSTED), after a pause; each resend is counted.
      for (int attempt = 1; attempt <= 8 && !outcome.ok && IsRetryable(*protocol, outcome.code) &&
                            Clock::now() < deadline;
           ++attempt) {
        ++stats.retries;
        std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
        outcome = sender.Send(body);
      }
      const float ms = std::chrono::duration<float, std::milli>(Clock::now() - t0).count();
      ++stats.requests;
      if (outcome.ok) stats.spans_ok += pool.spans(index);
      else ++stats.errors;
      std::lock_guard lock(stats.mutex);
      stats.latencies_ms.push_back(ms);
      if (outcome.ok && n % 100 == 0) stats.sample_trace_ids.push_back(pool.TraceIds(index, n / pool.size())[0]);
      if (!outcome.ok) {
        ++stats.error_counts[outcome.code == 0 ? "connection" : std::to_string(outcome.code)];
        stats.last_error = outcome.error;
      }
    }
  };
  std::vector<std::thread> threads;
  for (auto& sender : senders) threads.emplace_back([&work, s = sender.get()] { work(*s); });

  std::thread progress([&] {
    uint64_t last_spans = 0;
    size_t last_latency = 0;
    auto tick = start;
    while (!stop.load()) {
      tick += std::chrono::seconds(1);
      while (!stop.load() && Clock::now() < tick) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (stop.load()) break;
      const uint64_t spans = stats.spans_ok.load();
      std::vector<float> window;
      {
        std::lock_guard lock(stats.mutex);
        window.assign(stats.latencies_ms.begin() + static_cast<std::ptrdiff_t>(last_latency), stats.latencies_ms.end());
        last_latency = stats.latencies_ms.size();
      }
      fmt::print(stderr,
                 "[{:4.0f}s] {:>12} spans  {:>10.0f} spans/s  errors {:<6} retries {:<6} p50 {:.1f} ms  p99 {:.1f} ms\n",
                 std::chrono::duration<double>(Clock::now() - start).count(), spans,
                 static_cast<double>(spans - last_spans), stats.errors.load(), stats.retries.load(), Percentile(window, 0.5),
                 Percentile(window, 0.99));
      last_spans = spans;
    }
  });
  for (std::thread& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  progress.join();

  std::lock_guard lock(stats.mutex);
  if (!flags.trace_ids_out.empty()) {
    std::FILE* out = std::fopen(flags.trace_ids_out.c_str(), "a");
    if (out == nullptr) return fail(absl::InvalidArgumentError(StrCat("cannot write ", flags.trace_ids_out)));
    for (const model::TraceId& id : stats.sample_trace_ids) fmt::print(out, "{}\n", id.ToHex());
    std::fclose(out);
  }
  const double rate = static_cast<double>(stats.spans_ok.load()) / elapsed;
  const double p50 = Percentile(stats.latencies_ms, 0.5), p90 = Percentile(stats.latencies_ms, 0.9),
               p99 = Percentile(stats.latencies_ms, 0.99), max = Percentile(stats.latencies_ms, 1.0);
  if (flags.json) {
    nlohmann::json summary = {{"spans", stats.spans_ok.load()}, {"requests", stats.requests.load()},
                              {"errors", stats.errors.load()},  {"retries", stats.retries.load()}, {"seconds", elapsed},
                              {"spans_per_second", rate},       {"latency_ms", {{"p50", p50}, {"p90", p90}, {"p99", p99}, {"max", max}}},
                              {"error_counts", stats.error_counts}};
    fmt::print("{}\n", summary.dump());
  } else {
    fmt::print("sent {} spans in {:.1f} s: {:.0f} spans/s ({} requests of ~{:.0f} spans, {} errors, {} retries)\n",
               stats.spans_ok.load(), elapsed, rate, stats.requests.load(), spans_per_batch, stats.errors.load(),
               stats.retries.load());
    fmt::print("request latency: p50 {:.2f} ms  p90 {:.2f} ms  p99 {:.2f} ms  max {:.2f} ms\n", p50, p90, p99, max);
    for (const auto& [code, count] : stats.error_counts) fmt::print("errors {}: {}\n", code, count);
    if (!stats.last_error.empty()) fmt::print("last error: {}\n", stats.last_error);
  }
  return stats.errors.load() > 0 && stats.spans_ok.load() == 0 ? 1 : 0;
}

}  // namespace waggle::cli
