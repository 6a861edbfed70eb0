// Honeycomb's HTTP API on Waggle's store: the Events API (/1/events, /1/batch), markers,
// queries and query results (/1/queries, /1/query_results), columns, datasets and /1/auth,
// with Honeycomb's request and result shapes. Queries run on their own threads (at a lower
// CPU priority than ingest), never on the HTTP threads: POST /1/query_results starts one and
// GET polls it, as Honeycomb's clients do.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "auth/api_keys.h"
#include "api/http_server.h"
#include "api/route_table.h"
#include "query/query_executor.h"
#include "store/marker_store.h"
#include "store/store.h"

namespace waggle::api {

struct HoneycombApiOptions {
  uint64_t max_decoded_bytes = 64ull << 20;
  int query_workers = 2;        // queries running at once
  int threads_per_query = 2;
  uint64_t query_memory_bytes = 1ull << 30;
  std::chrono::seconds query_timeout{60};
  size_t kept_results = 1000;   // finished results kept for GET
  std::string team = "default";  // the team whose data this is (/1/auth names it)
};

class HoneycombApi {
 public:
  HoneycombApi(const auth::ApiKeyRegistry& keys, store::Store& store, store::MarkerStore& markers,
               HoneycombApiOptions options);
  ~HoneycombApi();

  // Handles the request when `path` is one of this API's; false otherwise.
  bool Handle(HttpRequest& request, std::string_view path, HttpReply& reply);

  // Stops the query workers (queries under way are cancelled).
  void Stop();

 private:
  struct StoredQuery {
    std::string dataset;
    query::QuerySpec spec;  // parsed once; a relative time range resolves when it runs
  };
  struct QueryRun {
    std::string id;
    std::string dataset;
    std::string query_id;
    bool disable_series = false;
    int limit = 0;  // 0: the spec's
    bool complete = false;
    absl::Status status;
    std::string data_json;  // {"series","results"} once complete
    std::string stats_json;
    std::atomic<bool> cancelled{false};
  };

  void Events(HttpRequest& request, const std::string& dataset, HttpReply& reply, bool batch);
  void ListMarkers(HttpRequest& request, const std::string& dataset, HttpReply& reply);
  void CreateMarker(HttpRequest& request, const std::string& dataset, HttpReply& reply);
  void UpdateMarker(HttpRequest& request, const std::string& dataset, const std::string& id, HttpReply& reply);
  void DeleteMarker(HttpRequest& request, const std::string& dataset, const std::string& id, HttpReply& reply);
  void CreateQuery(HttpRequest& request, const std::string& dataset, HttpReply& reply);
  void GetQuery(HttpRequest& request, const std::string& dataset, const std::string& id, HttpReply& reply);
  void CreateQueryResult(HttpRequest& request, const std::string& dataset, HttpReply& reply);
  void GetQueryResult(HttpRequest& request, const std::string& dataset, const std::string& id, HttpReply& reply);
  void CancelQueryResult(HttpRequest& request, const std::string& dataset, const std::string& id, HttpReply& reply);
  void Columns(HttpRequest& request, const std::string& dataset, HttpReply& reply);
  void Datasets(HttpRequest& request, HttpReply& reply);
  void Auth(HttpRequest& request, HttpReply& reply);
  // POST /api/bubbleup/{dataset}: Waggle's own (Honeycomb has no public BubbleUp API).
  void BubbleUp(HttpRequest& request, const std::string& dataset, HttpReply& reply);

  RouteTable MakeRoutes();
  absl::Status CheckKey(const HttpRequest& request, auth::KeyScope scope) const;
  std::string ResultJson(const QueryRun& run, const HttpRequest& request) const;
  void WorkerLoop();
  void Run(QueryRun& run);

  // Constant after construction.
  const auth::ApiKeyRegistry& keys_;
  store::Store& store_;
  store::MarkerStore& markers_;
  const HoneycombApiOptions options_;
  const RouteTable routes_;

  // State below is protected by mutex_.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, StoredQuery> queries_;
  std::map<std::string, std::shared_ptr<QueryRun>> runs_;
  std::deque<std::string> run_order_;  // oldest first, for eviction
  std::deque<std::shared_ptr<QueryRun>> pending_;
  // Synchronous requests waiting for a worker (BubbleUp); called with false when stopping.
  std::deque<std::function<void(bool run)>> tasks_;
  uint64_t next_run_ = 1;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace waggle::api
