#include "store/marker_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace waggle::store {
namespace {

TEST(MarkerStoreTest, CreateUpdateDeleteSurviveReopening) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/markers.json";
  std::string first_id;
  {
    auto markers = MarkerStore::Open(path);
    ASSERT_TRUE(markers.ok()) << markers.status();
    Marker deploy;
    deploy.dataset = "api";
    deploy.message = "deploy 42";
    deploy.start_time = 1767225600;
    auto created = (*markers)->Create(deploy);
    ASSERT_TRUE(created.ok()) << created.status();
    first_id = created->id;
    Marker other;
    other.dataset = "web";
    other.message = "incident";
    ASSERT_TRUE((*markers)->Create(other).ok());
    Marker change;
    change.message = "deploy 43";
    ASSERT_TRUE((*markers)->Update("api", first_id, change).ok());
    EXPECT_EQ((*markers)->Update("web", first_id, change).status().code(), absl::StatusCode::kNotFound);
  }
  auto reopened = MarkerStore::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto api = (*reopened)->List("api");
  ASSERT_EQ(api.size(), 1u);
  EXPECT_EQ(api[0].message, "deploy 43");
  EXPECT_EQ(api[0].start_time, 1767225600);
  EXPECT_EQ((*reopened)->List("__all__").size(), 2u);
  ASSERT_TRUE((*reopened)->Delete("api", first_id).ok());
  // A new marker never reuses an id.
  Marker again;
  again.dataset = "api";
  auto created = (*reopened)->Create(again);
  ASSERT_TRUE(created.ok());
  EXPECT_NE(created->id, first_id);
  EXPECT_TRUE((*reopened)->List("api").size() == 1);
}

TEST(MarkerStoreTest, ACorruptFileIsReportedNotIgnored) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/markers.json";
  std::ofstream(path) << "{not json";
  auto markers = MarkerStore::Open(path);
  ASSERT_FALSE(markers.ok());
  EXPECT_NE(std::string(markers.status().message()).find("move it aside"), std::string::npos);
}

}  // namespace
}  // namespace waggle::store
