#include "api/xray_daemon.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "common/metrics.h"
#include "common/strings.h"
#include "common/wall_clock.h"
#include "xray/segment_document.h"

namespace waggle::api {
namespace {

constexpr int kBatchDatagrams = 64;        // per recvmmsg call
constexpr size_t kAppendDocuments = 2000;  // documents per store append
constexpr int kFlushMillis = 20;           // ...or this old, whichever first
constexpr int kReceiveBufferBytes = 32 << 20;
constexpr int64_t kMaxAppendsInFlight = 64;  // beyond this the store is behind: wait
constexpr int kAdmissionWaitMillis = 2;
constexpr size_t kMaxQueuedBytes = 64 << 20;  // datagrams waiting to be mapped

prometheus::Counter& DroppedDatagrams() {
  static auto& counter = prometheus::BuildCounter()
                             .Name("waggle_xray_documents_dropped_total")
                             .Help("X-Ray segment documents received over UDP and dropped (queue full or store behind)")
                             .Register(metrics::Registry())
                             .Add({});
  return counter;
}

}  // namespace

absl::StatusOr<std::unique_ptr<XrayDaemon>> XrayDaemon::Start(const ListenAddress& address, boost::asio::io_context& io,
                                                              xray::SegmentIngest& ingest, XrayApi& api) {
  std::unique_ptr<XrayDaemon> daemon(new XrayDaemon(ingest));
  DroppedDatagrams();  // listed from the start, at 0
  // TCP first: with port 0 it picks the port, and UDP binds the same number.
  HttpServerOptions tcp_options;
  tcp_options.max_body_bytes = 1 << 20;
  XrayApi* api_ptr = &api;
  daemon->tcp_ = std::make_unique<HttpServer>(
      io, tcp_options, [api_ptr](HttpRequest&& request, HttpReply reply) { api_ptr->HandleDaemon(std::move(request), std::move(reply)); });
  auto bound = daemon->tcp_->Listen(address);
  if (!bound.ok()) return absl::UnavailableError(StrCat("--xray ", address.ToString(), " (TCP): ", std::string(bound.status().message())));
  daemon->address_ = *bound;

  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(bound->port);
  if (inet_pton(AF_INET, bound->host.c_str(), &sa.sin_addr) != 1) {
    return absl::InvalidArgumentError(StrCat("--xray ", address.ToString(), ": the UDP listener takes an IPv4 address"));
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(StrCat("UDP socket: ", std::strerror(errno)));
  int size = kReceiveBufferBytes;
  // SO_RCVBUFFORCE passes net.core.rmem_max when running with CAP_NET_ADMIN; else the capped request.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(StrCat("--xray ", bound->ToString(), " (UDP): ", std::strerror(err)));
  }
  daemon->udp_fd_ = fd;
  XrayDaemon* self = daemon.get();
  daemon->receiver_ = std::thread([self] {
    pthread_setname_np(pthread_self(), "waggle-xray-udp");
    self->ReceiveLoop();
  });
  daemon->mapper_ = std::thread([self] {
    pthread_setname_np(pthread_self(), "waggle-xray-map");
    self->MapLoop();
  });
  return daemon;
}

XrayDaemon::~XrayDaemon() { Stop(); }

void XrayDaemon::Stop() {
  if (stopping_.exchange(true)) return;
  if (tcp_) tcp_->Stop();
  if (receiver_.joinable()) receiver_.join();
  if (mapper_.joinable()) mapper_.join();
  if (udp_fd_ >= 0) close(udp_fd_);
  udp_fd_ = -1;
  for (int i = 0; i < 500 && appends_in_flight_.load() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

XrayDaemonStats XrayDaemon::Stats() const {
  return {datagrams_.load(), malformed_.load(), stored_.load(), dropped_.load()};
}

void XrayDaemon::LogMalformed(uint64_t count, std::string_view latest) {
  malformed_.fetch_add(count, std::memory_order_relaxed);
  metrics::SpansRejected("xray_udp").Increment(static_cast<double>(count));
  std::lock_guard lock(log_mutex_);
  malformed_since_log_ += count;
  int64_t now = UnixSecondsNow();
  if (now - last_malformed_log_ >= 10) {
    spdlog::warn("xray: {} malformed datagram(s) since the last report; latest: {}", malformed_since_log_, latest);
    last_malformed_log_ = now;
    malformed_since_log_ = 0;
  }
}

void XrayDaemon::ReceiveLoop() {
  std::vector<std::vector<char>> buffers(kBatchDatagrams, std::vector<char>(xray::kMaxDocumentBytes + 64));
  std::vector<iovec> iov(kBatchDatagrams);
  std::vector<mmsghdr> messages(kBatchDatagrams);
  DocumentBatch pending;
  auto oldest = std::chrono::steady_clock::now();
  prometheus::Counter& received = metrics::SpansReceived("xray_udp");
  while (!stopping_.load()) {
    for (int i = 0; i < kBatchDatagrams; ++i) {
      iov[i] = {buffers[i].data(), buffers[i].size()};
      messages[i] = {};
      messages[i].msg_hdr.msg_iov = &iov[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    pollfd pfd{udp_fd_, POLLIN, 0};
    if (poll(&pfd, 1, kFlushMillis) > 0) {
      int n = recvmmsg(udp_fd_, messages.data(), kBatchDatagrams, MSG_DONTWAIT, nullptr);
      for (int i = 0; i < n; ++i) {
        datagrams_.fetch_add(1, std::memory_order_relaxed);
        received.Increment();
        std::string_view datagram(buffers[i].data(), messages[i].msg_len);
        auto document = xray::DocumentInDatagram(datagram);
        if (!document.ok() || (messages[i].msg_hdr.msg_flags & MSG_TRUNC)) {
          LogMalformed(1, document.ok() ? "truncated past 64 kB" : std::string(document.status().message()));
          continue;
        }
        if (pending.empty()) oldest = std::chrono::steady_clock::now();
        pending.Add(*document);
      }
    }
    if (!pending.empty() && (pending.documents.size() >= kAppendDocuments ||
                             std::chrono::steady_clock::now() - oldest >= std::chrono::milliseconds(kFlushMillis))) {
      Enqueue(pending);
    }
  }
  if (!pending.empty()) Enqueue(pending);
  {
    std::lock_guard lock(queue_mutex_);
    receiver_done_ = true;
  }
  queue_ready_.notify_one();
}

void XrayDaemon::Enqueue(DocumentBatch& batch) {
  {
    std::lock_guard lock(queue_mutex_);
    if (queued_bytes_ + batch.bytes.size() <= kMaxQueuedBytes) {
      queued_bytes_ += batch.bytes.size();
      queue_.push_back(std::move(batch));
      batch = DocumentBatch();
      batch.bytes.reserve(queue_.back().bytes.capacity());
      queue_ready_.notify_one();
      return;
    }
  }
  dropped_.fetch_add(batch.documents.size(), std::memory_order_relaxed);
  DroppedDatagrams().Increment(static_cast<double>(batch.documents.size()));
  batch.bytes.clear();
  batch.documents.clear();
}

void XrayDaemon::MapLoop() {
  while (true) {
    DocumentBatch batch;
    {
      std::unique_lock lock(queue_mutex_);
      queue_ready_.wait(lock, [&] { return receiver_done_ || !queue_.empty(); });
      if (queue_.empty()) return;
      batch = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= batch.bytes.size();
    }
    Flush(batch);
  }
}

void XrayDaemon::Flush(const DocumentBatch& batch) {
  // UDP has no retry: while the store is behind, wait here. The queue behind this thread
  // then fills and the receiver drops past its bound, so memory stays bounded and a burst
  // the store can catch up with loses nothing.
  while (!stopping_.load() &&
         (appends_in_flight_.load() >= kMaxAppendsInFlight || !ingest_.Admission().ok())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kAdmissionWaitMillis));
  }
  std::vector<std::string_view> views;
  views.reserve(batch.documents.size());
  for (auto [offset, size] : batch.documents) views.emplace_back(batch.bytes.data() + offset, size);
  xray::MappedDocuments mapped = ingest_.Map(views);
  if (!mapped.unprocessed.empty()) LogMalformed(mapped.unprocessed.size(), mapped.unprocessed.back().message);
  if (mapped.rows.empty()) return;
  const uint64_t accepted = static_cast<uint64_t>(mapped.accepted);
  ++appends_in_flight_;
  ingest_.Append(std::move(mapped.rows), [this, accepted](absl::Status status) {
    if (status.ok()) {
      stored_.fetch_add(accepted, std::memory_order_relaxed);
    } else {
      dropped_.fetch_add(accepted, std::memory_order_relaxed);
      DroppedDatagrams().Increment(static_cast<double>(accepted));
      spdlog::warn("xray: {} documents from UDP not stored: {}", accepted, std::string(status.message()));
    }
    --appends_in_flight_;
  });
}

}  // namespace waggle::api
