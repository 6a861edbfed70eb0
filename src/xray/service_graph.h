// X-Ray's service graph (shared/reference/protocols.md B6) and its statistics, computed
// from XrayTraces: a node per (service name, type), inferred nodes for remote and AWS calls
// whose callee sent no segment, a synthetic client node in front of each entry service,
// edge statistics from the caller's subsegments, node statistics from the node's own
// segments, and response-time histograms. Also trace summaries (GetTraceSummaries).
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "xray/trace_view.h"

namespace waggle::xray {

// {"Services":[...]} for GetServiceGraph / GetTraceGraph.
nlohmann::json BuildServiceGraph(const std::vector<const XrayTrace*>& traces, double start, double end);

// GetTimeSeriesServiceStatistics: per `period` seconds, the statistics of `services`' segments
// (the traces' entry segments when `services` is empty).
nlohmann::json TimeSeriesStatistics(const std::vector<const XrayTrace*>& traces, const std::vector<std::string>& services,
                                    double start, double end, int64_t period);

// One element of GetTraceSummaries' TraceSummaries.
nlohmann::json TraceSummary(const XrayTrace& trace);

}  // namespace waggle::xray
