// OTLP/JSON reader and the span mapper behind it.
#include <string_view>

#include "ingest/otlp_json_reader.h"
#include "ingest/otlp_span_mapper.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  std::string_view json(reinterpret_cast<const char*>(data), size);
  if (waggle::ingest::ParseOtlpTracesJson(json, &request).ok()) {
    (void)waggle::ingest::MapOtlpTraces(request, std::nullopt);
  }
  return 0;
}
