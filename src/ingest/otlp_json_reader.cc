#include "ingest/otlp_json_reader.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/escaping.h"
#include "common/json_dom.h"
#include "common/strings.h"
#include "common/status_macros.h"
#include "model/ids.h"

namespace waggle::ingest {
namespace {

namespace common_pb = opentelemetry::proto::common::v1;
namespace trace_pb = opentelemetry::proto::trace::v1;
using simdjson::dom::element;
using simdjson::dom::element_type;

// AnyValue nests (arrays, kvlists); bound it so hostile input cannot exhaust the stack.
constexpr int kMaxValueDepth = 32;

using json_dom::AsArray;
using json_dom::AsObject;

// The path of the value being read, for error messages a user can act on.
class JsonPath {
 public:
  void Push(std::string_view field) {
    marks_.push_back(path_.size());
    if (!path_.empty()) path_ += '.';
    path_.append(field);
  }
  void PushIndex(size_t i) {
    marks_.push_back(path_.size());
    StrAppend(&path_, "[", i, "]");
  }
  void Pop() {
    path_.resize(marks_.back());
    marks_.pop_back();
  }
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        StrCat(path_.empty() ? "body" : path_, ": ", what));
  }

 private:
  std::string path_;
  std::vector<size_t> marks_;
};

class Reader {
 public:
  absl::Status ReadRequest(element root,
                           opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* out) {
    if (!root.is_object()) return path_.Error("expected a JSON object (ExportTraceServiceRequest)");
    for (simdjson::dom::key_value_pair key_value : AsObject(root)) {
      // Named copies, not structured bindings, here and below: lambdas capture them, which clang 14 refuses.
      std::string_view key = key_value.key;
      element value = key_value.value;
      if (Is(key, "resourceSpans", "resource_spans")) {
        RETURN_IF_NOT_OK(ForEach(key, value, [&](element item) {
          return ReadResourceSpans(item, out->add_resource_spans());
        }));
      }
    }
    return absl::OkStatus();
  }

 private:
  static bool Is(std::string_view key, std::string_view camel, std::string_view snake) {
    return key == camel || key == snake;
  }

  // Calls `fn` for each element of the array `value` (null = empty), tracking the path.
  template <typename Fn>
  absl::Status ForEach(std::string_view key, element value, Fn&& fn) {
    path_.Push(key);
    absl::Status status = absl::OkStatus();
    if (value.is_null()) {
      // Absent.
    } else if (!value.is_array()) {
      status = path_.Error("expected an array");
    } else {
      size_t i = 0;
      for (element item : AsArray(value)) {
        path_.PushIndex(i++);
        status = fn(item);
        path_.Pop();
        if (!status.ok()) break;
      }
    }
    path_.Pop();
    return status;
  }

  template <typename Fn>
  absl::Status InField(std::string_view key, Fn&& fn) {
    path_.Push(key);
    absl::Status status = fn();
    path_.Pop();
    return status;
  }

  absl::Status ExpectObject(element value, std::string_view what) {
    if (!value.is_object()) return path_.Error(StrCat("expected an object (", what, ")"));
    return absl::OkStatus();
  }

  absl::Status ReadString(element value, std::string* out) {
    if (value.is_null()) return absl::OkStatus();
    if (!value.is_string()) return path_.Error("expected a string");
    out->assign(value.get_string().value_unsafe());
    return absl::OkStatus();
  }

  // A 64-bit integer as a JSON number or a decimal string (the protobuf JSON mapping).
  template <typename Int>
  absl::Status ReadInteger(element value, Int* out) {
    constexpr bool kSigned = std::is_signed_v<Int>;
    constexpr std::string_view kWhat = kSigned ? "an integer" : "an unsigned integer";
    if (value.is_null()) return absl::OkStatus();
    if (value.is_string()) {
      std::string_view s = value.get_string().value_unsafe();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
      if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
        return path_.Error(StrCat("expected ", kWhat, ", got \"", s.substr(0, 40), "\""));
      }
      return absl::OkStatus();
    }
    if (value.is_int64()) {
      int64_t n = value.get_int64().value_unsafe();
      if (kSigned || n >= 0) {
        *out = static_cast<Int>(n);
        return absl::OkStatus();
      }
    } else if (value.is_uint64()) {
      if (!kSigned) {
        *out = static_cast<Int>(value.get_uint64().value_unsafe());
        return absl::OkStatus();
      }
    } else if (value.is_double()) {
      double d = value.get_double().value_unsafe();
      constexpr double kLow = kSigned ? -9.2233720368547758e18 : 0;
      constexpr double kHigh = kSigned ? 9.2233720368547758e18 : 1.8446744073709552e19;
      if (d >= kLow && d < kHigh && d == std::floor(d)) {
        *out = static_cast<Int>(d);
        return absl::OkStatus();
      }
    }
    return path_.Error(StrCat("expected ", kWhat, " (number or decimal string)"));
  }
  absl::Status ReadUint64(element value, uint64_t* out) { return ReadInteger(value, out); }
  absl::Status ReadInt64(element value, int64_t* out) { return ReadInteger(value, out); }

  absl::Status ReadUint32(element value, uint32_t* out) {
    uint64_t wide = 0;
    RETURN_IF_NOT_OK(ReadUint64(value, &wide));
    if (wide > std::numeric_limits<uint32_t>::max()) return path_.Error("value out of range for uint32");
    *out = static_cast<uint32_t>(wide);
    return absl::OkStatus();
  }

  // An enum as its number or its name; `names` is indexed by number.
  absl::Status ReadEnum(element value, std::initializer_list<std::string_view> names, int* out) {
    if (value.is_null()) return absl::OkStatus();
    if (value.is_string()) {
      std::string_view s = value.get_string().value_unsafe();
      int i = 0;
      for (std::string_view name : names) {
        if (s == name) {
          *out = i;
          return absl::OkStatus();
        }
        ++i;
      }
      return path_.Error(StrCat("unknown enum value \"", s.substr(0, 40), "\""));
    }
    int64_t n = 0;
    RETURN_IF_NOT_OK(ReadInt64(value, &n));
    if (n < std::numeric_limits<int32_t>::min() || n > std::numeric_limits<int32_t>::max()) {
      return path_.Error("enum value out of range");
    }
    *out = static_cast<int>(n);  // Unknown numbers are kept, as proto3 open enums are.
    return absl::OkStatus();
  }

  // OTLP/JSON ids are hex (not base64); an empty string means "not set".
  absl::Status ReadHexId(element value, size_t size, std::string* out) {
    if (value.is_null()) return absl::OkStatus();
    if (!value.is_string()) return path_.Error("expected a hex string");
    std::string_view s = value.get_string().value_unsafe();
    if (s.empty()) return absl::OkStatus();
    if (s.size() != 2 * size) {
      return path_.Error(StrCat("expected ", 2 * size, " hex digits, got ", s.size()));
    }
    auto raw = model::HexDecode(s);
    if (!raw) return path_.Error("expected hex digits 0-9a-f");
    *out = std::move(*raw);
    return absl::OkStatus();
  }

  absl::Status ReadDouble(element value, double* out) {
    if (value.is_string()) {
      std::string_view s = value.get_string().value_unsafe();
      if (s == "NaN") *out = std::numeric_limits<double>::quiet_NaN();
      else if (s == "Infinity") *out = std::numeric_limits<double>::infinity();
      else if (s == "-Infinity") *out = -std::numeric_limits<double>::infinity();
      else {
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
        if (ec != std::errc() || end != s.data() + s.size()) return path_.Error("expected a number");
      }
      return absl::OkStatus();
    }
    if (value.is_double()) *out = value.get_double().value_unsafe();
    else if (value.is_int64()) *out = static_cast<double>(value.get_int64().value_unsafe());
    else if (value.is_uint64()) *out = static_cast<double>(value.get_uint64().value_unsafe());
    else return path_.Error("expected a number");
    return absl::OkStatus();
  }

  absl::Status ReadAnyValue(element value, common_pb::AnyValue* out, int depth) {
    if (value.is_null()) return absl::OkStatus();
    RETURN_IF_NOT_OK(ExpectObject(value, "AnyValue"));
    if (depth > kMaxValueDepth) {
      return path_.Error(StrCat("attribute values nest deeper than ", kMaxValueDepth, " levels"));
    }
    for (simdjson::dom::key_value_pair key_item : AsObject(value)) {
      std::string_view key = key_item.key;
      element item = key_item.value;
      if (item.is_null()) continue;
      absl::Status status = InField(key, [&]() -> absl::Status {
        if (Is(key, "stringValue", "string_value")) {
          return ReadString(item, out->mutable_string_value());
        }
        if (Is(key, "boolValue", "bool_value")) {
          if (!item.is_bool()) return path_.Error("expected true or false");
          out->set_bool_value(item.get_bool().value_unsafe());
          return absl::OkStatus();
        }
        if (Is(key, "intValue", "int_value")) {
          int64_t n = 0;
          RETURN_IF_NOT_OK(ReadInt64(item, &n));
          out->set_int_value(n);
          return absl::OkStatus();
        }
        if (Is(key, "doubleValue", "double_value")) {
          double d = 0;
          RETURN_IF_NOT_OK(ReadDouble(item, &d));
          out->set_double_value(d);
          return absl::OkStatus();
        }
        if (Is(key, "bytesValue", "bytes_value")) {
          if (!item.is_string()) return path_.Error("expected a base64 string");
          std::string decoded;
          if (!absl::Base64Unescape(std::string(item.get_string().value_unsafe()), &decoded)) {
            return path_.Error("expected base64");
          }
          out->set_bytes_value(std::move(decoded));
          return absl::OkStatus();
        }
        if (Is(key, "arrayValue", "array_value")) {
          RETURN_IF_NOT_OK(ExpectObject(item, "ArrayValue"));
          auto* array = out->mutable_array_value();
          for (simdjson::dom::key_value_pair k_v : AsObject(item)) {
            std::string_view k = k_v.key;
            element v = k_v.value;
            if (k != "values") continue;
            RETURN_IF_NOT_OK(ForEach(k, v, [&](element e) {
              return ReadAnyValue(e, array->add_values(), depth + 1);
            }));
          }
          return absl::OkStatus();
        }
        if (Is(key, "kvlistValue", "kvlist_value")) {
          RETURN_IF_NOT_OK(ExpectObject(item, "KeyValueList"));
          auto* list = out->mutable_kvlist_value();
          for (simdjson::dom::key_value_pair k_v : AsObject(item)) {
            std::string_view k = k_v.key;
            element v = k_v.value;
            if (k != "values") continue;
            RETURN_IF_NOT_OK(ForEach(k, v, [&](element e) {
              return ReadKeyValue(e, list->add_values(), depth + 1);
            }));
          }
          return absl::OkStatus();
        }
        return absl::OkStatus();
      });
      RETURN_IF_NOT_OK(status);
    }
    return absl::OkStatus();
  }

  absl::Status ReadKeyValue(element value, common_pb::KeyValue* out, int depth = 0) {
    RETURN_IF_NOT_OK(ExpectObject(value, "KeyValue"));
    for (simdjson::dom::key_value_pair key_item : AsObject(value)) {
      std::string_view key = key_item.key;
      element item = key_item.value;
      if (key == "key") {
        RETURN_IF_NOT_OK(InField(key, [&] { return ReadString(item, out->mutable_key()); }));
      } else if (key == "value") {
        RETURN_IF_NOT_OK(
            InField(key, [&] { return ReadAnyValue(item, out->mutable_value(), depth); }));
      }
    }
    return absl::OkStatus();
  }

  template <typename Message>
  absl::Status ReadAttributes(std::string_view key, element value, Message* out) {
    return ForEach(key, value, [&](element e) { return ReadKeyValue(e, out->add_attributes()); });
  }

  absl::Status ReadResourceSpans(element value, trace_pb::ResourceSpans* out) {
    RETURN_IF_NOT_OK(ExpectObject(value, "ResourceSpans"));
    for (simdjson::dom::key_value_pair key_item : AsObject(value)) {
      std::string_view key = key_item.key;
      element item = key_item.value;
      if (key == "resource") {
        if (item.is_null()) continue;
        RETURN_IF_NOT_OK(InField(key, [&]() -> absl::Status {
          RETURN_IF_NOT_OK(ExpectObject(item, "Resource"));
          auto* resource = out->mutable_resource();
          for (simdjson::dom::key_value_pair k_v : AsObject(item)) {
            std::string_view k = k_v.key;
            element v = k_v.value;
            if (k == "attributes") RETURN_IF_NOT_OK(ReadAttributes(k, v, resource));
          }
          return absl::OkStatus();
        }));
      } else if (Is(key, "scopeSpans", "scope_spans")) {
        RETURN_IF_NOT_OK(ForEach(key, item, [&](element e) {
          return ReadScopeSpans(e, out->add_scope_spans());
        }));
      } else if (Is(key, "schemaUrl", "schema_url")) {
        RETURN_IF_NOT_OK(InField(key, [&] { return ReadString(item, out->mutable_schema_url()); }));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadScopeSpans(element value, trace_pb::ScopeSpans* out) {
    RETURN_IF_NOT_OK(ExpectObject(value, "ScopeSpans"));
    for (simdjson::dom::key_value_pair key_item : AsObject(value)) {
      std::string_view key = key_item.key;
      element item = key_item.value;
      if (key == "scope") {
        if (item.is_null()) continue;
        RETURN_IF_NOT_OK(InField(key, [&]() -> absl::Status {
          RETURN_IF_NOT_OK(ExpectObject(item, "InstrumentationScope"));
          auto* scope = out->mutable_scope();
          for (simdjson::dom::key_value_pair k_v : AsObject(item)) {
            std::string_view k = k_v.key;
            element v = k_v.value;
            if (k == "name") {
              RETURN_IF_NOT_OK(InField(k, [&] { return ReadString(v, scope->mutable_name()); }));
            } else if (k == "version") {
              RETURN_IF_NOT_OK(InField(k, [&] { return ReadString(v, scope->mutable_version()); }));
            } else if (k == "attributes") {
              RETURN_IF_NOT_OK(ReadAttributes(k, v, scope));
            }
          }
          return absl::OkStatus();
        }));
      } else if (key == "spans") {
        RETURN_IF_NOT_OK(
            ForEach(key, item, [&](element e) { return ReadSpan(e, out->add_spans()); }));
      } else if (Is(key, "schemaUrl", "schema_url")) {
        RETURN_IF_NOT_OK(InField(key, [&] { return ReadString(item, out->mutable_schema_url()); }));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadSpan(element value, trace_pb::Span* span) {
    RETURN_IF_NOT_OK(ExpectObject(value, "Span"));
    for (simdjson::dom::key_value_pair key_item : AsObject(value)) {
      std::string_view key = key_item.key;
      element item = key_item.value;
      if (key == "attributes") {
        RETURN_IF_NOT_OK(ReadAttributes(key, item, span));
        continue;
      }
      if (key == "events") {
        RETURN_IF_NOT_OK(
            ForEach(key, item, [&](element e) { return ReadEvent(e, span->add_events()); }));
        continue;
      }
      if (key == "links") {
        RETURN_IF_NOT_OK(
            ForEach(key, item, [&](element e) { return ReadLink(e, span->add_links()); }));
        continue;
      }
      absl::Status status = InField(key, [&]() -> absl::Status {
        if (Is(key, "traceId", "trace_id")) return ReadHexId(item, 16, span->mutable_trace_id());
        if (Is(key, "spanId", "span_id")) return ReadHexId(item, 8, span->mutable_span_id());
        if (Is(key, "parentSpanId", "parent_span_id")) {
          return ReadHexId(item, 8, span->mutable_parent_span_id());
        }
        if (Is(key, "traceState", "trace_state")) return ReadString(item, span->mutable_trace_state());
        if (key == "name") return ReadString(item, span->mutable_name());
        if (key == "flags") {
          uint32_t flags = 0;
          RETURN_IF_NOT_OK(ReadUint32(item, &flags));
          span->set_flags(flags);
          return absl::OkStatus();
        }
        if (key == "kind") {
          int kind = 0;
          RETURN_IF_NOT_OK(ReadEnum(item,
                                    {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
                                     "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"},
                                    &kind));
          span->set_kind(static_cast<trace_pb::Span::SpanKind>(kind));
          return absl::OkStatus();
        }
        if (Is(key, "startTimeUnixNano", "start_time_unix_nano")) {
          uint64_t t = 0;
          RETURN_IF_NOT_OK(ReadUint64(item, &t));
          span->set_start_time_unix_nano(t);
          return absl::OkStatus();
        }
        if (Is(key, "endTimeUnixNano", "end_time_unix_nano")) {
          uint64_t t = 0;
          RETURN_IF_NOT_OK(ReadUint64(item, &t));
          span->set_end_time_unix_nano(t);
          return absl::OkStatus();
        }
        if (key == "status") {
          if (item.is_null()) return absl::OkStatus();
          RETURN_IF_NOT_OK(ExpectObject(item, "Status"));
          for (simdjson::dom::key_value_pair k_v : AsObject(item)) {
            std::string_view k = k_v.key;
            element v = k_v.value;
            if (k == "message") {
              RETURN_IF_NOT_OK(ReadString(v, span->mutable_status()->mutable_message()));
            } else if (k == "code") {
              int code = 0;
              RETURN_IF_NOT_OK(ReadEnum(
                  v, {"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"}, &code));
              span->mutable_status()->set_code(static_cast<trace_pb::Status::StatusCode>(code));
            }
          }
          return absl::OkStatus();
        }
        return absl::OkStatus();  // dropped*Count and unknown fields are ignored.
      });
      RETURN_IF_NOT_OK(status);
    }
    return absl::OkStatus();
  }

  absl::Status ReadEvent(element value, trace_pb::Span::Event* event) {
    RETURN_IF_NOT_OK(ExpectObject(value, "Span.Event"));
    for (simdjson::dom::key_value_pair key_item : AsObject(value)) {
      std::string_view key = key_item.key;
      element item = key_item.value;
      if (Is(key, "timeUnixNano", "time_unix_nano")) {
        uint64_t t = 0;
        RETURN_IF_NOT_OK(InField(key, [&] { return ReadUint64(item, &t); }));
        event->set_time_unix_nano(t);
      } else if (key == "name") {
        RETURN_IF_NOT_OK(InField(key, [&] { return ReadString(item, event->mutable_name()); }));
      } else if (key == "attributes") {
        RETURN_IF_NOT_OK(ReadAttributes(key, item, event));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadLink(element value, trace_pb::Span::Link* link) {
    RETURN_IF_NOT_OK(ExpectObject(value, "Span.Link"));
    for (simdjson::dom::key_value_pair key_item : AsObject(value)) {
      std::string_view key = key_item.key;
      element item = key_item.value;
      if (Is(key, "traceId", "trace_id")) {
        RETURN_IF_NOT_OK(InField(key, [&] { return ReadHexId(item, 16, link->mutable_trace_id()); }));
      } else if (Is(key, "spanId", "span_id")) {
        RETURN_IF_NOT_OK(InField(key, [&] { return ReadHexId(item, 8, link->mutable_span_id()); }));
      } else if (Is(key, "traceState", "trace_state")) {
        RETURN_IF_NOT_OK(InField(key, [&] { return ReadString(item, link->mutable_trace_state()); }));
      } else if (key == "flags") {
        uint32_t flags = 0;
        RETURN_IF_NOT_OK(InField(key, [&] { return ReadUint32(item, &flags); }));
        link->set_flags(flags);
      } else if (key == "attributes") {
        RETURN_IF_NOT_OK(ReadAttributes(key, item, link));
      }
    }
    return absl::OkStatus();
  }

  JsonPath path_;
};

}  // namespace

absl::Status ParseOtlpTracesJson(
    std::string_view json,
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* out) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element root;
  if (auto error = parser.parse(padded).get(root); error) {
    return absl::InvalidArgumentError(
        StrCat("body is not valid JSON: ", simdjson::error_message(error)));
  }
  return Reader().ReadRequest(root, out);
}

}  // namespace waggle::ingest
