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

TEST(ApiKeysTest, ParsesTeams) {
  auto key = ParseApiKeyFlag("abc:query:payments");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->secret, "abc");
  EXPECT_EQ(key->scope, KeyScope::kQuery);
  EXPECT_EQ(key->team, "payments");
  EXPECT_EQ(ParseApiKeyFlag("abc")->team, kDefaultTeam);
  EXPECT_EQ(ParseApiKeyFlag("abc:ingest")->team, kDefaultTeam);
  // A colon inside a key is kept when a scope follows it.
  EXPECT_EQ(ParseApiKeyFlag("a:b:all")->secret, "a:b");
  EXPECT_EQ(ParseApiKeyFlag("a:b:all:t1")->secret, "a:b");
  EXPECT_FALSE(ParseApiKeyFlag("abc:query:../etc").ok());
  EXPECT_FALSE(ParseApiKeyFlag("abc:query:-x").ok());
  EXPECT_FALSE(ParseApiKeyFlag("abc:query:").ok());
  EXPECT_FALSE(ParseApiKeyFlag("abc:all:query").ok());  // a team named like a scope
  EXPECT_FALSE(ParseApiKeyFlag(":query:team").ok());
  EXPECT_FALSE(IsValidTeamName(std::string(65, 'a')));
  EXPECT_TRUE(IsValidTeamName(std::string(64, 'a')));
  EXPECT_TRUE(IsValidTeamName("team_2-b"));
}

TEST(ApiKeysTest, FindsTheTeamOfAKey) {
  ApiKeyRegistry keys({{"a-key", KeyScope::kAll, "a"}, {"b-key", KeyScope::kQuery, "b"}, {"d-key", KeyScope::kAll}});
  EXPECT_EQ(keys.TeamOf("a-key"), "a");
  EXPECT_EQ(keys.TeamOf("b-key"), "b");
  EXPECT_EQ(keys.TeamOf("d-key"), std::string(kDefaultTeam));
  EXPECT_EQ(keys.TeamOf("b-ke"), std::nullopt);
  EXPECT_EQ(keys.TeamOf(""), std::nullopt);
  EXPECT_EQ(keys.TeamOf(std::nullopt), std::nullopt);
}

TEST(ApiKeysTest, ATeamWithoutKeysIsClosedWhenOthersHaveKeys) {
  ApiKeyRegistry team({}, /*open=*/false);
  EXPECT_FALSE(team.open());
  EXPECT_EQ(team.Check(std::nullopt, KeyScope::kQuery).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(team.Check("other-teams-key", KeyScope::kQuery).code(), absl::StatusCode::kUnauthenticated);
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
