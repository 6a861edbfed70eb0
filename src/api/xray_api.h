// The AWS X-Ray API on Waggle's HTTP address, REST-JSON as botocore and the AWS SDKs send it
// (shared/reference/protocols.md B5): segments in, traces, summaries and service graphs out,
// groups and sampling rules, with X-Ray's error shape (`x-amzn-ErrorType`, `__type`,
// `message`). Requests are verified with SigV4 against the configured access keys. The same
// sampling handlers also answer the SDKs' unsigned calls on the daemon's TCP port.
// Work that reads traces runs on this API's own threads, never on the HTTP threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/api_keys.h"
#include "api/http_server.h"
#include "store/store.h"
#include "xray/filter_expression.h"
#include "xray/sampling_targets.h"
#include "xray/segment_ingest.h"
#include "xray/trace_search.h"
#include "xray/sigv4.h"
#include "xray/trace_view.h"
#include "xray/xray_config.h"

namespace waggle::api {

struct XrayApiOptions {
  std::vector<xray::AwsAccessKey> access_keys;
  bool allow_unsigned = true;  // no access key configured and the HTTP listener is loopback
  // Some team has access keys (maybe not this one): unsigned calls are told to sign.
  bool server_has_access_keys = false;
  // Waggle's own keys (x-honeycomb-team) are taken instead of SigV4, for the web UI: query
  // scope reads, scope all writes.
  const auth::ApiKeyRegistry* api_keys = nullptr;
  // Where this node stands among the nodes sharing the rules (reservoirs are split); unset: alone.
  std::function<xray::NodeShare()> node_share;
  int workers = 2;
  size_t max_queued = 64;                 // requests waiting for a worker; more get 429
  size_t traces_per_page = 500;           // GetTraceSummaries reads this many candidate traces per page
  size_t max_graph_traces = 5000;         // GetServiceGraph reads at most this many traces
};

class XrayApi {
 public:
  XrayApi(store::Store& store, xray::XrayConfigStore& config, xray::SegmentIngest& ingest, XrayApiOptions options);
  ~XrayApi();

  // Handles the request when `path` is an X-Ray API path; false otherwise.
  bool Handle(HttpRequest& request, std::string_view path, HttpReply& reply);
  // The daemon's TCP port: only the SDKs' unsigned POST /GetSamplingRules and /SamplingTargets.
  void HandleDaemon(HttpRequest&& request, HttpReply reply);
  void Stop();

 private:
  using Json = nlohmann::json;
  using Operation = void (XrayApi::*)(const Json& body, HttpReply& reply, const HttpRequest& request);

  void Dispatch(Operation operation, bool on_worker, HttpRequest& request, HttpReply& reply);
  void Run(Operation operation, const Json& body, HttpReply& reply, const HttpRequest& request);

  void PutTraceSegments(const Json& body, HttpReply& reply, const HttpRequest& request);
  void PutTelemetryRecords(const Json& body, HttpReply& reply, const HttpRequest& request);
  void BatchGetTraces(const Json& body, HttpReply& reply, const HttpRequest& request);
  void GetTraceSummaries(const Json& body, HttpReply& reply, const HttpRequest& request);
  void GetTraceGraph(const Json& body, HttpReply& reply, const HttpRequest& request);
  void GetServiceGraph(const Json& body, HttpReply& reply, const HttpRequest& request);
  void GetTimeSeriesServiceStatistics(const Json& body, HttpReply& reply, const HttpRequest& request);
  void CreateGroup(const Json& body, HttpReply& reply, const HttpRequest& request);
  void GetGroup(const Json& body, HttpReply& reply, const HttpRequest& request);
  void GetGroups(const Json& body, HttpReply& reply, const HttpRequest& request);
  void UpdateGroup(const Json& body, HttpReply& reply, const HttpRequest& request);
  void DeleteGroup(const Json& body, HttpReply& reply, const HttpRequest& request);
  void CreateSamplingRule(const Json& body, HttpReply& reply, const HttpRequest& request);
  void GetSamplingRules(const Json& body, HttpReply& reply, const HttpRequest& request);
  void UpdateSamplingRule(const Json& body, HttpReply& reply, const HttpRequest& request);
  void DeleteSamplingRule(const Json& body, HttpReply& reply, const HttpRequest& request);
  void GetSamplingTargets(const Json& body, HttpReply& reply, const HttpRequest& request);
  void GetSamplingStatisticSummaries(const Json& body, HttpReply& reply, const HttpRequest& request);
  void GetEncryptionConfig(const Json& body, HttpReply& reply, const HttpRequest& request);

  xray::FilterExpression::GroupLookup Groups() const;
  absl::StatusOr<xray::FilterExpression> GroupFilter(const Json& body);

  void WorkerLoop();

  store::Store& store_;
  xray::XrayConfigStore& config_;
  xray::SegmentIngest& ingest_;
  const XrayApiOptions options_;
  xray::SamplingTargets targets_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::vector<std::thread> workers_;
};

}  // namespace waggle::api
