// One team's share of a Waggle server: its own store (write-ahead log, parts), markers, X-Ray
// rules and groups, and the APIs over them. Teams are isolated by construction: the server
// hands a request to the tenant its key belongs to, and nothing in a tenant can name another
// tenant's data, so `__all__`, trace lookup, BubbleUp and the X-Ray API see one team only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/api_keys.h"
#include "api/honeycomb_api.h"
#include "api/otlp_http_handler.h"
#include "ingest/otlp_trace_ingest.h"
#include "api/xray_api.h"
#include "store/clickhouse/clickhouse_client.h"
#include "store/embedded_store.h"
#include "store/marker_store.h"
#include "xray/segment_ingest.h"
#include "xray/xray_config.h"

namespace waggle::api {

struct TenantOptions {
  std::string team{kDefaultTeam};
  store::EmbeddedStoreOptions store;  // data_dir: the team's directory
  // Events, markers and X-Ray rules and groups in ClickHouse instead of data_dir.
  std::optional<clickhouse::ClickHouseEndpoint> clickhouse;
  std::chrono::milliseconds clickhouse_retry{10000};
  std::vector<auth::ApiKey> api_keys;       // the team's keys
  bool open = true;                   // the server has no API key at all
  uint64_t max_decoded_bytes = 64ull << 20;
  HoneycombApiOptions honeycomb;
  XrayApiOptions xray;  // access_keys: the team's; api_keys is set by Open
};

class Tenant {
 public:
  static absl::StatusOr<std::unique_ptr<Tenant>> Open(TenantOptions options);
  ~Tenant();

  const std::string& team() const { return team_; }
  const auth::ApiKeyRegistry& keys() const { return keys_; }
  store::Store& store() { return *store_; }
  store::EmbeddedStore* embedded_store() { return embedded_; }  // nullptr on ClickHouse
  ingest::OtlpTraceIngest& ingest() { return *ingest_; }
  OtlpHttpHandler& otlp_http() { return *otlp_http_; }
  HoneycombApi& honeycomb() { return *honeycomb_; }
  xray::SegmentIngest& segment_ingest() { return *segment_ingest_; }
  XrayApi& xray_api() { return *xray_api_; }

  // Stops the APIs' workers, then closes the store (everything acknowledged is on disk).
  void Stop();

 private:
  Tenant(std::string team, std::vector<auth::ApiKey> keys, bool open) : team_(std::move(team)), keys_(std::move(keys), open) {}

  // Declared in dependency order, so they are destroyed users first.
  const std::string team_;
  const auth::ApiKeyRegistry keys_;
  std::unique_ptr<store::Store> store_;
  store::EmbeddedStore* embedded_ = nullptr;
  std::unique_ptr<ingest::OtlpTraceIngest> ingest_;
  std::unique_ptr<OtlpHttpHandler> otlp_http_;
  std::unique_ptr<store::MarkerStore> markers_;
  std::unique_ptr<HoneycombApi> honeycomb_;
  std::unique_ptr<xray::XrayConfigStore> xray_config_;
  std::unique_ptr<xray::SegmentIngest> segment_ingest_;
  std::unique_ptr<XrayApi> xray_api_;
};

}  // namespace waggle::api
