#include "common/units.h"

#include <gtest/gtest.h>

namespace waggle {
namespace {

TEST(UnitsTest, Durations) {
  EXPECT_EQ(*ParseDuration("7d", "--retention"), std::chrono::hours(168));
  EXPECT_EQ(*ParseDuration("12h", "--retention"), std::chrono::hours(12));
  EXPECT_EQ(*ParseDuration("250ms", "--x"), std::chrono::milliseconds(250));
  EXPECT_EQ(*ParseDuration(" 30m ", "--x"), std::chrono::minutes(30));
  for (const char* bad : {"", "d", "7", "7 days", "-1d", "1.5h"}) {
    auto parsed = ParseDuration(bad, "--retention");
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(std::string(parsed.status().message()).find("--retention"), std::string::npos);
  }
}

TEST(UnitsTest, Sizes) {
  EXPECT_EQ(*ParseByteSize("50GiB", "--max-disk"), 50ull << 30);
  EXPECT_EQ(*ParseByteSize("64MiB", "--max-disk"), 64ull << 20);
  EXPECT_EQ(*ParseByteSize("1GB", "--max-disk"), 1000000000ull);
  EXPECT_EQ(*ParseByteSize("4096", "--max-disk"), 4096ull);
  for (const char* bad : {"", "GiB", "5 PiB", "-3MiB", "99999999999999999TiB"}) {
    EXPECT_FALSE(ParseByteSize(bad, "--max-disk").ok()) << bad;
  }
}

}  // namespace
}  // namespace waggle
