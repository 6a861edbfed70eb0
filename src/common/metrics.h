// Waggle's own metrics, served at /metrics in Prometheus' text format (prometheus-cpp's
// registry and serializer; the HTTP side is Waggle's). Metrics are process-wide: the
// accessors create a labelled series on first use and return the same one after, so callers
// keep the reference. Values that are state rather than events (parts, bytes on disk) are
// gauges set when /metrics is scraped.
#pragma once

#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace waggle::metrics {

prometheus::Registry& Registry();

// Spans (and plain events) by the protocol they came in: otlp_http, otlp_grpc, honeycomb,
// xray_udp, xray_api.
prometheus::Counter& SpansReceived(std::string_view protocol);
prometheus::Counter& SpansRejected(std::string_view protocol);
// From a request's arrival to its acknowledgement (durable), seconds.
prometheus::Histogram& IngestLatency(std::string_view protocol);
// One write-ahead log fdatasync, seconds.
prometheus::Histogram& WalFsyncLatency();
// One batch INSERT into ClickHouse (the ClickHouse store), seconds; and the ones that failed.
prometheus::Histogram& ClickHouseInsertLatency();
prometheus::Counter& ClickHouseInsertFailures();
// A query's execution: honeycomb, bubbleup, xray.
prometheus::Histogram& QueryLatency(std::string_view kind);
// Requests refused for overload, by protocol (429/503/RESOURCE_EXHAUSTED).
prometheus::Counter& RequestsShed(std::string_view protocol);
prometheus::Gauge& Gauge(std::string_view name, std::string_view help);

// Everything registered, in the text exposition format (version 0.0.4).
std::string RenderText();

}  // namespace waggle::metrics
