#include "loadgen/payload_pool.h"

#include <cstring>
#include <string_view>

#include <nlohmann/json.hpp>

#include "loadgen/trace_generator.h"
#include "model/ids.h"

namespace waggle::loadgen {
namespace {

namespace otlp = opentelemetry::proto;
using Json = nlohmann::ordered_json;

Json AnyValueJson(const otlp::common::v1::AnyValue& v) {
  switch (v.value_case()) {
    case otlp::common::v1::AnyValue::kStringValue:
      return {{"stringValue", v.string_value()}};
    case otlp::common::v1::AnyValue::kIntValue:
      return {{"intValue", std::to_string(v.int_value())}};
    case otlp::common::v1::AnyValue::kDoubleValue:
      return {{"doubleValue", v.double_value()}};
    case otlp::common::v1::AnyValue::kBoolValue:
      return {{"boolValue", v.bool_value()}};
    default:
      return Json::object();  // the generator makes only scalars
  }
}

Json AttributesJson(const google::protobuf::RepeatedPtrField<otlp::common::v1::KeyValue>& attributes) {
  Json out = Json::array();
  for (const auto& kv : attributes) out.push_back({{"key", kv.key()}, {"value", AnyValueJson(kv.value())}});
  return out;
}

std::string Hex(const std::string& raw) { return model::HexEncode(raw); }

// Low 8 bytes of a trace id XOR this: distinct per use, never zero for use > 0.
uint64_t UseMask(uint64_t use) { return use * 0x9E3779B97F4A7C15ull; }

void AddOffsets(std::string_view body, std::string_view needle, std::vector<size_t>* offsets) {
  for (size_t pos = body.find(needle); pos != std::string_view::npos; pos = body.find(needle, pos + 1)) {
    offsets->push_back(pos);
  }
}

}  // namespace

std::string OtlpRequestToJson(const otlp::collector::trace::v1::ExportTraceServiceRequest& request) {
  Json resource_spans = Json::array();
  for (const auto& rs : request.resource_spans()) {
    Json scope_spans = Json::array();
    for (const auto& ss : rs.scope_spans()) {
      Json spans = Json::array();
      for (const auto& s : ss.spans()) {
        Json span = {{"traceId", Hex(s.trace_id())},
                     {"spanId", Hex(s.span_id())},
                     {"name", s.name()},
                     {"kind", static_cast<int>(s.kind())},
                     {"startTimeUnixNano", std::to_string(s.start_time_unix_nano())},
                     {"endTimeUnixNano", std::to_string(s.end_time_unix_nano())},
                     {"attributes", AttributesJson(s.attributes())}};
        if (!s.parent_span_id().empty()) span["parentSpanId"] = Hex(s.parent_span_id());
        if (s.has_status()) {
          span["status"] = {{"code", static_cast<int>(s.status().code())}, {"message", s.status().message()}};
        }
        if (s.events_size() > 0) {
          Json events = Json::array();
          for (const auto& e : s.events()) {
            events.push_back({{"timeUnixNano", std::to_string(e.time_unix_nano())},
                              {"name", e.name()},
                              {"attributes", AttributesJson(e.attributes())}});
          }
          span["events"] = std::move(events);
        }
        spans.push_back(std::move(span));
      }
      scope_spans.push_back({{"scope", {{"name", ss.scope().name()}, {"version", ss.scope().version()}}},
                             {"spans", std::move(spans)}});
    }
    resource_spans.push_back({{"resource", {{"attributes", AttributesJson(rs.resource().attributes())}}},
                              {"scopeSpans", std::move(scope_spans)}});
  }
  return Json{{"resourceSpans", std::move(resource_spans)}}.dump();
}

PayloadPool::PayloadPool(ingest::OtlpEncoding encoding, size_t batches, size_t spans_per_batch,
                         uint64_t seed, int64_t now_unix_nano)
    : encoding_(encoding) {
  TraceGenerator generator(seed);
  for (size_t i = 0; i < batches; ++i) {
    otlp::collector::trace::v1::ExportTraceServiceRequest request;
    std::vector<model::TraceId> ids = generator.FillRequest(spans_per_batch, now_unix_nano, &request);
    Payload payload;
    for (const auto& rs : request.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) payload.spans += static_cast<size_t>(ss.spans_size());
    }
    if (encoding == ingest::OtlpEncoding::kJson) {
      payload.body = OtlpRequestToJson(request);
      for (const auto& id : ids) AddOffsets(payload.body, id.ToHex(), &payload.trace_id_offsets);
    } else {
      request.SerializeToString(&payload.body);
      for (const auto& id : ids) AddOffsets(payload.body, id.AsBytes(), &payload.trace_id_offsets);
    }
    payload.trace_ids = std::move(ids);
    payloads_.push_back(std::move(payload));
  }
}

std::vector<model::TraceId> PayloadPool::TraceIds(size_t index, uint64_t use) const {
  std::vector<model::TraceId> ids = payloads_[index].trace_ids;
  const uint64_t mask = use == 0 ? 0 : UseMask(use);
  for (model::TraceId& id : ids) {
    for (int i = 0; i < 8; ++i) id.bytes[8 + i] ^= static_cast<uint8_t>(mask >> (8 * i));
  }
  return ids;
}

std::string PayloadPool::Render(size_t index, uint64_t use) const {
  const Payload& p = payloads_[index];
  std::string body = p.body;
  if (use == 0) return body;
  const uint64_t mask = UseMask(use);
  for (size_t offset : p.trace_id_offsets) {
    if (encoding_ == ingest::OtlpEncoding::kJson) {
      auto id = model::TraceId::FromHex(std::string_view(body).substr(offset, 32));
      if (!id) continue;
      for (int i = 0; i < 8; ++i) id->bytes[8 + i] ^= static_cast<uint8_t>(mask >> (8 * i));
      std::string hex = id->ToHex();
      std::memcpy(body.data() + offset, hex.data(), 32);
    } else {
      for (int i = 0; i < 8; ++i) {
        body[offset + 8 + i] = static_cast<char>(static_cast<uint8_t>(body[offset + 8 + i]) ^
                                                 static_cast<uint8_t>(mask >> (8 * i)));
      }
    }
  }
  return body;
}

}  // namespace waggle::loadgen
