// Crash safety and cache sharing of create / install with the real binary: SIGKILL at
// random moments must leave every environment absent, unchanged or complete, never let a
// half-extracted package pass as valid, and never break the next command; two creates at
// once share one package cache.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <random>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kTrials = 20;

class CrashTest : public ChannelTest {
 protected:
  void SetUp() override {
    ChannelTest::SetUp();
    add_noarch_package(channel_, "model", "1.0", many_files("model", 800));
    add_noarch_package(channel_, "extra", "1.0", many_files("extra", 800));
  }

  static std::map<std::string, std::string> many_files(const std::string& name, int count) {
    std::map<std::string, std::string> files;
    for (int i = 0; i < count; ++i) {
      files["share/" + name + "/d" + std::to_string(i % 16) + "/f" + std::to_string(i)] =
          std::string(200 + i % 300, 'a' + i % 26);
    }
    return files;
  }

  // Runs `words` once to the end and returns how long it took.
  std::chrono::microseconds timed(const std::vector<std::string>& words) const {
    const auto start = Clock::now();
    e2e::Run ran = verb(words);
    EXPECT_EQ(ran.exit_code, 0) << ran.err;
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  }

  // Starts `words`, kills it with SIGKILL after `delay`, reaps it.
  void kill_after(const std::vector<std::string>& words, std::chrono::microseconds delay) const {
    const pid_t pid = start_graft(args(words), home_);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(delay);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }

  // `graft verify` of an environment: every recorded file present and unmodified.
  void expect_verified(const std::string& name, int trial) const {
    e2e::Run verified =
        graft({"verify", "--root-prefix", root_.string(), "-n", name}, dir_, {"HOME=" + home_.string()});
    EXPECT_EQ(verified.exit_code, 0) << "trial " << trial << ": " << verified.out << verified.err;
  }

};

TEST_F(CrashTest, CreateKilledAtAnyMomentLeavesNothingOrAWholeEnvironment) {
  const auto full = timed({"create", "-n", "reference", "model"});
  const std::vector<std::string> whole = listing(root_ / "envs/reference");
  std::mt19937 random(3);
  std::uniform_int_distribution<std::int64_t> moment(0, full.count() * 6 / 5);
  int absent = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    fs::remove_all(root_ / "pkgs");  // every trial downloads and extracts again
    kill_after({"create", "-n", "b", "model"}, std::chrono::microseconds(moment(random)));
    const fs::path b = root_ / "envs/b";
    if (fs::exists(b)) {
      EXPECT_EQ(listing(b), whole) << "trial " << trial << ": a half-made environment is visible";
    } else {
      ++absent;
    }
    // The next command takes what the killed one left in the cache and must get it right.
    fs::remove_all(b);
    e2e::Run next = verb({"create", "-n", "b", "model"});
    ASSERT_EQ(next.exit_code, 0) << "trial " << trial << ": " << next.err;
    EXPECT_EQ(listing(b), whole) << "trial " << trial << ": a half-extracted package was used";
    expect_verified("b", trial);
    fs::remove_all(b);
  }
  EXPECT_GT(absent, 0) << "no kill landed before the commit; the test proves nothing";
}

TEST_F(CrashTest, InstallKilledAtAnyMomentLeavesTheEnvironmentUnchangedOrComplete) {
  ASSERT_EQ(verb({"create", "-n", "reference", "model"}).exit_code, 0);
  const auto full = timed({"install", "-n", "reference", "extra"});
  const std::vector<std::string> complete = listing(root_ / "envs/reference");
  std::mt19937 random(4);
  std::uniform_int_distribution<std::int64_t> moment(0, full.count() * 6 / 5);
  int unchanged = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    fs::remove_all(root_ / "envs/b");
    ASSERT_EQ(verb({"create", "-n", "b", "model"}).exit_code, 0);
    fs::remove_all(root_ / "pkgs/extra-1.0-0");
    kill_after({"install", "-n", "b", "extra"}, std::chrono::microseconds(moment(random)));
    // Records are written last: whatever the moment, every recorded file is in place.
    expect_verified("b", trial);
    const bool has_extra = fs::exists(root_ / "envs/b/conda-meta/extra-1.0-0.json");
    if (!has_extra) ++unchanged;
    e2e::Run next = verb({"install", "-n", "b", "extra"});
    ASSERT_EQ(next.exit_code, 0) << "trial " << trial << ": " << next.err;
    EXPECT_EQ(listing(root_ / "envs/b"), complete) << "trial " << trial;
    expect_verified("b", trial);
  }
  EXPECT_GT(unchanged, 0) << "no kill landed before the records; the test proves nothing";
}

TEST_F(CrashTest, TwoCreatesAtOnceShareOneCache) {
  const auto home = home_;
  for (int round = 0; round < 3; ++round) {
    fs::remove_all(root_ / "pkgs");
    fs::remove_all(root_ / "envs");
    const pid_t first = start_graft(args({"create", "-n", "x", "model", "extra"}), home);
    const pid_t second = start_graft(args({"create", "-n", "y", "model", "extra"}), home);
    ASSERT_GT(first, 0);
    ASSERT_GT(second, 0);
    int first_status = 0;
    int second_status = 0;
    ::waitpid(first, &first_status, 0);
    ::waitpid(second, &second_status, 0);
    ASSERT_TRUE(WIFEXITED(first_status) && WEXITSTATUS(first_status) == 0) << "round " << round;
    ASSERT_TRUE(WIFEXITED(second_status) && WEXITSTATUS(second_status) == 0) << "round " << round;
    expect_verified("x", round);
    expect_verified("y", round);
    // Both link the one extracted copy: the files are the same inode.
    const fs::path file = "share/model/d0/f0";
    EXPECT_TRUE(fs::equivalent(root_ / "envs/x" / file, root_ / "envs/y" / file)) << round;
  }
}

}  // namespace
}  // namespace graft::e2e
