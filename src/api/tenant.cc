#include "api/tenant.h"

#include <spdlog/spdlog.h>

#include "store/clickhouse/clickhouse_documents.h"
#include "store/clickhouse/clickhouse_store.h"
#include "common/strings.h"

namespace waggle::api {

absl::StatusOr<std::unique_ptr<Tenant>> Tenant::Open(TenantOptions options) {
  std::unique_ptr<Tenant> tenant(new Tenant(options.team, std::move(options.api_keys), options.open));
  if (options.clickhouse) {
    clickhouse::ClickHouseStoreOptions ch;
    ch.endpoint = *options.clickhouse;
    ch.team = tenant->team_;
    ch.max_pending_bytes = options.store.max_pending_bytes;
    ch.retry_window = options.clickhouse_retry;
    auto store = clickhouse::ClickHouseStore::Open(std::move(ch));
    if (!store.ok()) return store.status();
    tenant->store_ = std::move(*store);
    spdlog::info("team {}: store {} (ClickHouse)", tenant->team_, options.clickhouse->ToString());
  } else {
    auto store = store::EmbeddedStore::Open(options.store);
    if (!store.ok()) return store.status();
    tenant->embedded_ = store->get();
    tenant->store_ = std::move(*store);
    const auto& replay = tenant->embedded_->replay_stats();
    const store::EmbeddedStoreStats stats = tenant->embedded_->Stats();
    spdlog::info("team {}: store {}: {} parts ({} events, {} bytes); replayed {} write-ahead log records ({} bytes)",
                 tenant->team_, options.store.data_dir, stats.parts, stats.part_rows, stats.part_bytes, replay.records,
                 replay.bytes);
  }

  tenant->ingest_ = std::make_unique<ingest::OtlpTraceIngest>(tenant->keys_, *tenant->store_);
  tenant->otlp_http_ = std::make_unique<OtlpHttpHandler>(*tenant->ingest_, options.max_decoded_bytes);
  // Markers and X-Ray rules and groups: files beside the embedded store, rows in ClickHouse
  // (so every node shares them) beside the ClickHouse store.
  auto document = [&](const std::string& name) -> std::unique_ptr<store::DocumentStore> {
    if (options.clickhouse) return std::make_unique<clickhouse::ClickHouseDocumentStore>(*options.clickhouse, tenant->team_, name);
    return std::make_unique<store::FileDocumentStore>(StrCat(options.store.data_dir, "/", name, ".json"));
  };
  auto markers = store::MarkerStore::Open(document("markers"));
  if (!markers.ok()) return markers.status();
  tenant->markers_ = std::move(*markers);
  options.honeycomb.team = tenant->team_;
  tenant->honeycomb_ =
      std::make_unique<HoneycombApi>(tenant->keys_, *tenant->store_, *tenant->markers_, options.honeycomb);

  auto xray_config = xray::XrayConfigStore::Open(document("xray"));
  if (!xray_config.ok()) return xray_config.status();
  tenant->xray_config_ = std::move(*xray_config);
  tenant->segment_ingest_ = std::make_unique<xray::SegmentIngest>(*tenant->store_);
  options.xray.api_keys = &tenant->keys_;
  tenant->xray_api_ = std::make_unique<XrayApi>(*tenant->store_, *tenant->xray_config_, *tenant->segment_ingest_,
                                                std::move(options.xray));
  return tenant;
}

Tenant::~Tenant() { Stop(); }

void Tenant::Stop() {
  if (xray_api_) xray_api_->Stop();
  if (honeycomb_) honeycomb_->Stop();
  if (store_) store_->Close();
}

}  // namespace waggle::api
