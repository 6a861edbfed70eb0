#include "model/ids.h"

#include <gtest/gtest.h>

namespace waggle::model {

TEST(TraceIdTest, HexRoundTrip) {
  auto id = TraceId::FromHex("5759E988BD862E3FE1BE46A994272793");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->ToHex(), "5759e988bd862e3fe1be46a994272793");
  EXPECT_FALSE(id->IsZero());
}

TEST(TraceIdTest, RejectsWrongLengthOrDigits) {
  EXPECT_FALSE(TraceId::FromHex("5759e988bd862e3fe1be46a99427279"));
  EXPECT_FALSE(TraceId::FromHex("5759e988bd862e3fe1be46a9942727zz"));
  EXPECT_FALSE(SpanId::FromBytes("short"));
  EXPECT_TRUE(SpanId::FromHex("0000000000000000")->IsZero());
}

TEST(HexTest, DecodeRejectsOddLength) {
  EXPECT_FALSE(HexDecode("abc"));
  EXPECT_EQ(*HexDecode("00ff"), std::string("\x00\xff", 2));
}

}  // namespace waggle::model
