#include "store/write_ahead_log.h"

#include <chrono>

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/metrics.h"
#include "common/strings.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "store/file_util.h"

namespace waggle::store {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'W', 'G', 'L', 'W', 'A', 'L', '0', '1'};
constexpr size_t kRecordHeader = 12;

std::string SegmentPath(const std::string& dir, uint64_t sequence) {
  return absl::StrFormat("%s/wal-%020d.log", dir, sequence);
}

void AppendFixed32(std::string* out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // Little-endian hosts only (x86-64, arm64), as the format says.
  out->append(b, 4);
}
void AppendFixed64(std::string* out, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out->append(b, 8);
}

}  // namespace

absl::StatusOr<std::unique_ptr<WriteAheadLog>> WriteAheadLog::Open(const std::string& dir,
                                                                    const WalOptions& options,
                                                                    const ReplayFn& replay,
                                                                    WalReplayStats* stats,
                                                                    uint64_t first_sequence) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(StrCat("cannot create ", dir, ": ", ec.message()));

  std::vector<uint64_t> sequences;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() == 28 && name.starts_with("wal-") && name.ends_with(".log")) {
      sequences.push_back(std::stoull(name.substr(4, 20)));
    }
  }
  if (ec) return absl::InternalError(StrCat("cannot list ", dir, ": ", ec.message()));
  std::sort(sequences.begin(), sequences.end());
  // Segments below first_sequence were flushed into parts before a crash cut their removal.
  while (!sequences.empty() && sequences.front() < first_sequence) {
    std::string path = SegmentPath(dir, sequences.front());
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("cannot remove flushed log", path);
    sequences.erase(sequences.begin());
  }

  WalReplayStats local_stats;
  WalReplayStats& s = stats ? *stats : local_stats;
  uint64_t last_size = 0;
  for (size_t i = 0; i < sequences.size(); ++i) {
    const bool newest = i + 1 == sequences.size();
    std::string path = SegmentPath(dir, sequences[i]);
    ASSIGN_OR_RETURN(std::string data, ReadWholeFile(path));
    size_t offset = 0;
    bool corrupt = false;
    if (data.size() < sizeof(kMagic) || std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
      corrupt = true;
    } else {
      offset = sizeof(kMagic);
      while (offset < data.size()) {
        if (data.size() - offset < kRecordHeader) {
          corrupt = true;
          break;
        }
        uint32_t length;
        uint64_t checksum;
        std::memcpy(&length, data.data() + offset, 4);
        std::memcpy(&checksum, data.data() + offset + 4, 8);
        if (length > options.max_record_bytes || data.size() - offset - kRecordHeader < length) {
          corrupt = true;
          break;
        }
        std::string_view payload(data.data() + offset + kRecordHeader, length);
        if (XXH3_64bits(payload.data(), payload.size()) != checksum) {
          corrupt = true;
          break;
        }
        RETURN_IF_NOT_OK(replay(payload));
        ++s.records;
        s.bytes += length;
        offset += kRecordHeader + length;
      }
    }
    if (corrupt) {
      if (newest) {
        // A crash mid-write leaves a torn tail; nothing in it was acknowledged.
        size_t keep = std::max(offset, sizeof(kMagic));
        s.torn_tail_bytes_dropped += data.size() > keep ? data.size() - keep : 0;
        spdlog::warn("write-ahead log {}: dropping {} bytes of torn tail after offset {}", path,
                     data.size() - std::min(data.size(), keep), keep);
        if (offset < sizeof(kMagic)) {
          // The header itself is torn: rewrite it.
          int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
          if (fd < 0) return ErrnoStatus("cannot open", path);
          absl::Status st = WriteAll(fd, std::string_view(kMagic, sizeof(kMagic)), path);
          ::fsync(fd);
          ::close(fd);
          RETURN_IF_NOT_OK(st);
        } else if (::truncate(path.c_str(), static_cast<off_t>(offset)) != 0) {
          return ErrnoStatus("cannot truncate", path);
        }
        data.resize(keep);
      } else {
        ++s.corrupt_segments;
        spdlog::error("write-ahead log {} is corrupt at offset {}: the rest of this file is skipped",
                      path, offset);
      }
    }
    if (newest) last_size = std::max(data.size(), sizeof(kMagic));
  }

  uint64_t sequence = sequences.empty() ? std::max<uint64_t>(1, first_sequence) : sequences.back();
  std::string path = SegmentPath(dir, sequence);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot open", path);
  if (sequences.empty()) {
    absl::Status st = WriteAll(fd, std::string_view(kMagic, sizeof(kMagic)), path);
    if (st.ok() && ::fdatasync(fd) != 0) st = ErrnoStatus("cannot fsync", path);
    if (st.ok()) st = SyncDirectory(dir);
    if (!st.ok()) {
      ::close(fd);
      return st;
    }
    last_size = sizeof(kMagic);
  }
  return std::unique_ptr<WriteAheadLog>(new WriteAheadLog(dir, options, fd, sequence, last_size));
}

WriteAheadLog::WriteAheadLog(std::string dir, WalOptions options, int fd, uint64_t sequence,
                             uint64_t size)
    : dir_(std::move(dir)), options_(options), fd_(fd), sequence_(sequence), segment_size_(size) {
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "waggle-wal");
    WriterLoop();
  });
}

WriteAheadLog::~WriteAheadLog() { Close(); }

void WriteAheadLog::Append(std::string record, Done done) {
  if (record.size() > options_.max_record_bytes) {
    const size_t size = record.size();
    done(absl::InvalidArgumentError(StrCat("record of ", size, " bytes exceeds the write-ahead log limit")),
         std::move(record));
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      pending_bytes_ += record.size();
      queue_.push_back({std::move(record), std::move(done), nullptr});
      wake_.notify_one();
      return;
    }
  }
  done(absl::UnavailableError("the server is shutting down; retry against the restarted server"),
       std::move(record));
}

uint64_t WriteAheadLog::pending_bytes() const {
  std::lock_guard lock(mutex_);
  return pending_bytes_;
}

void WriteAheadLog::Close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    wake_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void WriteAheadLog::WriterLoop() {
  std::string buffer;
  while (true) {
    std::deque<Pending> group;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and nothing left
      group.swap(queue_);
    }
    // Records up to a rotation marker form one write; the marker then starts a new segment.
    while (!group.empty()) {
      buffer.clear();
      size_t count = 0;
      uint64_t group_bytes = 0;
      for (; count < group.size() && !group[count].rotated; ++count) {
        const Pending& p = group[count];
        AppendFixed32(&buffer, static_cast<uint32_t>(p.record.size()));
        AppendFixed64(&buffer, XXH3_64bits(p.record.data(), p.record.size()));
        buffer.append(p.record);
        group_bytes += p.record.size();
      }
      if (count > 0) {
        absl::Status status = WriteGroup(buffer);
        {
          std::lock_guard lock(mutex_);
          pending_bytes_ -= group_bytes;
        }
        for (size_t i = 0; i < count; ++i) group[i].done(status, std::move(group[i].record));
      }
      if (count < group.size()) {
        absl::Status status = StartNewSegment();
        group[count].rotated(status, sequence_.load());
        ++count;
      }
      group.erase(group.begin(), group.begin() + static_cast<std::ptrdiff_t>(count));
    }
  }
}

void WriteAheadLog::Rotate(RotatedFn rotated) {
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      queue_.push_back({std::string(), nullptr, std::move(rotated)});
      wake_.notify_one();
      return;
    }
  }
  rotated(absl::UnavailableError("the write-ahead log is closing"), 0);
}

void WriteAheadLog::DeleteSegmentsBefore(uint64_t sequence) {
  const uint64_t current = sequence_.load();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() != 28 || !name.starts_with("wal-") || !name.ends_with(".log")) continue;
    uint64_t n = std::stoull(name.substr(4, 20));
    if (n < sequence && n < current) fs::remove(entry.path(), ec);
  }
}

uint64_t WriteAheadLog::DiskBytes() const {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    auto size = entry.file_size(ec);
    if (!ec) total += size;
  }
  return total;
}

absl::Status WriteAheadLog::WriteGroup(const std::string& buffer) {
  if (segment_size_ >= options_.segment_bytes) RETURN_IF_NOT_OK(StartNewSegment());
  std::string path = SegmentPath(dir_, sequence_);
  absl::Status status = WriteAll(fd_, buffer, path);
  if (status.ok()) {
    const auto started = std::chrono::steady_clock::now();
    if (::fdatasync(fd_) != 0) status = ErrnoStatus("cannot fsync", path);
    metrics::WalFsyncLatency().Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (!status.ok()) {
    // Leave no partial record behind: the next group starts on a clean boundary.
    if (::ftruncate(fd_, static_cast<off_t>(segment_size_)) != 0) {
      spdlog::error("cannot cut failed write from {}: {}", path, std::strerror(errno));
    }
    return status;
  }
  segment_size_ += buffer.size();
  return absl::OkStatus();
}

absl::Status WriteAheadLog::StartNewSegment() {
  uint64_t next = sequence_ + 1;
  std::string path = SegmentPath(dir_, next);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot create", path);
  absl::Status status = WriteAll(fd, std::string_view(kMagic, sizeof(kMagic)), path);
  if (status.ok() && ::fdatasync(fd) != 0) status = ErrnoStatus("cannot fsync", path);
  if (status.ok()) status = SyncDirectory(dir_);
  if (!status.ok()) {
    ::close(fd);
    ::unlink(path.c_str());
    return status;
  }
  ::close(fd_);
  fd_ = fd;
  sequence_ = next;
  segment_size_ = sizeof(kMagic);
  return absl::OkStatus();
}

}  // namespace waggle::store
