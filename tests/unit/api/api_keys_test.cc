#include "api/api_keys.h"

#include <gtest/gtest.h>

namespace waggle::api {
namespace {

TEST(ApiKeysTest, ParsesScopes) {
  EXPECT_EQ(ParseApiKeyFlag("abc")->scope, KeyScope::kAll);
  EXPECT_EQ(ParseApiKeyFlag("abc:ingest")->scope, KeyScope::kIngest);
  EXPECT_EQ(ParseApiKeyFlag("abc:query")->secret, "abc");
  EXPECT_FALSE(ParseApiKeyFlag("abc:admin").ok());
  EXPECT_FALSE(ParseApiKeyFlag(":query").ok());
}

TEST(ApiKeysTest, OpenWhenNoKeys) {
  ApiKeyRegistry keys({});
  EXPECT_TRUE(keys.open());
  EXPECT_TRUE(keys.Check(std::nullopt, KeyScope::kIngest).ok());
}

TEST(ApiKeysTest, ChecksKeyAndScope) {
  ApiKeyRegistry keys({{"ingest-key", KeyScope::kIngest}, {"query-key", KeyScope::kQuery}, {"both", KeyScope::kAll}});
  EXPECT_TRUE(keys.Check("ingest-key", KeyScope::kIngest).ok());
  EXPECT_TRUE(keys.Check("both", KeyScope::kQuery).ok());
  EXPECT_EQ(keys.Check(std::nullopt, KeyScope::kIngest).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(keys.Check("", KeyScope::kIngest).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(keys.Check("ingest-ke", KeyScope::kIngest).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(keys.Check("ingest-keyy", KeyScope::kIngest).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(keys.Check("ingest-key", KeyScope::kQuery).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(keys.Check("query-key", KeyScope::kIngest).code(), absl::StatusCode::kPermissionDenied);
  // Changes that need both scopes (X-Ray groups and rules) take only an `all` key.
  EXPECT_EQ(keys.Check("query-key", KeyScope::kAll).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(keys.Check("ingest-key", KeyScope::kAll).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(keys.Check("both", KeyScope::kAll).ok());
}

}  // namespace
}  // namespace waggle::api
