#include "store/embedded_store.h"

#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "common/strings.h"
#include "common/status_macros.h"
#include "store/event_codec.h"

namespace waggle::store {

absl::StatusOr<std::unique_ptr<EmbeddedStore>> EmbeddedStore::Open(
    const EmbeddedStoreOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
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
  auto wal = WriteAheadLog::Open(
      options.data_dir + "/wal", options.wal,
      [&store](std::string_view record) -> absl::Status {
        auto events = DecodeEvents(record);
        if (!events.ok()) {
          // Checksummed yet undecodable: written by an incompatible version. Report, go on.
          spdlog::error("skipping a write-ahead log record: {}", events.status().ToString());
          return absl::OkStatus();
        }
        store->Index(std::move(*events));
        return absl::OkStatus();
      },
      &store->replay_stats_);
  if (!wal.ok()) return wal.status();
  store->wal_ = std::move(*wal);
  return store;
}

EmbeddedStore::EmbeddedStore(EmbeddedStoreOptions options, int lock_fd)
    : options_(std::move(options)), lock_fd_(lock_fd) {}

EmbeddedStore::~EmbeddedStore() { Close(); }

void EmbeddedStore::Append(std::vector<model::Event> events, AppendCallback done) {
  if (wal_->pending_bytes() > options_.max_pending_bytes) {
    done(absl::UnavailableError("ingest is behind (write-ahead log queue full); retry shortly"));
    return;
  }
  std::string record;
  EncodeEvents(events, &record);
  // Index only once durable, so a lookup never shows what a crash could still lose.
  wal_->Append(std::move(record), [this, events = std::move(events),
                                   done = std::move(done)](absl::Status status) mutable {
    if (status.ok()) Index(std::move(events));
    done(std::move(status));
  });
}

void EmbeddedStore::Index(std::vector<model::Event> events) {
  std::lock_guard lock(mutex_);
  for (model::Event& e : events) traces_[e.trace_id].push_back(std::move(e));
}

absl::StatusOr<std::vector<model::Event>> EmbeddedStore::FindTrace(const model::TraceId& trace_id) {
  std::lock_guard lock(mutex_);
  auto it = traces_.find(trace_id);
  if (it == traces_.end()) return std::vector<model::Event>{};
  return it->second;
}

void EmbeddedStore::Close() {
  if (wal_) wal_->Close();
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock
    lock_fd_ = -1;
  }
}

}  // namespace waggle::store
