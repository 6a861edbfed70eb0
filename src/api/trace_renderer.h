// A stored trace back as OTLP/JSON TracesData ({"resourceSpans":[...]}), the shape Grafana
// Tempo serves on /api/traces/<id>: spans grouped by resource and scope, span events and
// links put back on their spans, ids in hex, 64-bit numbers as decimal strings.
#pragma once

#include <string>
#include <vector>

#include "model/event.h"

namespace waggle::api {

std::string RenderTraceAsOtlpJson(const std::vector<model::Event>& events);

}  // namespace waggle::api
