// The create / install / clone pipeline driven without the CLI: a local channel built in
// the test, the review callback deciding, nothing printed.
#include "env/operation.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include <gtest/gtest.h>

#include "conda/channel_index.h"
#include "env/prefix_data.h"
#include "env/testing.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using testing::ScratchTest;

class OperationTest : public ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    // The settings read the process environment: point HOME (condarc, environments.txt)
    // into the scratch directory for the test's length.
    if (const char* home = std::getenv("HOME")) saved_home_ = home;
    ::setenv("HOME", (dir_->path() / "home").c_str(), 1);
    const fs::path channel = dir_->path() / "channel";
    fs::create_directories(channel / "noarch");
    pack("libbase", "1.0", {});
    pack("app", "1.0", {"libbase"});
    pack("app", "2.0", {"libbase"});
    ASSERT_TRUE(conda::index_channel({.channel_dir = channel, .threads = 1}));
    channel_url_ = "file://" + channel.string();
  }

  void TearDown() override {
    if (saved_home_) {
      ::setenv("HOME", saved_home_->c_str(), 1);
    } else {
      ::unsetenv("HOME");
    }
  }

  void pack(const std::string& name, const std::string& version, std::vector<std::string> depends) {
    conda::PackOptions options{.source_dir = dir_->path() / ("src-" + name + version),
                               .name = name,
                               .version = version,
                               .depends = std::move(depends),
                               .noarch = conda::NoarchKind::kGeneric,
                               .output_dir = dir_->path() / "channel" / "noarch",
                               .timestamp_ms = 1700000000000};
    testing::write_text(options.source_dir / "share" / (name + ".txt"), name + " " + version);
    ASSERT_TRUE(conda::pack_package(options));
  }

  ChangeRequest request(Action action, const std::string& env, std::vector<std::string> specs) {
    return {.action = action,
            .path = (dir_->path() / env).string(),
            .root_prefix = (dir_->path() / "root").string(),
            .channels = {.channels = {channel_url_}, .override_channels = true},
            .specs = std::move(specs),
            .command_line = "test"};
  }

  // Gathers, solves and carries out `change_request`, letting `verdict` decide at review.
  Result<Outcome> run(const ChangeRequest& change_request, Verdict verdict) {
    GRAFT_ASSIGN_OR_RETURN(Context context, gather(change_request));
    GRAFT_ASSIGN_OR_RETURN(store::PackageCache cache,
                           store::PackageCache::open(context.settings.pkgs_dirs));
    GRAFT_ASSIGN_OR_RETURN(Change change, solve_change(change_request, context, cache));
    return carry_out(change_request, context, cache, change, {.review = [&](const Plan& plan) {
                       reviewed_ = plan.nothing_to_do ? std::vector<std::string>{"nothing"}
                                                      : linked(*plan.transaction);
                       return verdict;
                     }});
  }

  static std::vector<std::string> linked(const solve::Transaction& transaction) {
    std::vector<std::string> names;
    for (const auto& record : transaction.link) names.push_back(record.name + "-" + record.version);
    return names;
  }

  std::vector<std::string> installed(const std::string& env) {
    auto records = load_records(dir_->path() / env);
    EXPECT_TRUE(records) << (records ? "" : records.error().message());
    std::vector<std::string> names;
    if (records) {
      for (const auto& record : *records) names.push_back(record.name + "-" + record.version);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::optional<std::string> saved_home_;
  std::string channel_url_;
  std::vector<std::string> reviewed_;
};

TEST_F(OperationTest, CreateShowsThePlanThenLinksWhenTheReviewProceeds) {
  auto outcome = run(request(Action::kCreate, "a", {"app=1.0"}), Verdict::kProceed);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_TRUE(outcome->applied);
  EXPECT_EQ(reviewed_, (std::vector<std::string>{"libbase-1.0", "app-1.0"}));
  EXPECT_EQ(installed("a"), (std::vector<std::string>{"app-1.0", "libbase-1.0"}));
  EXPECT_TRUE(fs::exists(dir_->path() / "home" / ".conda" / "environments.txt"));
}

TEST_F(OperationTest, ACancelledReviewChangesNothing) {
  auto outcome = run(request(Action::kCreate, "a", {"app"}), Verdict::kCancel);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(outcome.error().message(), "cancelled: nothing was changed");
  EXPECT_FALSE(fs::exists(dir_->path() / "a" / "conda-meta"));
}

TEST_F(OperationTest, AStoppedReviewIsADryRun) {
  auto outcome = run(request(Action::kCreate, "a", {"app"}), Verdict::kStop);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_FALSE(outcome->applied);
  EXPECT_EQ(reviewed_, (std::vector<std::string>{"libbase-1.0", "app-2.0"}));
  EXPECT_FALSE(fs::exists(dir_->path() / "a" / "conda-meta"));
}

TEST_F(OperationTest, InstallingWhatIsInstalledHasNothingToDo) {
  ASSERT_TRUE(run(request(Action::kCreate, "a", {"app=1.0"}), Verdict::kProceed));
  auto outcome = run(request(Action::kInstall, "a", {"app=1.0"}), Verdict::kProceed);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_FALSE(outcome->applied);
  EXPECT_EQ(reviewed_, (std::vector<std::string>{"nothing"}));
  auto update = run(request(Action::kUpdate, "a", {"app"}), Verdict::kProceed);
  ASSERT_TRUE(update) << update.error().message();
  EXPECT_EQ(installed("a"), (std::vector<std::string>{"app-2.0", "libbase-1.0"}));
}

TEST_F(OperationTest, CloneCopiesTheSourceWithoutSolving) {
  ASSERT_TRUE(run(request(Action::kCreate, "a", {"app=1.0"}), Verdict::kProceed));
  ChangeRequest clone = request(Action::kCreate, "b", {});
  clone.clone = (dir_->path() / "a").string();
  auto context = gather(clone);
  ASSERT_TRUE(context) << context.error().message();
  auto source_prefix = clone_source_prefix(clone, *context);
  ASSERT_TRUE(source_prefix) << source_prefix.error().message();
  auto source = read_clone_source(*source_prefix);
  ASSERT_TRUE(source) << source.error().message();
  auto cache = store::PackageCache::open(context->settings.pkgs_dirs);
  ASSERT_TRUE(cache);
  auto change = clone_change(clone, *context, *cache, *source);
  ASSERT_TRUE(change) << change.error().message();
  EXPECT_EQ(change->added_specs, (std::vector<std::string>{"app=1.0"}));
  auto outcome = carry_out(clone, *context, *cache, *change, {});
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_EQ(installed("b"), installed("a"));

  ChangeRequest inside = request(Action::kCreate, "a/nested", {});
  inside.clone = (dir_->path() / "a").string();
  auto nested_context = gather(inside);
  ASSERT_TRUE(nested_context) << nested_context.error().message();
  auto refused = clone_source_prefix(inside, *nested_context);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace graft::env
