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

// Epoch seconds as a double carry about half a microsecond of precision at today's dates:
// round to whole microseconds so 0.996 s stays 996000 us, not 995999.9.
int64_t EpochSecondsToNanos(double seconds) {
  const double whole = std::floor(seconds);
  return static_cast<int64_t>(whole) * 1000000000 + std::llround((seconds - whole) * 1e6) * 1000;
}

// A JSON scalar as an attribute of the row being built; false for arrays, objects and null.
bool AddScalar(store::EventBatchBuilder& out, std::string_view key, element value) {
  constexpr auto kSpan = model::FieldOrigin::kSpan;
  switch (value.type()) {
    case element_type::STRING: out.AddString(kSpan, key, value.get_string().value_unsafe()); return true;
    case element_type::BOOL: out.AddBool(kSpan, key, value.get_bool().value_unsafe()); return true;
    case element_type::INT64: out.AddInt(kSpan, key, value.get_int64().value_unsafe()); return true;
    case element_type::UINT64: out.AddInt(kSpan, key, static_cast<int64_t>(value.get_uint64().value_unsafe())); return true;
    case element_type::DOUBLE: out.AddDouble(kSpan, key, value.get_double().value_unsafe()); return true;
    default: return false;
  }
}

// Compact JSON text (simdjson validated the UTF-8 while parsing, so it is valid).
std::string Dump(element value) { return simdjson::minify(value); }

// Strings are views into the parser's buffers: valid until its next document.
std::optional<std::string_view> StringOf(const std::optional<element>& member) {
  std::string_view text;
  if (member && member->get_string().get(text) == simdjson::SUCCESS) return text;
  return std::nullopt;
}

template <typename T>
std::optional<T> ValueOf(const std::optional<element>& member) {
  static_assert(std::is_same_v<T, bool> || std::is_same_v<T, double> || std::is_same_v<T, int64_t>,
                "strings: StringOf");
  if (!member) return std::nullopt;
  element it = *member;
  if constexpr (std::is_same_v<T, bool>) {
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

std::optional<std::string_view> GetString(element node, std::string_view key) { return StringOf(Member(node, key)); }

template <typename T>
std::optional<T> Get(element node, std::string_view key) {
  return ValueOf<T>(Member(node, key));
}

// The members of a segment or subsegment that mapping reads, found in one pass over its
// object: a lookup by key scans the object again each time (20 lookups a span were a fifth
// of mapping, in memcmp). The first of a repeated key wins and nulls are absent, as with
// Member().
struct SpanMembers {
  using Slot = std::optional<element>;
  Slot trace_id, type, id, parent_id, name, start_time, end_time, in_progress, ns, origin, user, error, fault,
      throttle, service, http, aws, sql, annotations, metadata, cause, subsegments;

  static SpanMembers Of(element node) {
    SpanMembers m;
    for (simdjson::dom::key_value_pair member : AsObject(node)) {
      if (member.value.is_null()) continue;
      Slot* slot = m.SlotOf(member.key);
      if (slot != nullptr && !*slot) *slot = member.value;
    }
    return m;
  }

 private:
  Slot* SlotOf(std::string_view key) {
    auto is = [&](std::string_view name, Slot& slot) { return key == name ? &slot : nullptr; };
    if (key.empty()) return nullptr;
    switch (key[0]) {
      case 'a': return key.size() == 3 ? is("aws", aws) : is("annotations", annotations);
      case 'c': return is("cause", cause);
      case 'e': return key.size() == 5 ? is("error", error) : is("end_time", end_time);
      case 'f': return is("fault", fault);
      case 'h': return is("http", http);
      case 'i': return key.size() == 2 ? is("id", id) : is("in_progress", in_progress);
      case 'm': return is("metadata", metadata);
      case 'n': return key.size() == 4 ? is("name", name) : is("namespace", ns);
      case 'o': return is("origin", origin);
      case 'p': return is("parent_id", parent_id);
      case 's':
        switch (key.size()) {
          case 3: return is("sql", sql);
          case 7: return is("service", service);
          case 10: return is("start_time", start_time);
          default: return is("subsegments", subsegments);
        }
      case 't':
        switch (key.size()) {
          case 4: return is("type", type);
          case 8: return key[1] == 'r' ? is("trace_id", trace_id) : is("throttle", throttle);
          default: return nullptr;
        }
      case 'u': return is("user", user);
      default: return nullptr;
    }
  }
};

// What every span of a document must have, read and checked for the whole document before a
// row is written: a document with one bad subsegment adds nothing.
struct SpanHead {
  SpanMembers members;
  std::string_view name;
  model::SpanId id;
  model::SpanId parent;
  int64_t start = 0;
  int64_t end = 0;
  bool in_progress = false;
  bool is_segment = false;
};

// Checks the span of `m` and, in order, every subsegment inside it. A message names the
// field; the path to its subsegment is put in front on the way out.
absl::Status CheckSpans(const SpanMembers& m, const model::SpanId& parent, bool is_segment, int depth,
                        std::vector<SpanHead>& heads) {
  if (depth > kMaxNesting) return absl::InvalidArgumentError(StrCat("subsegments nested deeper than ", kMaxNesting));
  SpanHead head;
  head.members = m;
  head.is_segment = is_segment;
  auto name = StringOf(m.name);
  if (!name || name->empty()) return absl::InvalidArgumentError("name: required, a non-empty string");
  if (name->size() > kMaxNameChars) {
    return absl::InvalidArgumentError(StrCat("name: longer than ", kMaxNameChars, " characters"));
  }
  head.name = *name;
  auto id = StringOf(m.id);
  std::optional<model::SpanId> span_id = id ? model::SpanId::FromHex(*id) : std::nullopt;
  if (!span_id) return absl::InvalidArgumentError("id: required, 16 hex digits");
  head.id = *span_id;
  auto start = ValueOf<double>(m.start_time);
  if (!start || !std::isfinite(*start) || *start <= 0 || *start > kMaxEpochSeconds) {
    return absl::InvalidArgumentError("start_time: required, epoch seconds (e.g. 1478293361.271)");
  }
  head.start = EpochSecondsToNanos(*start);
  head.in_progress = ValueOf<bool>(m.in_progress).value_or(false);
  if (!head.in_progress) {
    auto end = ValueOf<double>(m.end_time);
    if (!end || !std::isfinite(*end) || *end <= 0 || *end > kMaxEpochSeconds) {
      return absl::InvalidArgumentError("end_time: required unless in_progress is true, epoch seconds");
    }
    head.end = EpochSecondsToNanos(*end);
  }
  head.parent = parent;
  if (auto p = StringOf(m.parent_id)) {
    auto parsed = model::SpanId::FromHex(*p);
    if (!parsed) return absl::InvalidArgumentError("parent_id: 16 hex digits");
    head.parent = *parsed;
  }
  heads.push_back(head);
  if (m.subsegments) {
    if (!m.subsegments->is_array()) return absl::InvalidArgumentError("subsegments: must be an array");
    size_t i = 0;
    for (element sub : AsArray(*m.subsegments)) {
      absl::Status s = sub.is_object() ? CheckSpans(SpanMembers::Of(sub), head.id, /*is_segment=*/false, depth + 1, heads)
                                       : absl::InvalidArgumentError("must be a JSON object");
      if (!s.ok()) {
        return absl::InvalidArgumentError(StrCat("subsegments[", i, "].", std::string(s.message())));
      }
      ++i;
    }
  }
  return absl::OkStatus();
}

// Writes checked spans as rows.
class RowWriter {
 public:
  RowWriter(store::EventBatchBuilder& out, const model::TraceId& trace_id, std::string_view service,
            std::string_view dataset)
      : out_(out), trace_id_(trace_id), service_(service), dataset_(dataset) {}

  void Write(const SpanHead& head) {
    const SpanMembers& m = head.members;
    out_.StartRow(dataset_);
    out_.SetBytes(FixedField::kTraceId, trace_id_.AsBytes());
    out_.SetBytes(FixedField::kSpanId, head.id.AsBytes());
    out_.SetBytes(FixedField::kParentSpanId, head.parent.AsBytes());
    out_.SetString(FixedField::kName, head.name);
    out_.SetString(FixedField::kServiceName, service_);
    out_.SetInt(FixedField::kTime, head.start);
    if (!head.in_progress) {
      out_.SetInt(FixedField::kDuration, std::max<int64_t>(0, head.end - head.start));
      if (head.end < head.start) out_.SetInt(FixedField::kInvalidDuration, 1);
    }
    std::string_view ns = StringOf(m.ns).value_or("");
    const model::SpanKind kind =
        head.is_segment ? model::SpanKind::kServer
                        : (ns == "remote" || ns == "aws" ? model::SpanKind::kClient : model::SpanKind::kInternal);
    out_.SetInt(FixedField::kKind, model::ToStoredInt(kind));
    const bool error = ValueOf<bool>(m.error).value_or(false);
    const bool fault = ValueOf<bool>(m.fault).value_or(false);
    const bool throttle = ValueOf<bool>(m.throttle).value_or(false);
    if (error || fault) out_.SetInt(FixedField::kStatusCode, model::ToStoredInt(model::StatusCode::kError));

    constexpr auto kSpan = model::FieldOrigin::kSpan;
    out_.AddString(kSpan, fields::kType, head.is_segment ? "segment" : "subsegment");
    if (!ns.empty()) out_.AddString(kSpan, fields::kNamespace, ns);
    if (auto origin = StringOf(m.origin)) out_.AddString(kSpan, fields::kOrigin, *origin);
    if (head.in_progress) out_.AddBool(kSpan, fields::kInProgress, true);
    if (error) out_.AddBool(kSpan, fields::kError, true);
    if (fault) out_.AddBool(kSpan, fields::kFault, true);
    if (throttle) out_.AddBool(kSpan, fields::kThrottle, true);
    if (auto user = StringOf(m.user)) out_.AddString(kSpan, fields::kUser, *user);
    if (const auto& service = m.service) {
      if (auto version = GetString(*service, "version")) out_.AddString(kSpan, "service.version", *version);
    }
    if (const auto& http = m.http) {
      if (auto req = Member(*http, "request")) {
        if (auto v = GetString(*req, "method")) out_.AddString(kSpan, fields::kHttpMethod, *v);
        if (auto v = GetString(*req, "url")) out_.AddString(kSpan, fields::kHttpUrl, *v);
        if (auto v = GetString(*req, "user_agent")) out_.AddString(kSpan, fields::kHttpUserAgent, *v);
        if (auto v = GetString(*req, "client_ip")) out_.AddString(kSpan, fields::kHttpClientIp, *v);
        if (auto v = Get<bool>(*req, "x_forwarded_for")) out_.AddBool(kSpan, "http.x_forwarded_for", *v);
      }
      if (auto resp = Member(*http, "response")) {
        if (auto v = Get<int64_t>(*resp, "status")) out_.AddInt(kSpan, fields::kHttpStatus, *v);
        if (auto v = Get<int64_t>(*resp, "content_length")) out_.AddInt(kSpan, fields::kHttpContentLength, *v);
      }
    }
    if (m.aws) Flatten("aws", *m.aws);
    if (m.sql) Flatten("sql", *m.sql);
    if (m.annotations && m.annotations->is_object()) {
      for (simdjson::dom::key_value_pair a : AsObject(*m.annotations)) {
        key_.assign(fields::kAnnotationPrefix).append(a.key);
        AddScalar(out_, key_, a.value);
      }
    }
    if (m.metadata && m.metadata->is_object()) {
      for (simdjson::dom::key_value_pair item : AsObject(*m.metadata)) {
        key_.assign(fields::kMetadataPrefix).append(item.key);
        out_.AddString(kSpan, key_, Dump(item.value));
      }
    }
    if (const auto& cause = m.cause) {
      out_.AddString(kSpan, fields::kCause, Dump(*cause));
      if (auto exceptions = Member(*cause, "exceptions")) {
        element first;
        if (exceptions->at(0).get(first) == simdjson::SUCCESS && first.is_object()) {
          if (auto v = GetString(first, "message")) {
            out_.AddString(kSpan, fields::kExceptionMessage, *v);
            out_.SetString(FixedField::kStatusMessage, *v);
          }
          if (auto v = GetString(first, "type")) out_.AddString(kSpan, fields::kExceptionType, *v);
        }
      }
    }
  }

 private:
  using FixedField = model::FixedField;

  // Objects become dotted keys (aws.xray.sdk), arrays and deeper objects JSON text: the
  // way Honeycomb flattens nested attributes, so they stay queryable.
  void Flatten(std::string_view prefix, element value) {
    key_.assign(prefix);
    FlattenInto(value, 0);
  }
  void FlattenInto(element value, int depth) {
    if (value.is_object() && depth < 3) {
      const size_t length = key_.size();
      for (simdjson::dom::key_value_pair member : AsObject(value)) {
        key_.append(".").append(member.key);
        FlattenInto(member.value, depth + 1);
        key_.resize(length);
      }
      return;
    }
    if (value.is_null()) return;
    if (!AddScalar(out_, key_, value)) out_.AddString(model::FieldOrigin::kSpan, key_, Dump(value));
  }

  store::EventBatchBuilder& out_;
  const model::TraceId& trace_id_;
  std::string_view service_;
  std::string_view dataset_;
  std::string key_;  // attribute keys are built here, without an allocation each
};

}  // namespace

std::optional<model::TraceId> ParseXrayTraceId(std::string_view text) {
  // 1-<8 hex epoch seconds>-<24 hex>
  if (text.size() != 35 || text[0] != '1' || text[1] != '-' || text[10] != '-') return std::nullopt;
  char hex[32];
  text.copy(hex, 8, 2);
  text.copy(hex + 8, 24, 11);
  return model::TraceId::FromHex(std::string_view(hex, sizeof hex));
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
    auto format = GetString(header, "format");
    if (!format || AsciiLower(*format) != "json") {
      return absl::InvalidArgumentError("header: format must be \"json\"");
    }
  }
  std::string_view document = datagram.substr(newline + 1);
  if (TrimAsciiWhitespace(document).empty()) return absl::InvalidArgumentError("no document after the header");
  return document;
}

absl::StatusOr<DocumentRows> MapSegmentDocument(std::string_view document, ParentService service_of_parent,
                                                store::EventBatchBuilder& out, std::string* document_id) {
  if (document.size() > kMaxDocumentBytes) {
    return absl::InvalidArgumentError(StrCat("document is ", document.size(), " bytes; X-Ray's limit is 64 kB"));
  }
  element doc;
  if (auto error = ThreadParser().parse(document.data(), document.size()).get(doc); error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(StrCat("not JSON: ", simdjson::error_message(error)));
  }
  if (!doc.is_object()) return absl::InvalidArgumentError("a segment document must be a JSON object");
  const SpanMembers top = SpanMembers::Of(doc);
  if (document_id != nullptr) *document_id = StringOf(top.id).value_or("");
  auto trace_text = StringOf(top.trace_id);
  if (!trace_text) return absl::InvalidArgumentError("trace_id: required, e.g. 1-5759e988-bd862e3fe1be46a994272793");
  auto trace_id = ParseXrayTraceId(*trace_text);
  if (!trace_id) {
    return absl::InvalidArgumentError(
        StrCat("trace_id '", trace_text->substr(0, 64), "': expected 1-<8 hex digits>-<24 hex digits>"));
  }
  const bool is_subsegment = StringOf(top.type).value_or("") == "subsegment";
  DocumentRows rows;
  rows.trace_id = *trace_id;
  if (is_subsegment) {
    auto parent_text = StringOf(top.parent_id);
    if (!parent_text) return absl::InvalidArgumentError("parent_id: required for a subsegment sent on its own");
    if (auto parent = model::SpanId::FromHex(*parent_text)) rows.service = service_of_parent(*trace_id, *parent);
  } else {
    rows.service = StringOf(top.name).value_or("");
  }
  thread_local std::vector<SpanHead> heads;  // kept between documents: no allocation each
  heads.clear();
  RETURN_IF_NOT_OK(CheckSpans(top, model::SpanId{}, !is_subsegment, 0, heads));
  const std::string dataset = ingest::DatasetFromServiceName(rows.service);
  RowWriter writer(out, *trace_id, rows.service, dataset);
  rows.span_ids.reserve(heads.size());
  for (size_t i = 0; i < heads.size(); ++i) {
    writer.Write(heads[i]);
    if (i == 0) out.AddString(model::FieldOrigin::kDerived, fields::kDocument, document);
    rows.span_ids.push_back(heads[i].id);
  }
  rows.is_segment = !is_subsegment;
  return rows;
}

absl::StatusOr<MappedDocument> MapSegmentDocument(std::string_view document, std::string_view service_of_parent) {
  store::EventBatchBuilder builder;
  auto rows = MapSegmentDocument(
      document, [&](const model::TraceId&, const model::SpanId&) { return std::string(service_of_parent); }, builder);
  if (!rows.ok()) return rows.status();
  MappedDocument mapped;
  mapped.events = store::BatchEvents(builder.Finish());
  if (rows->is_segment) mapped.segment_name = rows->service;
  return mapped;
}

}  // namespace waggle::xray
