// The ClickHouse store: Waggle's Store interface over a ClickHouse server (or cluster), so
// any number of stateless Waggle nodes share one store. Every team's events go to one table,
// `waggle_events`, sorted by team, dataset and start time and partitioned by day, with each
// field of an event in a column of its own (clickhouse/event_rows.h); `waggle_traces` says
// which datasets and hours hold a trace.
//
//   Append -> the current batch (bounded in bytes) -> the insert thread sends a batch once it
//   is batch_bytes large or batch_interval old, as one INSERT ... FORMAT RowBinary (which also
//   fills waggle_traces, a materialized view); only when ClickHouse answers 200 are its
//   appends acknowledged. A
//   failed insert is retried with backoff (100 ms doubling to 2 s) for retry_window; then its
//   appends fail kUnavailable (the client gets 503 + Retry-After and resends). While inserts
//   fail, new appends past max_pending_bytes are refused kUnavailable at once, so memory stays
//   bounded in an outage.
//
// Scan hands the query engine units of one dataset and hour that hold events in the range
// (one small GROUP BY on ClickHouse; a busy hour is cut into time slices of ~64k rows, each a
// range of the sort key). A unit fetches its rows when first read, and only the columns and
// rows the query asks for: ScanRange::fields become the SELECT list and the query's filters
// a WHERE condition (clickhouse/filter_sql.h). FindTrace(s) read the trace index by trace
// id, then only the hours it names.
//
// Works on ClickHouse 18.16 (Debian 12) and current releases: no DateTime64 (times are Int64
// nanoseconds, with a DateTime hour for partitioning), no LowCardinality, no skip indices,
// and lambdas that use only their own arguments.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/clickhouse/clickhouse_client.h"
#include "store/clickhouse/event_rows.h"
#include "store/store.h"

namespace waggle::clickhouse {

struct ClickHouseStoreOptions {
  ClickHouseEndpoint endpoint;
  std::string team = "default";  // the rows this store reads and writes
  uint64_t batch_bytes = 4ull << 20;
  // A client waits up to this for its spans to go out (with others): ack latency against
  // inserts per second, each a new part for ClickHouse to merge.
  std::chrono::milliseconds batch_interval{20};
  uint64_t max_pending_bytes = 128ull << 20;  // waiting to be inserted; past it appends get kUnavailable
  std::chrono::milliseconds retry_window{10000};
  uint64_t max_scan_bytes = 512ull << 20;  // one unit's rows as ClickHouse sends them
  // A dataset's hour with more rows is cut into time slices of about this many rows each.
  uint64_t rows_per_unit = 65536;
  std::chrono::milliseconds timeout{60000};  // one request
};

class ClickHouseStore final : public store::Store {
 public:
  // Creates the database and table when missing. kUnavailable when ClickHouse is down.
  static absl::StatusOr<std::unique_ptr<ClickHouseStore>> Open(ClickHouseStoreOptions options);
  ~ClickHouseStore() override;

  void Append(std::vector<model::Event> events, AppendCallback done) override;
  absl::StatusOr<std::vector<model::Event>> FindTrace(const model::TraceId& trace_id) override;
  absl::StatusOr<std::vector<std::vector<model::Event>>> FindTraces(
      const std::vector<model::TraceId>& trace_ids) override;
  absl::StatusOr<store::ScanUnits> Scan(const store::ScanRange& range) override;
  // COUNT-only queries: ClickHouse counts by group and bucket the rows it can decide.
  absl::StatusOr<std::optional<store::CountedScan>> ScanCounting(const store::ScanRange& range,
                                                                 const store::CountRequest& request) override;
  void Close() override;

  // The statements that create the schema (for docs and tests), and running them (idempotent).
  static std::vector<std::string> SchemaStatements(const std::string& database);
  static absl::Status CreateSchema(const ClickHouseEndpoint& endpoint);

 private:
  struct Batch {
    std::string rows;  // RowBinary
    std::vector<AppendCallback> callbacks;
    std::chrono::steady_clock::time_point started;
  };

  explicit ClickHouseStore(ClickHouseStoreOptions options);
  void InsertLoop();
  // The WHERE condition of a scan's rows (a superset of what its query selects).
  std::string RangeCondition(const store::ScanRange& range) const;
  absl::StatusOr<store::ScanUnits> ScanWhere(const store::ScanRange& range, const std::string& where);
  absl::Status Insert(const std::string& rows);
  absl::StatusOr<std::vector<model::Event>> SelectEvents(const std::string& where, const std::string& order,
                                                         const RowProjection& projection, size_t expected_rows = 0);

  const ClickHouseStoreOptions options_;
  const ClickHouseClient client_;
  const std::string table_;         // database.waggle_events
  const std::string traces_table_;  // database.waggle_traces

  std::mutex mutex_;
  std::condition_variable wake_;
  Batch filling_;                 // guarded by mutex_
  uint64_t pending_bytes_ = 0;    // filling_ and the batch being inserted; guarded by mutex_
  bool failing_ = false;          // the last insert failed; guarded by mutex_
  bool closing_ = false;          // guarded by mutex_
  std::thread inserter_;
};

}  // namespace waggle::clickhouse
