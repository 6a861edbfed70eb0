#include "xray/segment_document.h"

#include <cmath>

#include <simdjson.h>

#include "common/json_dom.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "ingest/dataset_rules.h"
#include "xray/xray_fields.h"

namespace waggle::xray {
namespace {

using json_dom::AsArray;
using json_dom::AsObject;
using json_dom::Member;
using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr int kMaxNesting = 32;  // subsegments inside subsegments; deeper is refused
constexpr size_t kMaxNameChars = 200;
// Epoch seconds past this (year 2255) would overflow int64 nanoseconds (fuzzing found it).
constexpr double kMaxEpochSeconds = 9e9;

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

// Epoch seconds as a double carry about half a microsecond of precision at today's dates:
// round to whole microseconds so 0.996 s stays 996000 us, not 995999.9.
int64_t EpochSecondsToNanos(double seconds) {
  const double whole = std::floor(seconds);
  return static_cast<int64_t>(whole) * 1000000000 + std::llround((seconds - whole) * 1e6) * 1000;
}

std::optional<model::AttributeValue> ScalarValue(element value) {
  switch (value.type()) {
    case element_type::STRING: return std::string(value.get_string().value_unsafe());
    case element_type::BOOL: return value.get_bool().value_unsafe();
    case element_type::INT64: return value.get_int64().value_unsafe();
    case element_type::UINT64: return static_cast<int64_t>(value.get_uint64().value_unsafe());
    case element_type::DOUBLE: return value.get_double().value_unsafe();
    default: return std::nullopt;
  }
}

// Compact JSON text (simdjson validated the UTF-8 while parsing, so it is valid).
std::string Dump(element value) { return simdjson::minify(value); }

// Objects become dotted keys (aws.xray.sdk), arrays and deeper objects JSON text: the
// way Honeycomb flattens nested attributes, so they stay queryable.
void Flatten(const std::string& prefix, element value, int depth, model::Event& event) {
  if (value.is_object() && depth < 3) {
    for (simdjson::dom::key_value_pair member : AsObject(value)) {
      Flatten(StrCat(prefix, ".", member.key), member.value, depth + 1, event);
    }
    return;
  }
  if (value.is_null()) return;
  if (auto scalar = ScalarValue(value)) {
    event.fields.push_back({prefix, std::move(*scalar)});
  } else {
    event.fields.push_back({prefix, Dump(value)});
  }
}

template <typename T>
std::optional<T> Get(element node, std::string_view key) {
  auto member = Member(node, key);
  if (!member) return std::nullopt;
  element it = *member;
  if constexpr (std::is_same_v<T, std::string>) {
    std::string_view text;
    if (it.get_string().get(text) == simdjson::SUCCESS) return std::string(text);
  } else if constexpr (std::is_same_v<T, bool>) {
    bool b;
    if (it.get_bool().get(b) == simdjson::SUCCESS) return b;
  } else if constexpr (std::is_same_v<T, double>) {
    double d;
    if (it.is_number() && it.get_double().get(d) == simdjson::SUCCESS) return d;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    int64_t i;
    if (it.get_int64().get(i) == simdjson::SUCCESS) return i;
    // A float outside int64's range has no integer value (casting it would be undefined).
    double d;
    if (it.is_double() && it.get_double().get(d) == simdjson::SUCCESS && std::abs(d) < 9e18) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

absl::Status Invalid(const std::string& where, std::string_view message) {
  return absl::InvalidArgumentError(StrCat(where, message));
}

struct Mapper {
  model::TraceId trace_id;
  std::string service;  // the segment's name: every span of the document belongs to it
  std::string dataset;
  std::vector<model::Event>* out;

  absl::Status Map(element node, const std::string& where, const model::SpanId& parent, bool is_segment,
                   int depth) {
    if (!node.is_object()) return Invalid(where, "must be a JSON object");
    if (depth > kMaxNesting) return Invalid(where, StrCat("subsegments nested deeper than ", kMaxNesting));
    auto name = Get<std::string>(node, "name");
    if (!name || name->empty()) return Invalid(where, "name: required, a non-empty string");
    if (name->size() > kMaxNameChars) return Invalid(where, StrCat("name: longer than ", kMaxNameChars, " characters"));
    auto id_text = Get<std::string>(node, "id");
    std::optional<model::SpanId> id;
    if (id_text && id_text->size() == 16 && IsHex(*id_text)) id = model::SpanId::FromHex(*id_text);
    if (!id) return Invalid(where, "id: required, 16 hex digits");
    auto start = Get<double>(node, "start_time");
    if (!start || !std::isfinite(*start) || *start <= 0 || *start > kMaxEpochSeconds) {
      return Invalid(where, "start_time: required, epoch seconds (e.g. 1478293361.271)");
    }
    bool in_progress = Get<bool>(node, "in_progress").value_or(false);
    auto end = Get<double>(node, "end_time");
    if (!in_progress && (!end || !std::isfinite(*end) || *end <= 0 || *end > kMaxEpochSeconds)) {
      return Invalid(where, "end_time: required unless in_progress is true, epoch seconds");
    }
    model::SpanId parent_id = parent;
    if (auto p = Get<std::string>(node, "parent_id")) {
      auto parsed = p->size() == 16 && IsHex(*p) ? model::SpanId::FromHex(*p) : std::nullopt;
      if (!parsed) return Invalid(where, "parent_id: 16 hex digits");
      parent_id = *parsed;
    }

    out->emplace_back();
    model::Event& e = out->back();
    e.dataset = dataset;
    e.trace_id = trace_id;
    e.span_id = *id;
    e.parent_span_id = parent_id;
    e.name = *name;
    e.service_name = service;
    e.time_unix_nano = EpochSecondsToNanos(*start);
    if (!in_progress) {
      int64_t end_nano = EpochSecondsToNanos(*end);
      e.duration_nano = std::max<int64_t>(0, end_nano - e.time_unix_nano);
      e.invalid_duration = end_nano < e.time_unix_nano;
    }
    std::string ns = Get<std::string>(node, "namespace").value_or("");
    e.kind = is_segment ? model::SpanKind::kServer
                        : (ns == "remote" || ns == "aws" ? model::SpanKind::kClient : model::SpanKind::kInternal);
    bool error = Get<bool>(node, "error").value_or(false);
    bool fault = Get<bool>(node, "fault").value_or(false);
    bool throttle = Get<bool>(node, "throttle").value_or(false);
    if (error || fault) e.status_code = model::StatusCode::kError;

    auto& f = e.fields;
    f.reserve(16);  // an SDK's segment has about 10; growing from 1 was 3% of mapping
    f.push_back({fields::kType, std::string(is_segment ? "segment" : "subsegment")});
    if (!ns.empty()) f.push_back({fields::kNamespace, ns});
    if (auto origin = Get<std::string>(node, "origin")) f.push_back({fields::kOrigin, *origin});
    if (in_progress) f.push_back({fields::kInProgress, true});
    if (error) f.push_back({fields::kError, true});
    if (fault) f.push_back({fields::kFault, true});
    if (throttle) f.push_back({fields::kThrottle, true});
    if (auto user = Get<std::string>(node, "user")) f.push_back({fields::kUser, *user});
    if (auto service = Member(node, "service")) {
      if (auto version = Get<std::string>(*service, "version")) f.push_back({"service.version", *version});
    }
    if (auto http = Member(node, "http")) {
      if (auto req = Member(*http, "request")) {
        if (auto v = Get<std::string>(*req, "method")) f.push_back({fields::kHttpMethod, *v});
        if (auto v = Get<std::string>(*req, "url")) f.push_back({fields::kHttpUrl, *v});
        if (auto v = Get<std::string>(*req, "user_agent")) f.push_back({fields::kHttpUserAgent, *v});
        if (auto v = Get<std::string>(*req, "client_ip")) f.push_back({fields::kHttpClientIp, *v});
        if (auto v = Get<bool>(*req, "x_forwarded_for")) f.push_back({"http.x_forwarded_for", *v});
      }
      if (auto resp = Member(*http, "response")) {
        if (auto v = Get<int64_t>(*resp, "status")) f.push_back({fields::kHttpStatus, *v});
        if (auto v = Get<int64_t>(*resp, "content_length")) f.push_back({fields::kHttpContentLength, *v});
      }
    }
    if (auto aws = Member(node, "aws")) Flatten("aws", *aws, 0, e);
    if (auto sql = Member(node, "sql")) Flatten("sql", *sql, 0, e);
    if (auto annotations = Member(node, "annotations"); annotations && annotations->is_object()) {
      for (simdjson::dom::key_value_pair a : AsObject(*annotations)) {
        if (auto v = ScalarValue(a.value)) f.push_back({StrCat(fields::kAnnotationPrefix, a.key), std::move(*v)});
      }
    }
    if (auto metadata = Member(node, "metadata"); metadata && metadata->is_object()) {
      for (simdjson::dom::key_value_pair m : AsObject(*metadata)) {
        f.push_back({StrCat(fields::kMetadataPrefix, m.key), Dump(m.value)});
      }
    }
    if (auto cause = Member(node, "cause")) {
      f.push_back({fields::kCause, Dump(*cause)});
      if (auto exceptions = Member(*cause, "exceptions")) {
        element first;
        if (exceptions->at(0).get(first) == simdjson::SUCCESS && first.is_object()) {
          if (auto v = Get<std::string>(first, "message")) {
            f.push_back({fields::kExceptionMessage, *v});
            e.status_message = *v;
          }
          if (auto v = Get<std::string>(first, "type")) f.push_back({fields::kExceptionType, *v});
        }
      }
    }

    if (auto subsegments = Member(node, "subsegments")) {
      if (!subsegments->is_array()) return Invalid(where, "subsegments: must be an array");
      size_t i = 0;
      for (element sub : AsArray(*subsegments)) {
        RETURN_IF_NOT_OK(Map(sub, StrCat(where, "subsegments[", i, "]."), *id, /*is_segment=*/false, depth + 1));
        ++i;
      }
    }
    return absl::OkStatus();
  }
};

}  // namespace

std::optional<model::TraceId> ParseXrayTraceId(std::string_view text) {
  // 1-<8 hex epoch seconds>-<24 hex>
  if (text.size() != 35 || text[0] != '1' || text[1] != '-' || text[10] != '-') return std::nullopt;
  std::string hex = StrCat(text.substr(2, 8), text.substr(11, 24));
  if (!IsHex(hex)) return std::nullopt;
  return model::TraceId::FromHex(hex);
}

std::string FormatXrayTraceId(const model::TraceId& id) {
  std::string hex = id.ToHex();
  return StrCat("1-", hex.substr(0, 8), "-", hex.substr(8));
}

// One parser per thread: it keeps its buffers between documents.
simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

absl::StatusOr<std::string_view> DocumentInDatagram(std::string_view datagram) {
  size_t newline = datagram.find('\n');
  if (newline == std::string_view::npos) {
    return absl::InvalidArgumentError("no header line: expected {\"format\":\"json\",\"version\":1} then a newline");
  }
  std::string_view header_text = datagram.substr(0, newline);
  // The SDKs' own header, byte for byte, needs no parse (it is one datagram in every 3 of work otherwise).
  if (header_text != R"({"format":"json","version":1})") {
    element header;
    if (ThreadParser().parse(header_text.data(), header_text.size()).get(header) != simdjson::SUCCESS ||
        !header.is_object()) {
      return absl::InvalidArgumentError("header line is not a JSON object");
    }
    auto format = Get<std::string>(header, "format");
    if (!format || AsciiLower(*format) != "json") {
      return absl::InvalidArgumentError("header: format must be \"json\"");
    }
  }
  std::string_view document = datagram.substr(newline + 1);
  if (TrimAsciiWhitespace(document).empty()) return absl::InvalidArgumentError("no document after the header");
  return document;
}

absl::StatusOr<MappedDocument> MapSegmentDocument(std::string_view document, std::string_view service_of_parent) {
  return MapSegmentDocument(
      document, [&](const model::TraceId&, const model::SpanId&) { return std::string(service_of_parent); });
}

absl::StatusOr<MappedDocument> MapSegmentDocument(std::string_view document, ParentService service_of_parent,
                                                  std::string* document_id) {
  if (document.size() > kMaxDocumentBytes) {
    return absl::InvalidArgumentError(StrCat("document is ", document.size(), " bytes; X-Ray's limit is 64 kB"));
  }
  element doc;
  if (auto error = ThreadParser().parse(document.data(), document.size()).get(doc); error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(StrCat("not JSON: ", simdjson::error_message(error)));
  }
  if (!doc.is_object()) return absl::InvalidArgumentError("a segment document must be a JSON object");
  if (document_id != nullptr) *document_id = Get<std::string>(doc, "id").value_or("");
  auto trace_text = Get<std::string>(doc, "trace_id");
  if (!trace_text) return absl::InvalidArgumentError("trace_id: required, e.g. 1-5759e988-bd862e3fe1be46a994272793");
  auto trace_id = ParseXrayTraceId(*trace_text);
  if (!trace_id) {
    return absl::InvalidArgumentError(
        StrCat("trace_id '", trace_text->substr(0, 64), "': expected 1-<8 hex digits>-<24 hex digits>"));
  }
  bool is_subsegment = Get<std::string>(doc, "type").value_or("") == "subsegment";
  MappedDocument mapped;
  Mapper mapper;
  mapper.trace_id = *trace_id;
  mapper.out = &mapped.events;
  if (is_subsegment) {
    auto parent_text = Get<std::string>(doc, "parent_id");
    if (!parent_text) return absl::InvalidArgumentError("parent_id: required for a subsegment sent on its own");
    auto parent = parent_text->size() == 16 && IsHex(*parent_text) ? model::SpanId::FromHex(*parent_text) : std::nullopt;
    if (parent) mapper.service = service_of_parent(*trace_id, *parent);
  } else {
    mapper.service = Get<std::string>(doc, "name").value_or("");
    mapped.segment_name = mapper.service;
  }
  mapper.dataset = ingest::DatasetFromServiceName(mapper.service);
  RETURN_IF_NOT_OK(mapper.Map(doc, "", model::SpanId{}, !is_subsegment, 0));
  mapped.events.front().fields.push_back(
      {fields::kDocument, std::string(document), model::FieldOrigin::kDerived});
  return mapped;
}

}  // namespace waggle::xray
