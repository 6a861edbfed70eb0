#include "auth/api_keys.h"

#include <gtest/gtest.h>

namespace waggle::auth {
namespace {

TEST(ApiKeysTest, ParsesScopes) {
  EXPECT_EQ(auth::ParseApiKeyFlag("abc")->scope, auth::KeyScope::kAll);
  EXPECT_EQ(auth::ParseApiKeyFlag("abc:ingest")->scope, auth::KeyScope::kIngest);
  EXPECT_EQ(auth::ParseApiKeyFlag("abc:query")->secret, "abc");
  EXPECT_FALSE(auth::ParseApiKeyFlag("abc:admin").ok());
  EXPECT_FALSE(auth::ParseApiKeyFlag(":query").ok());
}

TEST(ApiKeysTest, ParsesTeams) {
  auto key = auth::ParseApiKeyFlag("abc:query:payments");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->secret, "abc");
  EXPECT_EQ(key->scope, auth::KeyScope::kQuery);
  EXPECT_EQ(key->team, "payments");
  EXPECT_EQ(auth::ParseApiKeyFlag("abc")->team, kDefaultTeam);
  EXPECT_EQ(auth::ParseApiKeyFlag("abc:ingest")->team, kDefaultTeam);
  // A colon inside a key is kept when a scope follows it.
  EXPECT_EQ(auth::ParseApiKeyFlag("a:b:all")->secret, "a:b");
  EXPECT_EQ(auth::ParseApiKeyFlag("a:b:all:t1")->secret, "a:b");
  EXPECT_FALSE(auth::ParseApiKeyFlag("abc:query:../etc").ok());
  EXPECT_FALSE(auth::ParseApiKeyFlag("abc:query:-x").ok());
  EXPECT_FALSE(auth::ParseApiKeyFlag("abc:query:").ok());
  EXPECT_FALSE(auth::ParseApiKeyFlag("abc:all:query").ok());  // a team named like a scope
  EXPECT_FALSE(auth::ParseApiKeyFlag(":query:team").ok());
  EXPECT_FALSE(IsValidTeamName(std::string(65, 'a')));
  EXPECT_TRUE(IsValidTeamName(std::string(64, 'a')));
  EXPECT_TRUE(IsValidTeamName("team_2-b"));
}

TEST(ApiKeysTest, FindsTheTeamOfAKey) {
  auth::ApiKeyRegistry keys({{"a-key", auth::KeyScope::kAll, "a"}, {"b-key", auth::KeyScope::kQuery, "b"}, {"d-key", auth::KeyScope::kAll}});
  EXPECT_EQ(keys.TeamOf("a-key"), "a");
  EXPECT_EQ(keys.TeamOf("b-key"), "b");
  EXPECT_EQ(keys.TeamOf("d-key"), std::string(kDefaultTeam));
  EXPECT_EQ(keys.TeamOf("b-ke"), std::nullopt);
  EXPECT_EQ(keys.TeamOf(""), std::nullopt);
  EXPECT_EQ(keys.TeamOf(std::nullopt), std::nullopt);
}

TEST(ApiKeysTest, ATeamWithoutKeysIsClosedWhenOthersHaveKeys) {
  auth::ApiKeyRegistry team({}, /*open=*/false);
  EXPECT_FALSE(team.open());
  EXPECT_EQ(team.Check(std::nullopt, auth::KeyScope::kQuery).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(team.Check("other-teams-key", auth::KeyScope::kQuery).code(), absl::StatusCode::kUnauthenticated);
}

TEST(ApiKeysTest, OpenWhenNoKeys) {
  auth::ApiKeyRegistry keys({});
  EXPECT_TRUE(keys.open());
  EXPECT_TRUE(keys.Check(std::nullopt, auth::KeyScope::kIngest).ok());
}

TEST(ApiKeysTest, ChecksKeyAndScope) {
  auth::ApiKeyRegistry keys({{"ingest-key", auth::KeyScope::kIngest}, {"query-key", auth::KeyScope::kQuery}, {"both", auth::KeyScope::kAll}});
  EXPECT_TRUE(keys.Check("ingest-key", auth::KeyScope::kIngest).ok());
  EXPECT_TRUE(keys.Check("both", auth::KeyScope::kQuery).ok());
  EXPECT_EQ(keys.Check(std::nullopt, auth::KeyScope::kIngest).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(keys.Check("", auth::KeyScope::kIngest).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(keys.Check("ingest-ke", auth::KeyScope::kIngest).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(keys.Check("ingest-keyy", auth::KeyScope::kIngest).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(keys.Check("ingest-key", auth::KeyScope::kQuery).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(keys.Check("query-key", auth::KeyScope::kIngest).code(), absl::StatusCode::kPermissionDenied);
  // Changes that need both scopes (X-Ray groups and rules) take only an `all` key.
  EXPECT_EQ(keys.Check("query-key", auth::KeyScope::kAll).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(keys.Check("ingest-key", auth::KeyScope::kAll).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(keys.Check("both", auth::KeyScope::kAll).ok());
}

}  // namespace
}  // namespace waggle::auth
