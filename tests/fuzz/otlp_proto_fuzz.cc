// OTLP protobuf bodies and the span mapper behind them.
#include <string_view>

#include "ingest/otlp_request.h"
#include "ingest/otlp_span_mapper.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  if (waggle::ingest::ParseOtlpTraces(waggle::ingest::OtlpEncoding::kProtobuf, body, &request).ok()) {
    (void)waggle::ingest::MapOtlpTraces(request, std::nullopt);
  }
  return 0;
}
