#include "common/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace waggle {
namespace {

TEST(JsonWriterTest, WritesWhatAJsonParserReadsBack) {
  std::string out;
  JsonWriter w(&out);
  const std::string tricky = std::string("quote \" backslash \\ newline \n tab \t nul ") + '\0' + " \x1f é 漢 😀";
  w.BeginObject().Key("s").String(tricky).Key("i").Int(-42).Key("d").Double(0.1).Key("whole").Double(3)
      .Key("huge").Double(1e300).Key("nan").Double(std::nan("")).Key("b").Bool(true)
      .Key("a").BeginArray().Int(1).BeginObject().EndObject().BeginArray().EndArray().String("x").EndArray()
      .Key("empty").BeginObject().EndObject().EndObject();
  const auto doc = nlohmann::json::parse(out);
  EXPECT_EQ(doc["s"].get<std::string>(), tricky);
  EXPECT_EQ(doc["i"].get<int64_t>(), -42);
  EXPECT_DOUBLE_EQ(doc["d"].get<double>(), 0.1);
  EXPECT_TRUE(doc["whole"].is_number_float()) << out;
  EXPECT_DOUBLE_EQ(doc["huge"].get<double>(), 1e300);
  EXPECT_TRUE(doc["nan"].is_null());
  EXPECT_EQ(doc["a"].dump(), R"([1,{},[],"x"])");
  EXPECT_TRUE(doc["empty"].is_object());
}

TEST(JsonWriterTest, ReplacesInvalidUtf8) {
  for (const std::string& bad : {std::string("a\xff" "b"), std::string("\xc3"), std::string("\xe2\x82"),
                                std::string("\xed\xa0\x80"), std::string("\xc0\xaf"), std::string("\xf4\x90\x80\x80x")}) {
    std::string out;
    AppendJsonString(&out, bad);
    const auto parsed = nlohmann::json::parse(out);  // throws on invalid UTF-8
    EXPECT_NE(parsed.get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);
  }
}

}  // namespace
}  // namespace waggle
