// Sends X-Ray daemon datagrams at a fixed rate: a segment with two subsegments (about 900
// bytes, the shape the Node SDK sends), each with a fresh trace and segment id, paced in
// 1 ms slices with sendmmsg. Prints how many it sent. Used by bench/xray_udp.sh.
//   xray_udp_load HOST:PORT RATE_PER_SECOND SECONDS
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/str_format.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: xray_udp_load HOST:PORT RATE_PER_SECOND SECONDS\n");
    return 2;
  }
  std::string address = argv[1];
  const double rate = std::atof(argv[2]);
  const double seconds = std::atof(argv[3]);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::atoi(address.substr(address.find(':') + 1).c_str())));
  inet_pton(AF_INET, address.substr(0, address.find(':')).c_str(), &sa.sin_addr);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    std::perror("connect");
    return 1;
  }
  std::mt19937_64 rng(7);
  auto datagram = [&](double now) {
    uint64_t a = rng(), b = rng(), c = rng();
    return absl::StrFormat(
        "{\"format\":\"json\",\"version\":1}\n"
        "{\"trace_id\":\"1-%08x-%016x%08x\",\"id\":\"%016x\",\"name\":\"backend-node\",\"start_time\":%.6f,"
        "\"end_time\":%.6f,\"origin\":\"AWS::EC2::Instance\",\"http\":{\"request\":{\"method\":\"GET\","
        "\"url\":\"http://127.0.0.1:3000/api/activities/home\",\"client_ip\":\"127.0.0.1\"},\"response\":"
        "{\"status\":200,\"content_length\":512}},\"annotations\":{\"user_handle\":\"andrewbrown\",\"result_count\":%d},"
        "\"aws\":{\"xray\":{\"sdk\":\"X-Ray for Node.js\",\"sdk_version\":\"3.12.0\"}},\"subsegments\":["
        "{\"id\":\"%016x\",\"name\":\"home-activities\",\"start_time\":%.6f,\"end_time\":%.6f,"
        "\"metadata\":{\"default\":{\"count\":%d}}},"
        "{\"id\":\"%016x\",\"name\":\"DynamoDB\",\"namespace\":\"aws\",\"start_time\":%.6f,\"end_time\":%.6f,"
        "\"aws\":{\"operation\":\"Query\",\"table_name\":\"activities\"}}]}",
        static_cast<uint32_t>(now), a, static_cast<uint32_t>(b), c, now, now + 0.012, static_cast<int>(a % 20), b, now + 0.001,
        now + 0.006, static_cast<int>(c % 50), a ^ c, now + 0.006, now + 0.011);
  };
  constexpr int kBatch = 64;
  const auto start = std::chrono::steady_clock::now();
  uint64_t sent = 0;
  while (true) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed >= seconds) break;
    const uint64_t due = static_cast<uint64_t>(elapsed * rate);
    if (sent >= due) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    const int n = static_cast<int>(std::min<uint64_t>(kBatch, due - sent));
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::vector<std::string> payloads;
    std::vector<iovec> iov(n);
    std::vector<mmsghdr> messages(n);
    for (int i = 0; i < n; ++i) payloads.push_back(datagram(now));
    for (int i = 0; i < n; ++i) {
      iov[i] = {payloads[i].data(), payloads[i].size()};
      messages[i] = {};
      messages[i].msg_hdr.msg_iov = &iov[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    int done = sendmmsg(fd, messages.data(), n, 0);
    if (done > 0) sent += static_cast<uint64_t>(done);
  }
  std::printf("%llu\n", static_cast<unsigned long long>(sent));
  return 0;
}
