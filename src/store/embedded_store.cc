#include "store/embedded_store.h"

#include <malloc.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <set>
#include <tuple>

#include <spdlog/spdlog.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "store/event_batch.h"
#include "store/file_util.h"
#include "common/sync_point.h"
#include "store/part_merger.h"

namespace waggle::store {
namespace {

namespace fs = std::filesystem;

// A flush frees hundreds of megabytes of small allocations; give them back to the system
// so the server's RSS follows its working set instead of its peak.
void ReleaseFreeMemory() { ::malloc_trim(0); }

}  // namespace

absl::StatusOr<std::unique_ptr<EmbeddedStore>> EmbeddedStore::Open(
    const EmbeddedStoreOptions& options) {
  std::error_code ec;
  fs::create_directories(options.data_dir + "/parts", ec);
  if (ec) {
    return absl::InternalError(
        StrCat("cannot create data directory ", options.data_dir, ": ", ec.message()));
  }
  // One server per data directory: a second one would interleave log writes.
  std::string lock_path = options.data_dir + "/LOCK";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) {
    return absl::InternalError(StrCat("cannot open ", lock_path, ": ", std::strerror(errno)));
  }
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    return absl::FailedPreconditionError(StrCat(
        "data directory ", options.data_dir,
        " is in use by another waggle process; stop it or pass a different --data-dir"));
  }

  std::unique_ptr<EmbeddedStore> store(new EmbeddedStore(options, lock_fd));
  ASSIGN_OR_RETURN(store->part_set_, PartSet::Open(options.data_dir, options.merge));
  store->counters_.parts_quarantined = store->part_set_->quarantined();
  Head* head = store->head_.get();
  auto wal = WriteAheadLog::Open(
      options.data_dir + "/wal", options.wal,
      [head](std::string_view record) -> absl::Status {
        auto batches = DecodeLogRecord(std::make_shared<const std::string>(record));
        if (!batches.ok()) {
          // Checksummed yet undecodable: written by an incompatible version. Report, go on.
          spdlog::error("skipping a write-ahead log record: {}", batches.status().ToString());
          return absl::OkStatus();
        }
        head->Add(std::move(*batches));
        return absl::OkStatus();
      },
      &store->replay_stats_, store->part_set_->wal_replay_from());
  if (!wal.ok()) return wal.status();
  store->wal_ = std::move(*wal);
  if (!options.background) return store;
  store->flush_thread_ = std::thread([s = store.get()] {
    pthread_setname_np(pthread_self(), "waggle-flush");
    s->FlushLoop();
  });
  store->compaction_thread_ = std::thread([s = store.get()] {
    pthread_setname_np(pthread_self(), "waggle-merge");
    s->CompactionLoop(kAnyMerge);
  });
  if (options.small_merge_max_input_rows > 0) {
    store->small_compaction_thread_ = std::thread([s = store.get()] {
      pthread_setname_np(pthread_self(), "waggle-merge-s");
      s->CompactionLoop(kSmallMerges);
    });
  }
  return store;
}

EmbeddedStore::EmbeddedStore(EmbeddedStoreOptions options, int lock_fd)
    : options_(std::move(options)),
      lock_fd_(lock_fd),
      head_(std::make_shared<Head>()),
      head_started_(std::chrono::steady_clock::now()) {}

EmbeddedStore::~EmbeddedStore() { Close(); }

absl::Status EmbeddedStore::Admission() const {
  {
    std::lock_guard lock(mutex_);
    if (part_set_->frozen_bytes() > options_.head_flush_bytes * 4) {
      return absl::UnavailableError("ingest is behind (parts are being written out); retry shortly");
    }
    if (head_->bytes() > options_.head_flush_bytes * 2) {
      return absl::UnavailableError("ingest is behind (the in-memory head is full); retry shortly");
    }
    if (part_set_->most_unmerged_parts() > options_.max_unmerged_parts) {
      return absl::UnavailableError("ingest is behind (parts are being merged); retry shortly");
    }
  }
  if (wal_->pending_bytes() + pending_batch_bytes_.load(std::memory_order_relaxed) > options_.max_pending_bytes) {
    return absl::UnavailableError("ingest is behind (write-ahead log queue full); retry shortly");
  }
  return absl::OkStatus();
}

void EmbeddedStore::Append(std::vector<model::Event> events, AppendCallback done) {
  EventBatchBuilder builder;
  builder.Add(events);
  events.clear();
  AppendBatch(std::move(builder), std::move(done));
}

void EmbeddedStore::AppendBatch(EventBatchBuilder batch, AppendCallback done) {
  if (absl::Status admission = Admission(); !admission.ok()) {
    done(std::move(admission));
    return;
  }
  if (batch.empty()) {
    done(absl::OkStatus());
    return;
  }
  // The log gets the batches' encoding; the head the batches themselves, the columns the
  // request was built into, once durable, so a lookup never shows what a crash could lose.
  auto batches = std::make_shared<std::vector<EventBatch>>(batch.Finish());
  uint64_t batch_bytes = 0;
  for (const EventBatch& b : *batches) batch_bytes += b.memory_bytes;
  pending_batch_bytes_ += batch_bytes;
  std::string record;
  EncodeLogRecord(*batches, &record);
  wal_->Append(std::move(record), [this, batches = std::move(batches), batch_bytes, done = std::move(done)](
                                      absl::Status status, std::string) mutable {
    pending_batch_bytes_ -= batch_bytes;
    bool freeze = false;
    if (status.ok()) {
      std::lock_guard lock(mutex_);
      head_->Add(std::move(*batches));
      // A full head is frozen here, on the log's thread, even while the flush thread is busy
      // writing an older one: waiting for it let the head pass its limit (503s) under steady
      // load the machine could take. One frozen head waits beside the one being written at most,
      // so the backlog left after a surge drains in about two flushes.
      if (head_->bytes() >= options_.head_flush_bytes && !freeze_pending_ && part_set_->frozen_count() <= 1) {
        freeze = freeze_pending_ = true;
      }
    }
    batches.reset();  // off the lock: a refused record's columns are freed here
    if (freeze) RequestFreeze(nullptr);
    done(std::move(status));
  });
}

absl::StatusOr<std::vector<model::Event>> EmbeddedStore::FindTrace(const model::TraceId& trace_id) {
  std::vector<model::Event> head_events;
  PartSet::Snapshot set;
  {
    std::lock_guard lock(mutex_);
    head_events = head_->FindTrace(trace_id);
    set = part_set_->Current();
  }
  std::vector<model::Event> out;
  for (const auto& part : set.parts) {
    if (!part->MayContainTrace(trace_id)) continue;
    ASSIGN_OR_RETURN(std::vector<model::Event> found, part->FindTrace(trace_id));
    for (model::Event& e : found) out.push_back(std::move(e));
  }
  for (const auto& head : set.frozen) {
    for (model::Event& e : head->FindTrace(trace_id)) out.push_back(std::move(e));
  }
  for (model::Event& e : head_events) out.push_back(std::move(e));
  std::stable_sort(out.begin(), out.end(), [](const model::Event& a, const model::Event& b) {
    return a.time_unix_nano < b.time_unix_nano;
  });
  return out;
}

absl::StatusOr<std::vector<std::vector<model::Event>>> EmbeddedStore::FindTraces(
    const std::vector<model::TraceId>& trace_ids) {
  std::vector<std::vector<model::Event>> out(trace_ids.size());
  std::vector<std::vector<model::Event>> head_events(trace_ids.size());
  PartSet::Snapshot set;
  {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < trace_ids.size(); ++i) head_events[i] = head_->FindTrace(trace_ids[i]);
    set = part_set_->Current();
  }
  for (const auto& part : set.parts) {
    RETURN_IF_NOT_OK(part->FindTraces(trace_ids, [&](size_t i, model::Event e) { out[i].push_back(std::move(e)); }));
  }
  for (const auto& head : set.frozen) {
    for (size_t i = 0; i < trace_ids.size(); ++i) {
      for (model::Event& e : head->FindTrace(trace_ids[i])) out[i].push_back(std::move(e));
    }
  }
  // The same order as FindTrace: parts, frozen heads, then the live head.
  for (size_t i = 0; i < trace_ids.size(); ++i) {
    for (model::Event& e : head_events[i]) out[i].push_back(std::move(e));
  }
  for (auto& events : out) {
    std::stable_sort(events.begin(), events.end(), [](const model::Event& a, const model::Event& b) {
      return a.time_unix_nano < b.time_unix_nano;
    });
  }
  return out;
}

absl::StatusOr<ScanUnits> EmbeddedStore::Scan(const ScanRange& range) {
  std::vector<ScanUnits> heads;
  std::vector<std::shared_ptr<PartReader>> parts;
  {
    // Parts and heads under one lock: a flush publishes a frozen head's parts and drops the
    // head in one step, so each event is seen once.
    std::lock_guard lock(mutex_);
    PartSet::Snapshot set = part_set_->Current();
    parts = std::move(set.parts);
    for (const auto& head : set.frozen) heads.push_back(head->units());
    heads.push_back(head_->units());
  }
  auto wanted = [&](const std::string& dataset, int64_t min_time, int64_t max_time) {
    return range.Wants(dataset) && max_time >= range.min_time && min_time <= range.max_time;
  };
  ScanUnits units;
  for (const auto& part : parts) {
    const PartFooter& footer = part->footer();
    if (!wanted(footer.dataset, footer.min_time, footer.max_time)) continue;
    for (size_t b = 0; b < footer.blocks.size(); ++b) {
      const BlockMeta& block = footer.blocks[b];
      if (block.max_time < range.min_time || block.min_time > range.max_time) continue;
      std::shared_ptr<const ScanUnit> unit = MakePartBlockUnit(part, b);
      // Blocks whose statistics rule the filter out are left out unread.
      if (UnitMayPass(*unit, range.filter)) units.push_back(std::move(unit));
    }
  }
  for (ScanUnits& head_units : heads) {
    for (auto& unit : head_units) {
      if (wanted(unit->dataset(), unit->min_time(), unit->max_time()) && UnitMayPass(*unit, range.filter)) {
        units.push_back(std::move(unit));
      }
    }
  }
  return units;
}

void EmbeddedStore::FlushLoop() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.maintenance_interval, [this] { return closing_ || flush_requested_; });
      if (closing_) return;
    }
    if (absl::Status status = RunFlush(false); !status.ok()) {
      // The head and the log keep everything; the next round retries.
      spdlog::warn("writing the head out: {}", std::string(status.message()));
    }
  }
}

void EmbeddedStore::CompactionLoop(MergeLane lane) {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.maintenance_interval,
                     [this, lane] { return closing_ || compaction_requested_[lane]; });
      if (closing_) return;
      compaction_requested_[lane] = false;
    }
    if (absl::Status status = RunCompaction(false, lane); !status.ok()) {
      spdlog::warn("merging parts / retention: {}", std::string(status.message()));
    }
  }
}

absl::Status EmbeddedStore::FlushAndCompact() {
  RETURN_IF_NOT_OK(RunFlush(true));
  return RunCompaction(true, kAnyMerge);
}

absl::Status EmbeddedStore::RunFlush(bool force) {
  std::lock_guard flush(flush_mutex_);
  // One frozen head at a time, freezing the active head whenever it is due in between, so
  // the active head never grows far past its budget while older heads are written out.
  for (bool first = true;; first = false) {
    bool freeze = false;
    {
      std::unique_lock lock(mutex_);
      flush_requested_ = false;
      // A forced flush writes out everything appended before it: a freeze under way may
      // leave later records in the new head, so wait for it and look again.
      if (force && first) wake_.wait(lock, [this] { return !freeze_pending_; });
      if (!head_->empty() && !freeze_pending_) {
        freeze = (force && first) || head_->bytes() >= options_.head_flush_bytes ||
                 std::chrono::steady_clock::now() - head_started_ >= options_.head_flush_age;
        freeze_pending_ = freeze;
      }
    }
    if (freeze) RETURN_IF_NOT_OK(FreezeHead());
    bool more = false;
    RETURN_IF_NOT_OK(FlushOldestFrozenHead(&more));
    if (!more) return absl::OkStatus();
  }
}

absl::Status EmbeddedStore::RunCompaction(bool force, MergeLane lane) {
  std::lock_guard compaction(compaction_mutex_[lane]);
  for (bool merged = true; merged;) {
    {
      std::lock_guard lock(mutex_);
      if (closing_ && !force) break;
    }
    RETURN_IF_NOT_OK(MergeOnce(lane, &merged));
  }
  return lane == kAnyMerge ? ApplyRetention() : absl::OkStatus();
}

void EmbeddedStore::RequestFreeze(std::function<void(absl::Status)> done) {
  wal_->Rotate([this, done = std::move(done)](absl::Status status, uint64_t sequence) {
    {
      std::lock_guard lock(mutex_);
      if (status.ok() && !head_->empty()) {
        part_set_->AddFrozenHead({head_, sequence});
        head_ = std::make_shared<Head>();
        head_started_ = std::chrono::steady_clock::now();
        flush_requested_ = true;
      }
      freeze_pending_ = false;
      wake_.notify_all();
    }
    if (done) done(status);
  });
}

absl::Status EmbeddedStore::FreezeHead() {
  std::promise<absl::Status> rotated;
  RequestFreeze([&rotated](absl::Status status) { rotated.set_value(status); });
  return rotated.get_future().get();
}

absl::Status EmbeddedStore::FlushOldestFrozenHead(bool* flushed) {
  *flushed = false;
  std::optional<FrozenHead> oldest = part_set_->OldestFrozenHead();
  if (!oldest) return absl::OkStatus();
  const FrozenHead& frozen = *oldest;
  std::vector<uint64_t> added;
  absl::Status status = WriteHead(*frozen.head, &added);
  if (status.ok()) SyncPoint("EmbeddedStore::Flush:PartsWritten");
  if (status.ok()) {
    PartSetEdit edit;
    edit.added = added;
    edit.wal_replay_from = frozen.wal_replay_from;
    edit.publishes_frozen_head = true;
    status = part_set_->Apply(edit);
  }
  if (!status.ok()) {
    for (uint64_t id : added) ::unlink(PartPath(id).c_str());
    return status;
  }
  {
    std::lock_guard lock(mutex_);
    ++counters_.flushes;
    compaction_requested_[kAnyMerge] = compaction_requested_[kSmallMerges] = true;
    wake_.notify_all();
  }
  SyncPoint("EmbeddedStore::Flush:Published");
  wal_->DeleteSegmentsBefore(frozen.wal_replay_from);
  SyncPoint("EmbeddedStore::Flush:LogDeleted");
  ReleaseFreeMemory();
  *flushed = true;
  return absl::OkStatus();
}

absl::Status EmbeddedStore::WriteHead(const Head& head, std::vector<uint64_t>* new_ids) {
  // The head's batches are copied into parts column to column, as a merge copies parts:
  // each part's rows (one dataset and hour) are sorted as 24-byte references and written in
  // key order, never built as Events.
  struct Row {
    PartRowKey key;
    uint32_t batch;
    uint32_t row;
    bool operator<(const Row& other) const {  // arrival order breaks ties: stable
      return std::tie(key, batch, row) < std::tie(other.key, other.batch, other.row);
    }
  };
  const std::vector<std::shared_ptr<const EventBatch>>& batches = head.batches();
  std::map<std::pair<std::string, int64_t>, std::vector<Row>> groups;
  for (uint32_t b = 0; b < batches.size(); ++b) {
    const EventBatch& batch = *batches[b];
    const std::string_view ids = batch.fixed(model::FixedField::kTraceId).fixed;
    const std::vector<int64_t>& times = batch.fixed(model::FixedField::kTime).ints;
    std::pair<std::string, int64_t> group_key;
    std::vector<Row>* group = nullptr;
    for (uint32_t row = 0; row < batch.rows; ++row) {
      const int64_t partition = PartitionOf(times[row]);
      if (group == nullptr || partition != group_key.second) {
        group_key = {batch.dataset, partition};
        group = &groups[group_key];
      }
      group->push_back({PartRowKey::Of(ids.substr(row * 16, 16), times[row]), b, row});
    }
  }
  std::vector<PartWriter::SourceBlock> sources(batches.size());
  std::vector<const PartWriter::SourceBlock*> bound(batches.size());
  std::vector<PartWriter::SourceRow> ordered;
  for (auto& [key, rows] : groups) {
    std::sort(rows.begin(), rows.end());
    const uint64_t id = part_set_->AllocatePartId();
    const std::string path = PartPath(id);
    ASSIGN_OR_RETURN(auto writer, PartWriter::Create(path + ".tmp", key.first, key.second, options_.part));
    std::fill(bound.begin(), bound.end(), nullptr);  // bound per writer
    ordered.clear();
    for (const Row& row : rows) {
      if (bound[row.batch] == nullptr) {
        PartWriter::SourceBlock& source = sources[row.batch];
        source.descriptors = &batches[row.batch]->columns;
        source.columns = &batches[row.batch]->values;
        writer->Bind(source);
        bound[row.batch] = &source;
      }
      ordered.push_back({row.batch, row.row});
    }
    RETURN_IF_NOT_OK(writer->AddRows(bound, ordered));
    RETURN_IF_NOT_OK(writer->Finish().status());
    if (::rename((path + ".tmp").c_str(), path.c_str()) != 0) return ErrnoStatus("cannot rename", path);
    new_ids->push_back(id);
  }
  return absl::OkStatus();
}

absl::Status EmbeddedStore::MergeOnce(MergeLane lane, bool* merged) {
  *merged = false;
  PartSet::Snapshot set;
  std::optional<MergeChoice> choice;
  {
    // The snapshot and merging_ under one lock: a merge marks its parts before it starts and
    // clears them only after its edit is applied, so no part is in two merges.
    std::lock_guard lock(mutex_);
    set = part_set_->Current();
    std::vector<PartDescriptor> candidates;
    for (PartDescriptor& d : set.Describe()) {
      if (merging_.contains(d.id)) continue;
      if (lane == kSmallMerges && d.rows > options_.small_merge_max_input_rows) continue;
      candidates.push_back(std::move(d));
    }
    choice = PickMerge(candidates, options_.merge);
    if (!choice) return absl::OkStatus();
    merging_.insert(choice->ids.begin(), choice->ids.end());
  }
  absl::Cleanup release = [&] {
    std::lock_guard lock(mutex_);
    for (uint64_t id : choice->ids) merging_.erase(id);
  };
  const std::vector<std::shared_ptr<PartReader>>& parts = set.parts;
  const std::vector<uint64_t>& ids = set.ids;
  std::vector<std::shared_ptr<PartReader>> inputs;
  for (uint64_t id : choice->ids) {
    inputs.push_back(parts[std::find(ids.begin(), ids.end(), id) - ids.begin()]);
  }
  const uint64_t id = part_set_->AllocatePartId();
  const std::string path = PartPath(id);
  {
    ASSIGN_OR_RETURN(auto writer, PartWriter::Create(path + ".tmp", choice->dataset, choice->partition, options_.part));
    RETURN_IF_NOT_OK(MergeParts(inputs, *writer));
    RETURN_IF_NOT_OK(writer->Finish().status());
  }
  if (::rename((path + ".tmp").c_str(), path.c_str()) != 0) return ErrnoStatus("cannot rename", path);
  SyncPoint("EmbeddedStore::Merge:PartWritten");
  PartSetEdit edit;
  edit.added = {id};
  edit.removed = choice->ids;
  if (absl::Status status = part_set_->Apply(edit); !status.ok()) {
    ::unlink(path.c_str());
    return status;
  }
  std::lock_guard lock(mutex_);
  ++counters_.merges;
  *merged = true;
  return absl::OkStatus();
}

absl::Status EmbeddedStore::ApplyRetention() {
  if (options_.retention.count() == 0 && options_.max_disk_bytes == 0) return absl::OkStatus();
  PartSet::Snapshot set;
  std::set<uint64_t> busy;
  {
    std::lock_guard lock(mutex_);
    set = part_set_->Current();
    busy = merging_;
  }
  const std::vector<std::shared_ptr<PartReader>>& parts = set.parts;
  const std::vector<uint64_t>& ids = set.ids;
  std::vector<size_t> order(parts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return parts[a]->footer().max_time < parts[b]->footer().max_time;
  });
  std::vector<uint64_t> dropped;
  uint64_t total = wal_->DiskBytes();
  for (const auto& p : parts) total += p->file_size();
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (size_t i : order) {
    const bool expired = options_.retention.count() > 0 &&
                         parts[i]->footer().max_time < now - options_.retention.count();
    const bool over_disk = options_.max_disk_bytes > 0 && total > options_.max_disk_bytes;
    if (!expired && !over_disk) break;  // oldest first: the rest are newer
    if (busy.contains(ids[i])) continue;  // being merged: the merged part is dropped next round
    dropped.push_back(ids[i]);
    total -= parts[i]->file_size();
  }
  if (dropped.empty()) return absl::OkStatus();
  spdlog::info("retention: dropping {} part(s) (--retention / --max-disk)", dropped.size());
  {
    // Marked like a merge's parts until dropped, so the small-merge lane leaves them.
    std::lock_guard lock(mutex_);
    for (uint64_t id : dropped) {
      if (merging_.contains(id)) return absl::OkStatus();  // taken since the snapshot: next round
    }
    merging_.insert(dropped.begin(), dropped.end());
  }
  absl::Cleanup release = [&] {
    std::lock_guard lock(mutex_);
    for (uint64_t id : dropped) merging_.erase(id);
  };
  PartSetEdit edit;
  edit.removed = dropped;
  RETURN_IF_NOT_OK(part_set_->Apply(edit));
  std::lock_guard lock(mutex_);
  counters_.parts_dropped += dropped.size();
  return absl::OkStatus();
}

std::vector<std::shared_ptr<PartReader>> EmbeddedStore::Parts() const { return part_set_->Current().parts; }

EmbeddedStoreStats EmbeddedStore::Stats() const {
  std::lock_guard lock(mutex_);
  EmbeddedStoreStats stats = counters_;
  const PartSet::Snapshot set = part_set_->Current();
  stats.parts = set.parts.size();
  for (const auto& p : set.parts) {
    stats.part_rows += p->footer().rows;
    stats.part_bytes += p->file_size();
  }
  stats.head_events = head_->events();
  stats.head_bytes = head_->bytes();
  for (const auto& head : set.frozen) {
    stats.head_events += head->events();
    stats.head_bytes += head->bytes();
  }
  return stats;
}

void EmbeddedStore::Close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    wake_.notify_all();
  }
  if (flush_thread_.joinable()) flush_thread_.join();
  if (compaction_thread_.joinable()) compaction_thread_.join();
  if (small_compaction_thread_.joinable()) small_compaction_thread_.join();
  // The head is not written out: the log holds it and the next start replays it.
  if (wal_) wal_->Close();
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock
    lock_fd_ = -1;
  }
}

}  // namespace waggle::store
