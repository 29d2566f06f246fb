#include "env/run_plan.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "env/testing.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;

class RunPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = base::TempDir::create("graft-run-");
    ASSERT_TRUE(dir);
    dir_ = std::make_unique<base::TempDir>(std::move(*dir));
    prefix_ = dir_->path() / "env";
    fs::create_directories(prefix_ / "conda-meta");
    testing::write_text(prefix_ / "bin/tool", "#!/bin/sh\n");
    fs::permissions(prefix_ / "bin/tool", fs::perms(0755));
  }
  RunRequest request(std::vector<std::string> command) {
    return {.prefix = prefix_, .display_name = "ml", .command = std::move(command),
            .base_environment = {{"PATH", "/usr/bin:/bin"}, {"KEEP", "1"}}};
  }
  std::unique_ptr<base::TempDir> dir_;
  fs::path prefix_;
};

TEST_F(RunPlanTest, ActivatesThePrefix) {
  testing::write_text(prefix_ / "conda-meta/state", R"({"env_vars": {"MODEL": "bert", "N": "2"}})");
  auto plan = plan_run(request({"tool", "--flag"}));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->argv, (std::vector<std::string>{(prefix_ / "bin/tool").string(), "--flag"}));
  EXPECT_EQ(plan->environment.at("PATH"), prefix_.string() + "/bin:/usr/bin:/bin");
  EXPECT_EQ(plan->environment.at("CONDA_PREFIX"), prefix_.string());
  EXPECT_EQ(plan->environment.at("CONDA_DEFAULT_ENV"), "ml");
  EXPECT_EQ(plan->environment.at("MODEL"), "bert");
  EXPECT_EQ(plan->environment.at("N"), "2");
  EXPECT_EQ(plan->environment.at("KEEP"), "1");
}

TEST_F(RunPlanTest, ActivationScriptsRunThroughSh) {
  testing::write_text(prefix_ / "etc/conda/activate.d/b.sh", "export B=1\n");
  testing::write_text(prefix_ / "etc/conda/activate.d/a.sh", "export A=1\n");
  auto plan = plan_run(request({"tool", "x"}));
  ASSERT_TRUE(plan);
  const std::string activate = (prefix_ / "etc/conda/activate.d").string();
  EXPECT_EQ(plan->argv, (std::vector<std::string>{
                            "/bin/sh", "-c",
                            ". " + activate + "/a.sh\n. " + activate + "/b.sh\nexec \"$@\"\n",
                            "graft-run", "tool", "x"}));
}

TEST_F(RunPlanTest, Errors) {
  auto missing = plan_run(request({"no-such-command-xyz"}));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "command 'no-such-command-xyz' not found in the environment or on PATH");
  EXPECT_FALSE(plan_run(request({})));
  testing::write_text(prefix_ / "conda-meta/state", "{not json");
  auto corrupt = plan_run(request({"tool"}));
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().code(), ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace graft::env
