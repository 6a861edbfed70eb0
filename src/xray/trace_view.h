// One trace as X-Ray sees it: segments (one per service hop) and their subsegments, built
// from stored events whichever protocol sent them. X-Ray documents are read back from their
// fields; OTLP spans become segments where a service is entered (a root, a server or
// consumer span, or a span whose parent is in another service) and subsegments elsewhere.
// Filter expressions, trace summaries, service graphs and BatchGetTraces all read this.
#pragma once

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "model/event.h"

namespace waggle::xray {

struct XrayNode {
  std::string id;         // 16 hex
  std::string parent_id;  // empty for a root
  std::string name;
  std::string service;    // the owning segment's name
  std::string origin;     // segment type, e.g. AWS::EC2::Instance (may be empty)
  std::string namespace_;  // subsegments: "remote", "aws", "local" or empty
  // OTLP client spans: the service called (peer.service, server.address, net.peer.name,
  // db.system, the URL's host), which names the inferred node; empty otherwise.
  std::string remote_name;
  bool is_segment = false;
  bool in_progress = false;
  bool error = false;
  bool fault = false;
  bool throttle = false;
  double start = 0;  // epoch seconds
  double end = 0;
  int64_t http_status = 0;
  std::string http_method;
  std::string http_url;
  std::string http_user_agent;
  std::string http_client_ip;
  std::string user;
  std::string exception_message;
  std::string exception_type;
  std::string availability_zone;
  std::string instance_id;
  std::string resource_arn;
  std::vector<std::pair<std::string, model::AttributeValue>> annotations;
  std::string document;  // the X-Ray document as sent (top-level X-Ray documents only)
  bool from_xray = false;

  int parent = -1;   // index in XrayTrace::nodes, -1 when the parent is not in the trace
  int segment = -1;  // index of the owning segment (itself for a segment)
  std::vector<int> children;

  // Rounded to microseconds, the precision X-Ray documents carry.
  double Duration() const { return end > start ? std::round((end - start) * 1e6) / 1e6 : 0; }
  bool Ok() const { return !error && !fault && !throttle; }
  const model::AttributeValue* Annotation(std::string_view key) const;
  // The name of the service node a call is drawn as (remote_name, else the name).
  const std::string& CalleeName() const { return remote_name.empty() ? name : remote_name; }
};

struct XrayTrace {
  model::TraceId trace_id;
  std::vector<XrayNode> nodes;  // one per (trace, id): completed documents win over in_progress ones
  int root = -1;                // the entry segment (no parent in the trace); -1 if none
  double start = 0;
  double end = 0;
  bool partial = false;  // a parent is missing, or something is still in progress

  double Duration() const { return end > start ? std::round((end - start) * 1e6) / 1e6 : 0; }
  const XrayNode* Root() const { return root >= 0 ? &nodes[root] : nullptr; }
};

XrayTrace BuildXrayTrace(const model::TraceId& trace_id, const std::vector<model::Event>& events);

// BatchGetTraces' segments: (id, document) per segment. X-Ray documents come back as sent,
// with subsegments that were sent on their own put under their parents; OTLP segments are
// rendered as segment documents.
std::vector<std::pair<std::string, std::string>> SegmentDocuments(const XrayTrace& trace);

}  // namespace waggle::xray
