#include "env/frozen.h"

#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "env/testing.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;

class FrozenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = base::TempDir::create("graft-frozen-");
    ASSERT_TRUE(dir);
    dir_ = std::make_unique<base::TempDir>(std::move(*dir));
    prefix_ = dir_->path() / "env";
    fs::create_directories(prefix_ / "conda-meta");
  }
  std::unique_ptr<base::TempDir> dir_;
  fs::path prefix_;
};

TEST_F(FrozenTest, AnEnvironmentWithoutTheMarkerIsNotFrozen) {
  EXPECT_EQ(frozen_marker(prefix_), prefix_ / "conda-meta/frozen");
  EXPECT_FALSE(frozen_reason(prefix_));
  EXPECT_TRUE(check_not_frozen(prefix_, false));
  EXPECT_FALSE(frozen_reason(dir_->path() / "absent"));
}

TEST_F(FrozenTest, FreezeWritesTheMessageAndUnfreezeRemovesIt) {
  ASSERT_TRUE(freeze(prefix_, "baseline of \"exp-7\""));
  EXPECT_EQ(testing::read_text(frozen_marker(prefix_)),
            "{\"message\":\"baseline of \\\"exp-7\\\"\"}\n");
  EXPECT_EQ(frozen_reason(prefix_), "baseline of \"exp-7\"");
  ASSERT_TRUE(freeze(prefix_, ""));  // freezing again replaces the message
  EXPECT_EQ(testing::read_text(frozen_marker(prefix_)), "{}\n");
  EXPECT_EQ(frozen_reason(prefix_), "");
  ASSERT_TRUE(unfreeze(prefix_));
  EXPECT_FALSE(fs::exists(frozen_marker(prefix_)));
  EXPECT_TRUE(unfreeze(prefix_));  // already unfrozen is fine
}

TEST_F(FrozenTest, MarkersWrittenByOthersCountAsFrozen) {
  // CEP 22: the file may be empty, or JSON with an optional message; anything else still
  // protects the environment (fail closed).
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"{}", ""},
      {R"({"message": "release 2.1"})", "release 2.1"},
      {R"({"message": 42})", ""},
      {"not json at all", ""}};
  for (const auto& [content, reason] : cases) {
    testing::write_text(frozen_marker(prefix_), content);
    EXPECT_EQ(frozen_reason(prefix_), reason) << content;
  }
}

TEST_F(FrozenTest, CheckRefusesWithTheReasonUnlessOverridden) {
  ASSERT_TRUE(freeze(prefix_, "baseline"));
  auto refused = check_not_frozen(prefix_, false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(refused.error().message(),
            "environment '" + prefix_.string() + "' is frozen: baseline");
  EXPECT_NE(refused.error().hint().find("--override-frozen"), std::string::npos);
  EXPECT_TRUE(check_not_frozen(prefix_, true));

  ASSERT_TRUE(freeze(prefix_, ""));
  EXPECT_EQ(check_not_frozen(prefix_, false).error().message(),
            "environment '" + prefix_.string() + "' is frozen: it is protected from changes");
}

TEST_F(FrozenTest, FreezingSomethingThatIsNotAnEnvironmentFails) {
  const fs::path not_env = dir_->path() / "plain";
  fs::create_directories(not_env);
  auto frozen = freeze(not_env, "x");
  ASSERT_FALSE(frozen);
  EXPECT_EQ(frozen.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(frozen.error().message(),
            "'" + not_env.string() + "' is not an environment: it has no conda-meta directory");
  EXPECT_FALSE(fs::exists(not_env / "conda-meta"));
}

}  // namespace
}  // namespace graft::env
