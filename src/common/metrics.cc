#include "common/metrics.h"

#include <map>
#include <mutex>

#include <prometheus/text_serializer.h>

namespace waggle::metrics {
namespace {

// Latency buckets from 100 µs to 60 s.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return kBuckets;
}

prometheus::Family<prometheus::Counter>& CounterFamily(const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(Registry());
}

prometheus::Family<prometheus::Histogram>& HistogramFamily(const std::string& name, const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(Registry());
}

}  // namespace

prometheus::Registry& Registry() {
  static auto* registry = new prometheus::Registry();
  return *registry;
}

prometheus::Counter& SpansReceived(std::string_view protocol) {
  static auto& family = CounterFamily("waggle_spans_received_total", "Spans and events received, by protocol");
  return family.Add({{"protocol", std::string(protocol)}});
}

prometheus::Counter& SpansRejected(std::string_view protocol) {
  static auto& family =
      CounterFamily("waggle_spans_rejected_total", "Spans and events refused as invalid or unauthorized, by protocol");
  return family.Add({{"protocol", std::string(protocol)}});
}

prometheus::Histogram& IngestLatency(std::string_view protocol) {
  static auto& family = HistogramFamily("waggle_ingest_latency_seconds",
                                        "From a request's arrival to its acknowledgement (data durable)");
  return family.Add({{"protocol", std::string(protocol)}}, LatencyBuckets());
}

prometheus::Histogram& WalFsyncLatency() {
  static auto& family = HistogramFamily("waggle_wal_fsync_seconds", "One write-ahead log fdatasync");
  static auto& histogram = family.Add({}, LatencyBuckets());
  return histogram;
}

prometheus::Histogram& ClickHouseInsertLatency() {
  static auto& family = HistogramFamily("waggle_clickhouse_insert_seconds", "One batch INSERT into ClickHouse");
  static auto& histogram = family.Add({}, LatencyBuckets());
  return histogram;
}

prometheus::Counter& ClickHouseInsertFailures() {
  static auto& family = prometheus::BuildCounter()
                            .Name("waggle_clickhouse_insert_failures_total")
                            .Help("Batch INSERTs into ClickHouse that failed (each is retried)")
                            .Register(Registry());
  static auto& counter = family.Add({});
  return counter;
}

prometheus::Histogram& QueryLatency(std::string_view kind) {
  static auto& family = HistogramFamily("waggle_query_seconds", "Query execution time, by kind");
  return family.Add({{"kind", std::string(kind)}}, LatencyBuckets());
}

prometheus::Counter& RequestsShed(std::string_view protocol) {
  static auto& family =
      CounterFamily("waggle_requests_shed_total", "Requests refused for overload (429/503), by protocol");
  return family.Add({{"protocol", std::string(protocol)}});
}

prometheus::Gauge& Gauge(std::string_view name, std::string_view help) {
  static std::mutex mutex;
  static std::map<std::string, prometheus::Gauge*, std::less<>> gauges;
  std::lock_guard lock(mutex);
  if (auto it = gauges.find(name); it != gauges.end()) return *it->second;
  auto& family = prometheus::BuildGauge().Name(std::string(name)).Help(std::string(help)).Register(Registry());
  prometheus::Gauge* gauge = &family.Add({});
  gauges.emplace(std::string(name), gauge);
  return *gauge;
}

std::string RenderText() { return prometheus::TextSerializer().Serialize(Registry().Collect()); }

}  // namespace waggle::metrics
