// One X-Ray daemon datagram: header line, segment document, then everything that reads the
// mapped events (the trace view, BatchGetTraces documents, summaries, the service graph and
// a filter expression).
#include <string>

#include "xray/filter_expression.h"
#include "xray/segment_document.h"
#include "xray/service_graph.h"
#include "xray/trace_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view datagram(reinterpret_cast<const char*>(data), size);
  auto document = waggle::xray::DocumentInDatagram(datagram);
  if (!document.ok()) return 0;
  auto mapped = waggle::xray::MapSegmentDocument(*document, "parent-service");
  if (!mapped.ok()) return 0;
  // The document twice: once as sent, once as if re-sent in progress (the upsert path).
  std::vector<waggle::model::Event> events = mapped->events;
  events.insert(events.end(), mapped->events.begin(), mapped->events.end());
  auto trace = waggle::xray::BuildXrayTrace(events.front().trace_id, events);
  (void)waggle::xray::SegmentDocuments(trace);
  // As the API serializes them: invalid UTF-8 replaced, never thrown.
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  (void)waggle::xray::TraceSummary(trace).dump(-1, ' ', false, kReplace);
  (void)waggle::xray::BuildServiceGraph({&trace}, 0, 1e10).dump(-1, ' ', false, kReplace);
  static const auto filter = waggle::xray::FilterExpression::Parse(
      "service() { fault OR responsetime > 1 } AND annotation.a = \"b\" OR rootcause.fault.entity { name = \"x\" } "
      "OR edge(\"a\", \"b\") OR id(name: \"a\") OR http.url CONTAINS \"x\"");
  (void)filter->Matches(trace);
  return 0;
}
