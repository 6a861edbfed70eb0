#include "xray/sigv4.h"

#include <gtest/gtest.h>

#include <map>

namespace waggle::xray {
namespace {

// AWS's Signature Version 4 test suite, "get-vanilla": GET / on example.amazonaws.com,
// service "service", signed at 20150830T123600Z with the documentation's example secret.
TEST(SigV4, MatchesAwsTestSuiteGetVanilla) {
  std::map<std::string, std::string> headers = {{"host", "example.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}};
  SigV4Request request{"GET", "/", [&](std::string_view name) -> std::optional<std::string> {
                         auto it = headers.find(std::string(name));
                         if (it == headers.end()) return std::nullopt;
                         return it->second;
                       },
                       ""};
  const std::string canonical = SigV4CanonicalRequest(request, {"host", "x-amz-date"}, Sha256Hex(""));
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string string_to_sign =
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" + Sha256Hex(canonical);
  EXPECT_EQ(SigV4Signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "service", string_to_sign),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

class SignedRequest {
 public:
  SignedRequest(std::string secret, std::string date, std::string body) : body_(std::move(body)) {
    headers_ = {{"host", "127.0.0.1:4318"}, {"content-type", "application/json"}, {"x-amz-date", date}};
    SigV4Request unsigned_request = Request();
    std::string canonical = SigV4CanonicalRequest(unsigned_request, {"content-type", "host", "x-amz-date"}, Sha256Hex(body_));
    std::string scope = date.substr(0, 8) + "/us-east-1/xray/aws4_request";
    std::string signature = SigV4Signature(secret, date.substr(0, 8), "us-east-1", "xray",
                                           "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + Sha256Hex(canonical));
    headers_["authorization"] = "AWS4-HMAC-SHA256 Credential=AKID/" + scope +
                                ", SignedHeaders=content-type;host;x-amz-date, Signature=" + signature;
  }
  SigV4Request Request() const {
    return {"POST", "/TraceSummaries", [this](std::string_view name) -> std::optional<std::string> {
              auto it = headers_.find(std::string(name));
              if (it == headers_.end()) return std::nullopt;
              return it->second;
            },
            body_};
  }
  std::map<std::string, std::string> headers_;
  std::string body_;
};

TEST(SigV4, VerifiesAndNamesEachFailure) {
  const std::vector<AwsAccessKey> keys = {{"AKID", "secret"}};
  const int64_t now = 1795485485;  // 2026-11-24T01:58:05Z
  const std::string date = "20261124T015805Z";
  SignedRequest good("secret", date, R"({"StartTime":1})");
  EXPECT_EQ(VerifySigV4(good.Request(), keys, now), std::nullopt);

  SignedRequest wrong_secret("nope", date, "{}");
  EXPECT_EQ(VerifySigV4(wrong_secret.Request(), keys, now)->code, "InvalidSignatureException");

  SignedRequest tampered = good;
  tampered.body_ = R"({"StartTime":2})";
  EXPECT_EQ(VerifySigV4(tampered.Request(), keys, now)->code, "InvalidSignatureException");

  EXPECT_NE(VerifySigV4(good.Request(), keys, now + 16 * 60)->message.find("expired"), std::string::npos);
  EXPECT_EQ(VerifySigV4(good.Request(), {{"OTHER", "secret"}}, now)->code, "UnrecognizedClientException");

  SignedRequest unsigned_request = good;
  unsigned_request.headers_.erase("authorization");
  EXPECT_EQ(VerifySigV4(unsigned_request.Request(), keys, now)->code, "MissingAuthenticationTokenException");

  SignedRequest garbled = good;
  garbled.headers_["authorization"] = "AWS4-HMAC-SHA256 Credential=AKID";
  EXPECT_EQ(VerifySigV4(garbled.Request(), keys, now)->code, "IncompleteSignatureException");

  SignedRequest other_service = good;
  auto& auth = other_service.headers_["authorization"];
  auth.replace(auth.find("/xray/"), 6, "/s3/");
  EXPECT_EQ(VerifySigV4(other_service.Request(), keys, now)->code, "InvalidSignatureException");

  SignedRequest declared_hash = good;
  declared_hash.headers_["x-amz-content-sha256"] = Sha256Hex("something else");
  EXPECT_NE(VerifySigV4(declared_hash.Request(), keys, now)->message.find("x-amz-content-sha256"), std::string::npos);
}

TEST(SigV4, ParsesTheFlag) {
  auto key = ParseAwsAccessKeyFlag("AKID:se/cr+et");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->id, "AKID");
  EXPECT_EQ(key->secret, "se/cr+et");
  EXPECT_EQ(key->team, kDefaultTeam);
  key = ParseAwsAccessKeyFlag("AKID:secret:payments");  // a third field is the key's team
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->secret, "secret");
  EXPECT_EQ(key->team, "payments");
  EXPECT_FALSE(ParseAwsAccessKeyFlag("AKID:secret:../x").ok());
  EXPECT_FALSE(ParseAwsAccessKeyFlag("AKID::team").ok());
  EXPECT_FALSE(ParseAwsAccessKeyFlag("AKID").ok());
  EXPECT_FALSE(ParseAwsAccessKeyFlag(":x").ok());
}

TEST(SigV4, FindsTheAccessKeyIdOfAnAuthorization) {
  EXPECT_EQ(SigV4AccessKeyId("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/xray/aws4_request, "
                             "SignedHeaders=host;x-amz-date, Signature=5d672d"),
            "AKIDEXAMPLE");
  EXPECT_EQ(SigV4AccessKeyId("AWS4-HMAC-SHA256 SignedHeaders=host"), std::nullopt);
  EXPECT_EQ(SigV4AccessKeyId("AWS4-HMAC-SHA256 Credential=/2015"), std::nullopt);
  EXPECT_EQ(SigV4AccessKeyId(""), std::nullopt);
}

}  // namespace
}  // namespace waggle::xray
