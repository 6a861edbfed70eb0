// X-Ray segment documents (shared/reference/protocols.md B1-B2) -> Waggle event rows. A
// segment and each subsegment inside it become one span row each, written straight into the
// columns of an EventBatchBuilder, in the same store as OTLP
// spans: X-Ray ids become W3C ids, and what X-Ray keeps (http, sql, aws, annotations,
// metadata, cause, error/fault/throttle) becomes queryable fields (names in xray_fields.h).
// The document as sent is kept on the span of the top-level document, so BatchGetTraces can
// give it back unchanged.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "model/event.h"
#include "store/event_batch.h"

namespace waggle::xray {

// "1-5759e988-bd862e3fe1be46a994272793" <-> 5759e988bd862e3fe1be46a994272793.
std::optional<model::TraceId> ParseXrayTraceId(std::string_view text);
std::string FormatXrayTraceId(const model::TraceId& id);

// X-Ray's limit on one document (and the daemon's receive buffer).
inline constexpr size_t kMaxDocumentBytes = 64 * 1024;

// The document in a daemon datagram: `{"format":"json","version":1}` (any spacing or
// case), a newline, then the document. InvalidArgument says what is wrong.
absl::StatusOr<std::string_view> DocumentInDatagram(std::string_view datagram);

// Names the service of a subsegment sent on its own, from its trace id and parent id (the
// service of its segment when that was seen; empty when not known).
using ParentService = absl::FunctionRef<std::string(const model::TraceId&, const model::SpanId&)>;

// What one document added.
struct DocumentRows {
  model::TraceId trace_id;
  std::vector<model::SpanId> span_ids;  // its rows' span ids, in order
  std::string service;                  // every row's service: the segment's name, or its parent's
  bool is_segment = false;              // false: a subsegment sent on its own
};

// Parses (simdjson) one document of at most kMaxDocumentBytes and adds a row per span to
// `out`, all or none: the whole document is checked before its first row. InvalidArgument
// names the field at fault. `document` is kept as sent; `document_id`, when given, receives
// the document's id when it could be read, also when mapping fails.
absl::StatusOr<DocumentRows> MapSegmentDocument(std::string_view document, ParentService service_of_parent,
                                                store::EventBatchBuilder& out, std::string* document_id = nullptr);

// One document as Events (tests, fuzzing, tools), with the service of a lone subsegment given.
struct MappedDocument {
  std::vector<model::Event> events;  // the document's span first, then its subsegments
  std::string segment_name;          // empty for a subsegment sent alone
};
absl::StatusOr<MappedDocument> MapSegmentDocument(std::string_view document,
                                                  std::string_view service_of_parent = {});

}  // namespace waggle::xray
