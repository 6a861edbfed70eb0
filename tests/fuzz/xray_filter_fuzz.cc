// X-Ray filter expressions: parsed, and when they parse, evaluated on a small trace with a
// group lookup that can loop.
#include <string>

#include "xray/filter_expression.h"
#include "xray/segment_document.h"
#include "xray/trace_view.h"

namespace {

const waggle::xray::XrayTrace& SampleTrace() {
  static const waggle::xray::XrayTrace trace = [] {
    auto mapped = waggle::xray::MapSegmentDocument(
        R"({"trace_id":"1-6b04f109-e80e21319d0b558d3da4965b","id":"0000000000000001","name":"frontend",
          "start_time":100,"end_time":101.2,"user":"alice","annotations":{"account":"12345","n":3,"b":true},
          "http":{"request":{"method":"GET","url":"https://x/cart"},"response":{"status":200}},
          "subsegments":[{"id":"0000000000000002","name":"backend","namespace":"remote","start_time":100.1,
          "end_time":101.0,"fault":true,"cause":{"exceptions":[{"message":"db down","type":"IOError"}]}}]})");
    return waggle::xray::BuildXrayTrace(mapped->events.front().trace_id, mapped->events);
  }();
  return trace;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = waggle::xray::FilterExpression::Parse(text);
  if (!parsed.ok()) return 0;
  (void)parsed->Matches(SampleTrace(), [](std::string_view, std::string_view name) -> std::optional<std::string> {
    if (name == "loop") return "group.name = \"loop\" OR fault";
    return std::nullopt;
  });
  (void)parsed->NamedServices();
  return 0;
}
