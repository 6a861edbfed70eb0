// What the X-Ray daemon is to the SDKs, at its address (default 127.0.0.1:2000): UDP
// datagrams of one segment document each (shared/reference/protocols.md B1), and on TCP the
// SDKs' unsigned sampling calls. Datagrams are read in batches (recvmmsg) on a thread that
// only copies them out, so the socket keeps draining; a second thread parses and maps them
// and appends to the store in batches, never waiting for a sync. Between the two, a queue
// bounded in bytes: while the store is behind the mapper waits, and past the bound documents are dropped and
// counted. Malformed datagrams are counted and logged at most every 10 s.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "absl/status/statusor.h"
#include "api/http_server.h"
#include "api/listen_address.h"
#include "api/xray_api.h"
#include "xray/segment_ingest.h"

namespace waggle::api {

struct XrayDaemonStats {
  uint64_t datagrams = 0;
  uint64_t malformed = 0;         // not a header + document, or a document that doesn't map
  uint64_t documents_stored = 0;  // acknowledged by the store
  uint64_t documents_dropped = 0;  // the store refused them (overload or I/O failure)
};

class XrayDaemon {
 public:
  // Binds UDP and TCP on `address` (port 0: one free port for both).
  static absl::StatusOr<std::unique_ptr<XrayDaemon>> Start(const ListenAddress& address, boost::asio::io_context& io,
                                                           xray::SegmentIngest& ingest, XrayApi& api);
  ~XrayDaemon();

  const ListenAddress& address() const { return address_; }
  XrayDaemonStats Stats() const;
  void Stop();  // stops receiving; batches under way finish

 private:
  // Documents copied out of datagrams into one buffer: no allocation per datagram.
  struct DocumentBatch {
    std::string bytes;
    std::vector<std::pair<uint32_t, uint32_t>> documents;  // offset and size in bytes
    bool empty() const { return documents.empty(); }
    void Add(std::string_view document) {
      documents.emplace_back(static_cast<uint32_t>(bytes.size()), static_cast<uint32_t>(document.size()));
      bytes.append(document);
    }
  };

  XrayDaemon(xray::SegmentIngest& ingest) : ingest_(ingest) {}
  void ReceiveLoop();
  void MapLoop();
  void Enqueue(DocumentBatch& batch);
  void Flush(const DocumentBatch& batch);
  void LogMalformed(uint64_t count, std::string_view latest);

  xray::SegmentIngest& ingest_;
  ListenAddress address_;
  int udp_fd_ = -1;
  std::unique_ptr<HttpServer> tcp_;
  std::thread receiver_;
  std::thread mapper_;
  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::deque<DocumentBatch> queue_;             // guarded by queue_mutex_
  size_t queued_bytes_ = 0;                     // guarded by queue_mutex_
  bool receiver_done_ = false;                  // guarded by queue_mutex_
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> appends_in_flight_{0};

  std::atomic<uint64_t> datagrams_{0};
  std::atomic<uint64_t> malformed_{0};
  std::atomic<uint64_t> stored_{0};
  std::atomic<uint64_t> dropped_{0};
  std::mutex log_mutex_;
  int64_t last_malformed_log_ = 0;  // guarded by log_mutex_
  uint64_t malformed_since_log_ = 0;  // guarded by log_mutex_
};

}  // namespace waggle::api
