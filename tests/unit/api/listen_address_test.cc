#include "api/listen_address.h"

#include <gtest/gtest.h>

namespace waggle::api {
namespace {

TEST(ListenAddressTest, Parses) {
  auto a = ParseListenAddress("127.0.0.1:4318", "--http");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 4318);
  EXPECT_TRUE(a->IsLoopback());
  auto v6 = ParseListenAddress("[::1]:0", "--grpc");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->ToString(), "[::1]:0");
  EXPECT_TRUE(v6->IsLoopback());
  EXPECT_FALSE(ParseListenAddress("0.0.0.0:4318", "--http")->IsLoopback());
}

TEST(ListenAddressTest, ErrorsSayWhatIsWrong) {
  for (const char* bad : {"4318", "host:", "host:99999", "::1:4318", ":4318"}) {
    auto a = ParseListenAddress(bad, "--http");
    EXPECT_FALSE(a.ok()) << bad;
    EXPECT_NE(std::string(a.status().message()).find("--http"), std::string::npos);
  }
}

}  // namespace
}  // namespace waggle::api
