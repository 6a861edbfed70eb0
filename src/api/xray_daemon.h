// What the X-Ray daemon is to the SDKs, at its address (default 127.0.0.1:2000): UDP
// datagrams of one segment document each (shared/reference/protocols.md B1), and on TCP the
// SDKs' unsigned sampling calls. Datagrams are read in batches (recvmmsg) on a thread of
// their own, mapped, and appended to the store in batches; nothing waits for a sync, so the
// socket keeps draining. Malformed datagrams are counted and logged at most every 10 s.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

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
  XrayDaemon(xray::SegmentIngest& ingest) : ingest_(ingest) {}
  void ReceiveLoop();
  void Flush(std::vector<std::string>& documents);

  xray::SegmentIngest& ingest_;
  ListenAddress address_;
  int udp_fd_ = -1;
  std::unique_ptr<HttpServer> tcp_;
  std::thread receiver_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> appends_in_flight_{0};

  std::atomic<uint64_t> datagrams_{0};
  std::atomic<uint64_t> malformed_{0};
  std::atomic<uint64_t> stored_{0};
  std::atomic<uint64_t> dropped_{0};
  int64_t last_malformed_log_ = 0;  // receiver thread only
  uint64_t malformed_since_log_ = 0;
};

}  // namespace waggle::api
