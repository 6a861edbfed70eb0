#include "store/clickhouse/clickhouse_store.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>

#include <spdlog/spdlog.h>

#include "store/clickhouse/event_rows.h"
#include "store/clickhouse/filter_sql.h"
#include "store/clickhouse/row_binary.h"
#include "common/metrics.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "model/event_schema.h"
#include "model/ids.h"

namespace waggle::clickhouse {

using model::Event;

namespace {

constexpr int64_t kNanosPerHour = 3600ll * 1000000000ll;

int64_t HourOf(int64_t time_ns) {
  int64_t hour = time_ns / kNanosPerHour;
  if (time_ns < 0 && time_ns % kNanosPerHour != 0) --hour;
  return hour;
}

// DateTime is UInt32 seconds: times before 1970 or after 2106 are kept at its ends (the
// exact time is in start_ns; the hour only partitions).
uint32_t HourSeconds(int64_t time_ns) {
  return static_cast<uint32_t>(std::clamp<int64_t>(HourOf(time_ns) * 3600, 0, UINT32_MAX - 3600));
}

}  // namespace

namespace {

std::string HexLiteral(std::string_view bytes) { return StrCat("unhex('", model::HexEncode(bytes), "')"); }

// A dataset's events of one hour, fetched from ClickHouse when first loaded.
class LazyUnit final : public store::ScanUnit {
 public:
  using Fetch = std::function<absl::StatusOr<std::vector<Event>>()>;
  LazyUnit(std::string dataset, int64_t min_time, int64_t max_time, Fetch fetch)
      : dataset_(std::move(dataset)), min_time_(min_time), max_time_(max_time), fetch_(std::move(fetch)) {}

  const std::string& dataset() const override { return dataset_; }
  int64_t min_time() const override { return min_time_; }
  int64_t max_time() const override { return max_time_; }
  uint32_t rows() const override { return Loaded() ? inner_->rows() : 0; }
  // A slice that holds no rows (they were elsewhere in its hour) has the fixed columns, empty.
  const std::vector<store::ColumnDescriptor>& columns() const override {
    return Loaded() ? inner_->columns() : store::FixedColumnDescriptors();
  }
  std::optional<std::pair<int64_t, int64_t>> IntRange(size_t column) const override {
    return Loaded() ? inner_->IntRange(column) : std::nullopt;
  }
  absl::StatusOr<std::shared_ptr<const store::ColumnValues>> Read(size_t column) const override {
    RETURN_IF_NOT_OK(Load());
    if (!inner_) return std::make_shared<const store::ColumnValues>();
    return inner_->Read(column);
  }
  absl::Status Load() const override {
    std::call_once(once_, [this] {
      auto events = fetch_();
      if (!events.ok()) {
        status_ = events.status();
        return;
      }
      // One unit of every row: the executor splits work by unit, and an hour of one dataset
      // is what ClickHouse sent in one answer anyway.
      store::ScanUnits units = store::MakeEventUnits(*events, UINT32_MAX);
      if (!units.empty()) inner_ = units.front();
    });
    return status_;
  }

 private:
  bool Loaded() const { return Load().ok() && inner_ != nullptr; }

  const std::string dataset_;
  const int64_t min_time_;
  const int64_t max_time_;
  const Fetch fetch_;
  mutable std::once_flag once_;
  mutable absl::Status status_;
  mutable std::shared_ptr<const store::ScanUnit> inner_;
};

}  // namespace

std::vector<std::string> ClickHouseStore::SchemaStatements(const std::string& database) {
  return {
      StrCat("CREATE DATABASE IF NOT EXISTS ", database),
      StrCat("CREATE TABLE IF NOT EXISTS ", database, ".waggle_events (\n"
             "  team String,\n"
             "  dataset String,\n"
             "  hour DateTime,\n",
             EventColumnDefinitions(),
             ") ENGINE = MergeTree()\n"
             "PARTITION BY toYYYYMMDD(hour)\n"
             "ORDER BY (team, dataset, start_ns)"),
      // Where a trace's events are: per dataset and hour, their first and last start time. A
      // lookup reads these few rows by trace id, then only that time range of waggle_events
      // (sorted by time, not trace).
      StrCat("CREATE TABLE IF NOT EXISTS ", database, ".waggle_traces (\n"
             "  team String,\n"
             "  trace_id FixedString(16),\n"
             "  dataset String,\n"
             "  hour DateTime,\n"
             "  first_start AggregateFunction(min, Int64),\n"
             "  last_start AggregateFunction(max, Int64)\n"
             ") ENGINE = AggregatingMergeTree()\n"
             "PARTITION BY toYYYYMMDD(hour)\n"
             "ORDER BY (team, trace_id, dataset, hour)"),
      // Filled by every INSERT into waggle_events, in the same request.
      StrCat("CREATE MATERIALIZED VIEW IF NOT EXISTS ", database, ".waggle_traces_mv TO ", database, ".waggle_traces AS\n"
             "SELECT team, trace_id, dataset, hour, minState(start_ns) AS first_start, maxState(start_ns) AS last_start\n"
             "FROM ", database, ".waggle_events GROUP BY team, trace_id, dataset, hour"),
      // Markers, X-Ray rules and groups: one JSON document per team and name, newest wins.
      StrCat("CREATE TABLE IF NOT EXISTS ", database, ".waggle_documents (\n"
             "  team String,\n"
             "  name String,\n"
             "  version Int64,\n"
             "  text String\n"
             ") ENGINE = ReplacingMergeTree(version)\n"
             "ORDER BY (team, name)"),
      // The nodes' heartbeats (clickhouse/node_registry.h).
      StrCat("CREATE TABLE IF NOT EXISTS ", database, ".waggle_nodes (node String, seen_ns Int64)\n"
             "ENGINE = ReplacingMergeTree(seen_ns) ORDER BY node"),
  };
}

ClickHouseStore::ClickHouseStore(ClickHouseStoreOptions options)
    : options_(std::move(options)),
      client_(options_.endpoint, options_.timeout),
      table_(StrCat(options_.endpoint.database, ".waggle_events")),
      traces_table_(StrCat(options_.endpoint.database, ".waggle_traces")) {}

absl::Status ClickHouseStore::CreateSchema(const ClickHouseEndpoint& endpoint) {
  const ClickHouseClient client(endpoint, std::chrono::seconds(30));
  for (const std::string& statement : SchemaStatements(endpoint.database)) {
    auto done = client.Execute(statement);
    if (!done.ok()) {
      return absl::Status(done.status().code(), StrCat("--store ", endpoint.ToString(), ": cannot create the schema: ",
                                                       std::string(done.status().message())));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ClickHouseStore>> ClickHouseStore::Open(ClickHouseStoreOptions options) {
  std::unique_ptr<ClickHouseStore> store(new ClickHouseStore(std::move(options)));
  RETURN_IF_NOT_OK(CreateSchema(store->options_.endpoint));
  store->inserter_ = std::thread([s = store.get()] {
    pthread_setname_np(pthread_self(), "waggle-chinsert");
    s->InsertLoop();
  });
  return store;
}

ClickHouseStore::~ClickHouseStore() { Close(); }

void ClickHouseStore::Append(std::vector<Event> events, AppendCallback done) {
  std::string rows;
  for (const Event& event : events) AppendEventRow(options_.team, HourSeconds(event.time_unix_nano), event, &rows);
  std::unique_lock lock(mutex_);
  if (closing_) {
    lock.unlock();
    return done(absl::UnavailableError("the store is closing"));
  }
  if (pending_bytes_ + rows.size() > options_.max_pending_bytes) {
    const bool failing = failing_;
    lock.unlock();
    return done(absl::UnavailableError(
        failing ? StrCat("ClickHouse at ", options_.endpoint.ToString(), " is not taking inserts; retry later")
                : "too many spans waiting to be inserted into ClickHouse; retry later"));
  }
  pending_bytes_ += rows.size();
  const bool first = filling_.callbacks.empty();
  if (first) filling_.started = std::chrono::steady_clock::now();
  filling_.rows.append(rows);
  filling_.callbacks.push_back(std::move(done));
  if (first || filling_.rows.size() >= options_.batch_bytes) wake_.notify_all();
}

absl::Status ClickHouseStore::Insert(const std::string& rows) {
  const auto started = std::chrono::steady_clock::now();
  // The trace index's materialized view is filled by the same INSERT, before it answers.
  absl::Status status =
      client_.Execute(StrCat("INSERT INTO ", table_, " (", EventInsertColumns(), ") FORMAT RowBinary"), rows).status();
  if (status.ok()) {
    metrics::ClickHouseInsertLatency().Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  } else {
    metrics::ClickHouseInsertFailures().Increment();
  }
  return status;
}

void ClickHouseStore::InsertLoop() {
  std::unique_lock lock(mutex_);
  while (true) {
    // A batch goes out once it is batch_bytes large or batch_interval old (or at Close).
    if (filling_.callbacks.empty()) {
      if (closing_) return;
      wake_.wait(lock);
      continue;
    }
    const auto due = filling_.started + options_.batch_interval;
    if (!closing_ && filling_.rows.size() < options_.batch_bytes && std::chrono::steady_clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;
    }
    Batch batch = std::move(filling_);
    filling_ = Batch{};
    lock.unlock();
    absl::Status status = Insert(batch.rows);
    auto backoff = std::chrono::milliseconds(100);
    const auto give_up = std::chrono::steady_clock::now() + options_.retry_window;
    while (!status.ok() && std::chrono::steady_clock::now() + backoff < give_up) {
      {
        std::lock_guard failing(mutex_);
        if (!failing_) spdlog::warn("ClickHouse insert failed, retrying: {}", std::string(status.message()));
        failing_ = true;
        if (closing_) break;
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      status = Insert(batch.rows);
    }
    if (!status.ok()) {
      status = absl::UnavailableError(StrCat("ClickHouse did not take the spans: ", std::string(status.message()), "; retry later"));
    }
    for (AppendCallback& done : batch.callbacks) done(status);
    lock.lock();
    if (status.ok() && failing_) spdlog::info("ClickHouse inserts work again");
    failing_ = !status.ok();
    pending_bytes_ -= batch.rows.size();
  }
}

absl::StatusOr<std::vector<Event>> ClickHouseStore::SelectEvents(const std::string& where, const std::string& order,
                                                                  const RowProjection& projection, size_t expected_rows) {
  ASSIGN_OR_RETURN(std::string rows,
                   client_.Execute(StrCat("SELECT ", SelectList(projection), " FROM ", table_,
                                          " WHERE team = ", SqlString(options_.team), " AND ", where,
                                          order.empty() ? "" : " ORDER BY ", order, " FORMAT RowBinary"),
                                   {}, options_.max_scan_bytes));
  return DecodeEventRows(rows, projection, expected_rows);
}

absl::StatusOr<std::vector<Event>> ClickHouseStore::FindTrace(const model::TraceId& trace_id) {
  ASSIGN_OR_RETURN(std::vector<std::vector<Event>> traces, FindTraces({trace_id}));
  return std::move(traces[0]);
}

absl::StatusOr<std::vector<std::vector<Event>>> ClickHouseStore::FindTraces(const std::vector<model::TraceId>& trace_ids) {
  std::vector<std::vector<Event>> out(trace_ids.size());
  if (trace_ids.empty()) return out;
  std::map<model::TraceId, std::vector<size_t>> slots;
  std::string in;
  for (size_t i = 0; i < trace_ids.size(); ++i) {
    if (slots[trace_ids[i]].empty()) StrAppend(&in, in.empty() ? "" : ", ", HexLiteral(trace_ids[i].AsBytes()));
    slots[trace_ids[i]].push_back(i);
  }
  // The datasets and hours that hold the traces, then only those hours' rows (each a range
  // of the sort key).
  ASSIGN_OR_RETURN(std::string places,
                   client_.Execute(StrCat("SELECT dataset, toUInt32(hour), minMerge(first_start), maxMerge(last_start) FROM ",
                                          traces_table_, " WHERE team = ", SqlString(options_.team), " AND trace_id IN (",
                                          in, ") GROUP BY dataset, hour FORMAT RowBinary")));
  std::string where;
  RowBinaryReader reader(places);
  while (!reader.done()) {
    std::string_view dataset;
    uint32_t hour = 0;
    int64_t first = 0, last = 0;
    if (!reader.String(&dataset) || !reader.Fixed(&hour) || !reader.Fixed(&first) || !reader.Fixed(&last)) {
      return absl::DataLossError("ClickHouse sent a malformed trace index");
    }
    StrAppend(&where, where.empty() ? "" : " OR ", "(dataset = ", SqlString(dataset), " AND hour = toDateTime(", hour,
              ") AND start_ns >= ", first, " AND start_ns <= ", last, ")");
  }
  if (where.empty()) return out;
  ASSIGN_OR_RETURN(std::vector<Event> events, SelectEvents(StrCat("trace_id IN (", in, ") AND (", where, ")"),
                                                           "trace_id, start_ns", RowProjection{}));
  for (Event& event : events) {
    auto it = slots.find(event.trace_id);
    if (it == slots.end()) continue;
    for (size_t i = 1; i < it->second.size(); ++i) out[it->second[i]].push_back(event);
    out[it->second[0]].push_back(std::move(event));
  }
  return out;
}

std::string ClickHouseStore::RangeCondition(const store::ScanRange& range) const {
  std::string where = StrCat("team = ", SqlString(options_.team));
  if (range.min_time != INT64_MIN) {
    StrAppend(&where, " AND hour >= toDateTime(", HourSeconds(range.min_time), ") AND start_ns >= ", range.min_time);
  }
  if (range.max_time != INT64_MAX) {
    StrAppend(&where, " AND hour <= toDateTime(", HourSeconds(range.max_time), ") AND start_ns <= ", range.max_time);
  }
  if (!range.datasets.empty()) {
    // Datasets are matched case-insensitively, as ScanRange::Wants does.
    std::string in;
    for (const std::string& d : range.datasets) StrAppend(&in, in.empty() ? "" : ", ", SqlString(AsciiLower(d)));
    StrAppend(&where, " AND lower(dataset) IN (", in, ")");
  }
  // Traces without what the caller's trace filter needs (it checks the rest). Their events
  // may start after the range but hardly an hour before its first root span.
  const int64_t from = range.min_time == INT64_MIN ? INT64_MIN : range.min_time - kNanosPerHour;
  auto trace_has = [&](const std::string& condition) {
    StrAppend(&where, " AND trace_id IN (SELECT trace_id FROM ", table_, " WHERE team = ", SqlString(options_.team));
    if (from != INT64_MIN) StrAppend(&where, " AND hour >= toDateTime(", HourSeconds(from), ") AND start_ns >= ", from);
    StrAppend(&where, " AND ", condition, ")");
  };
  for (const std::string& key : range.traces.keys) trace_has(StrCat("has(attr_keys, ", SqlString(key), ")"));
  for (const std::string& text : range.traces.texts) {
    trace_has(StrCat("(service = ", SqlString(text), " OR name = ", SqlString(text),
                     " OR arrayExists(s -> position(s, ", SqlString(text), ") > 0, attr_strings))"));
  }
  // ClickHouse keeps only rows the query's filters may select (a superset: Waggle filters
  // again).
  if (std::string condition = FilterCondition(range.filter); !condition.empty()) StrAppend(&where, " AND ", condition);
  return where;
}

absl::StatusOr<std::optional<store::CountedScan>> ClickHouseStore::ScanCounting(const store::ScanRange& range,
                                                                               const store::CountRequest& request) {
  std::optional<std::string> sure = SureFilterCondition(request.filter);
  if (!sure) return std::nullopt;
  std::string decided = *sure;
  std::string columns, group_by;
  for (size_t b = 0; b < request.group_by.size(); ++b) {
    std::optional<BreakdownSql> sql = BreakdownValueSql(request.group_by[b]);
    if (!sql) return std::nullopt;
    StrAppend(&decided, " AND ", sql->decided);
    const std::string g = StrCat("g", b);
    StrAppend(&columns, "toUInt8(", sql->present, ") AS ", g, "p, toUInt8(", sql->type, ") AS ", g, "t, ", sql->text,
              " AS ", g, "s, toInt64(", sql->integer, ") AS ", g, "i, toFloat64(", sql->real, ") AS ", g, "f, ");
    StrAppend(&group_by, g, "p, ", g, "t, ", g, "s, ", g, "i, ", g, "f, ");
  }
  const std::string bucket = request.series ? StrCat("intDiv(start_ns - ", request.origin_ns, ", ", request.bucket_ns, ")") : "0";
  const std::string where = RangeCondition(range);
  // Undecided rows are counted apart (decided = 0): only when there are some does the engine
  // get them, in a second scan.
  ASSIGN_OR_RETURN(std::string answer,
                   client_.Execute(StrCat("SELECT toUInt8(", decided, ") AS decided, ", columns, "toInt64(", bucket,
                                          ") AS bucket, toInt64(sum(greatest(sample_rate, 1))), toUInt64(count()) FROM ",
                                          table_, " WHERE ", where, " GROUP BY decided, ", group_by,
                                          "bucket FORMAT RowBinary")));
  store::CountedScan out;
  uint64_t undecided = 0;
  RowBinaryReader reader(answer);
  while (!reader.done()) {
    uint8_t is_decided = 0;
    if (!reader.Fixed(&is_decided)) return absl::DataLossError("ClickHouse sent malformed counts");
    store::CountedGroup& counted = out.counted.emplace_back();
    counted.group.resize(request.group_by.size());
    for (store::GroupColumnValue& value : counted.group) {
      uint8_t present = 0, type = 0;
      std::string_view text;
      int64_t integer = 0;
      double real = 0;
      if (!reader.Fixed(&present) || !reader.Fixed(&type) || !reader.String(&text) || !reader.Fixed(&integer) ||
          !reader.Fixed(&real) || type > static_cast<uint8_t>(model::AttributeType::kBool)) {
        return absl::DataLossError("ClickHouse sent malformed counts");
      }
      if (!present) continue;  // absent
      value.present = true;
      value.type = static_cast<model::AttributeType>(type);
      value.text = text;
      value.integer = value.type == model::AttributeType::kBool ? integer != 0 : integer;
      value.real = real;
    }
    int64_t weight = 0;
    if (!reader.Fixed(&counted.bucket) || !reader.Fixed(&weight) || !reader.Fixed(&counted.rows)) {
      return absl::DataLossError("ClickHouse sent malformed counts");
    }
    counted.count = static_cast<double>(weight);
    if (!is_decided) undecided += counted.rows;
    // Grouping by constants only, ClickHouse answers one row of zeros when nothing matched.
    if (!is_decided || counted.rows == 0) out.counted.pop_back();
  }
  // The rows ClickHouse could not decide go to the engine as usual.
  if (undecided > 0) {
    ASSIGN_OR_RETURN(out.rest, ScanWhere(range, StrCat(where, " AND NOT (", decided, ")")));
  }
  return out;
}

absl::StatusOr<store::ScanUnits> ClickHouseStore::Scan(const store::ScanRange& range) {
  return ScanWhere(range, RangeCondition(range));
}

absl::StatusOr<store::ScanUnits> ClickHouseStore::ScanWhere(const store::ScanRange& range, const std::string& where) {
  RowProjection projection;
  // Span fields (name, duration_ms) are rarely also attributes: the listing says per hour
  // whether any row has one as an attribute, and a unit without fetches no attribute arrays
  // for it (picking them out costs ClickHouse more than the rest of the row).
  std::vector<std::string> span_fields;
  std::string listed = "dataset, toUInt32(hour), min(start_ns), max(start_ns), toUInt64(count())";
  if (range.fields) {
    projection = RowProjection::Minimal();
    for (const std::string& field : *range.fields) {
      const model::HoneycombSpanField* span_field = model::FindHoneycombSpanField(field);
      if (span_field == nullptr) {
        projection.attribute_keys->push_back(field);
        continue;
      }
      if (span_field->source != store::FixedColumn::kCount) projection.Add(span_field->source);
      span_fields.push_back(field);
      StrAppend(&listed, ", toUInt8(max(has(attr_keys, ", SqlString(field), ")))");
    }
  }
  ASSIGN_OR_RETURN(std::string listing, client_.Execute(StrCat("SELECT ", listed, " FROM ", table_, " WHERE ", where,
                                                               " GROUP BY dataset, hour FORMAT RowBinary")));
  store::ScanUnits units;
  RowBinaryReader reader(listing);
  while (!reader.done()) {
    std::string_view name;
    uint32_t hour = 0;
    int64_t min_time = 0, max_time = 0;
    uint64_t count = 0;
    if (!reader.String(&name) || !reader.Fixed(&hour) || !reader.Fixed(&min_time) || !reader.Fixed(&max_time) ||
        !reader.Fixed(&count) || min_time > max_time) {
      return absl::DataLossError("ClickHouse sent a malformed listing");
    }
    RowProjection unit_projection = projection;
    for (const std::string& field : span_fields) {
      uint8_t as_attribute = 0;
      if (!reader.Fixed(&as_attribute)) return absl::DataLossError("ClickHouse sent a malformed listing");
      if (as_attribute) unit_projection.attribute_keys->push_back(field);
    }
    const std::string dataset(name);
    // A busy hour is cut into slices of its time range, about rows_per_unit rows each if
    // spread evenly, so one unit (held whole in memory while read) stays small and the
    // executor's threads share the work.
    const uint64_t per_unit = std::max<uint64_t>(1, options_.rows_per_unit);
    const uint64_t slices = std::clamp<uint64_t>((count + per_unit - 1) / per_unit, 1, 3600);
    const int64_t span = max_time - min_time;
    for (uint64_t i = 0; i < slices; ++i) {
      const int64_t lo = min_time + static_cast<int64_t>(static_cast<__int128>(span) * i / slices);
      const int64_t hi = i + 1 == slices ? max_time : min_time + static_cast<int64_t>(static_cast<__int128>(span) * (i + 1) / slices) - 1;
      if (hi < lo) continue;
      // [lo, hi] lies in the range: the listing counted only rows inside it.
      // (team, dataset, start_ns) is the sort key: each slice reads one key range.
      std::string unit_where = StrCat(where, " AND dataset = ", SqlString(dataset), " AND hour = toDateTime(", hour,
                                      ") AND start_ns >= ", lo, " AND start_ns <= ", hi);
      const size_t expected_rows = static_cast<size_t>(count / slices + 1);
      units.push_back(std::make_shared<LazyUnit>(dataset, lo, hi, [this, unit_where, unit_projection, expected_rows] {
        return SelectEvents(unit_where, "", unit_projection, expected_rows);
      }));
    }
  }
  return units;
}

void ClickHouseStore::Close() {
  {
    std::lock_guard lock(mutex_);
    if (closing_) return;
    closing_ = true;
    wake_.notify_all();
  }
  if (inserter_.joinable()) inserter_.join();
}

}  // namespace waggle::clickhouse
