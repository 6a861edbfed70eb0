#include "api/tenant.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "clickhouse/clickhouse_store.h"

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
    std::error_code ignored;
    std::filesystem::create_directories(options.store.data_dir, ignored);  // markers, X-Ray configuration
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

  tenant->ingest_ = std::make_unique<OtlpTraceIngest>(tenant->keys_, *tenant->store_);
  tenant->otlp_http_ = std::make_unique<OtlpHttpHandler>(*tenant->ingest_, options.max_decoded_bytes);
  auto markers = store::MarkerStore::Open(options.store.data_dir + "/markers.json");
  if (!markers.ok()) return markers.status();
  tenant->markers_ = std::move(*markers);
  options.honeycomb.team = tenant->team_;
  tenant->honeycomb_ =
      std::make_unique<HoneycombApi>(tenant->keys_, *tenant->store_, *tenant->markers_, options.honeycomb);

  auto xray_config = xray::XrayConfigStore::Open(options.store.data_dir + "/xray.json");
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
