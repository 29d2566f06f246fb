// One writer per environment, old-or-new under any interruption, and damaged records, with
// the real binary: two creates of one environment at once leave one of them; a writer waits
// for the lock; an update killed (SIGKILL, SIGTERM, SIGINT) at random moments is rolled
// back or completed by the next command; a broken conda-meta record is named with its
// repair, and `verify --repair` and `install --force-reinstall` put packages back.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/file_lock.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// A graft child with stdout dropped and stderr kept in a file.
struct Child {
  pid_t pid = -1;
  fs::path stderr_path;

  // Waits for the child; its wait status.
  int wait() const {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
  }
};

Child spawn(const std::vector<std::string>& args, const fs::path& home, const fs::path& err) {
  return Child{.pid = start_graft(args, home, err), .stderr_path = err};
}

bool exited_ok(int status) {
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class EnvSafetyTest : public ChannelTest {
 protected:
  // The package records ("pkg-1.0-0.json") in an environment's conda-meta.
  std::vector<std::string> records(const std::string& env) const {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(root_ / "envs" / env / "conda-meta", error)) {
      const std::string name = entry.path().filename().string();
      if (entry.path().extension() == ".json" && name.front() != '.') names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // graft VERB --root-prefix ROOT ARGS... (VERB is two words for "env ...").
  e2e::Run on_env(std::vector<std::string> words) const {
    words.insert(words.begin() + (words[0] == "env" ? 2 : 1), {"--root-prefix", root_.string()});
    return graft(words, dir_, {"HOME=" + home_.string()});
  }
};

TEST_F(EnvSafetyTest, TwoCreatesOfOneEnvironmentAtOnceLeaveOneOfThemWhole) {
  add_noarch_package(channel_, "pkg", "1.0", {{"share/pkg/version", "1\n"}});
  add_noarch_package(channel_, "pkg", "2.0", {{"share/pkg/version", "2\n"}});
  for (int round = 0; round < 4; ++round) {
    fs::remove_all(root_ / "envs/x");
    const Child first = spawn(args({"create", "-n", "x", "pkg=1.0"}), home_, dir_ / "first.err");
    const Child second = spawn(args({"create", "-n", "x", "pkg=2.0"}), home_, dir_ / "second.err");
    const int first_status = first.wait();
    const int second_status = second.wait();
    ASSERT_NE(exited_ok(first_status), exited_ok(second_status))
        << "round " << round << ": exactly one create wins\n"
        << read(first.stderr_path) << read(second.stderr_path);
    const std::string loser =
        read(exited_ok(first_status) ? second.stderr_path : first.stderr_path);
    EXPECT_THAT(loser, HasSubstr("already exists")) << "round " << round;
    const std::vector<std::string> left = records("x");
    ASSERT_EQ(left.size(), 1u) << "round " << round << ": " << ::testing::PrintToString(left);
    EXPECT_EQ(left[0], exited_ok(first_status) ? "pkg-1.0-0.json" : "pkg-2.0-0.json");
    e2e::Run verified = on_env({"verify", "-n", "x"});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  }
}

TEST_F(EnvSafetyTest, ASecondWriterWaitsForTheLock) {
  add_noarch_package(channel_, "pkg", "1.0", {{"share/pkg/version", "1\n"}});
  add_noarch_package(channel_, "pkg", "2.0", {{"share/pkg/version", "2\n"}});
  ASSERT_EQ(verb({"create", "-n", "a", "pkg=1.0"}).exit_code, 0);
  auto taken = base::FileLock::acquire(root_ / "envs/a/conda-meta/.graft-lock",
                                       base::LockMode::kExclusive, std::chrono::milliseconds(0));
  ASSERT_TRUE(taken) << taken.error().message();
  std::optional<base::FileLock> held(std::move(*taken));
  const Child writer = spawn(args({"install", "-n", "a", "pkg=2.0"}), home_, dir_ / "writer.err");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  int status = 0;
  EXPECT_EQ(::waitpid(writer.pid, &status, WNOHANG), 0) << "it waits while the lock is held";
  EXPECT_EQ(records("a"), std::vector<std::string>{"pkg-1.0-0.json"});
  held.reset();
  EXPECT_TRUE(exited_ok(writer.wait())) << read(writer.stderr_path);
  EXPECT_EQ(records("a"), std::vector<std::string>{"pkg-2.0-0.json"});
}

TEST_F(EnvSafetyTest, ABrokenRecordIsNamedWithItsRepairAndVerifyRepairReinstallsIt) {
  add_noarch_package(channel_, "pkg", "1.0", {{"share/pkg/version", "1\n"}});
  add_noarch_package(channel_, "tool", "1.0", {{"share/tool/run", "run\n"}});
  ASSERT_EQ(verb({"create", "-n", "b", "pkg", "tool"}).exit_code, 0);
  const fs::path record = root_ / "envs/b/conda-meta/pkg-1.0-0.json";
  write(record, "{\"name\": \"pkg\", ");
  fs::remove(root_ / "envs/b/share/tool/run");
  for (const auto& words :
       std::vector<std::vector<std::string>>{{"install", "-n", "b", "tool", "-y"},
                                             {"remove", "-n", "b", "pkg", "-y"},
                                             {"list", "-n", "b"},
                                             {"env", "export", "-n", "b"}}) {
    e2e::Run ran = on_env(words);
    EXPECT_NE(ran.exit_code, 0) << words[0];
    EXPECT_THAT(ran.err, HasSubstr(record.string())) << words[0];
    EXPECT_THAT(ran.err, HasSubstr("graft verify --repair -p " + (root_ / "envs/b").string()))
        << words[0];
  }
  e2e::Run verified = on_env({"verify", "-n", "b"});
  EXPECT_EQ(verified.exit_code, 1);
  EXPECT_THAT(verified.out, HasSubstr("corrupt: conda-meta/pkg-1.0-0.json (pkg-1.0-0): "));
  EXPECT_THAT(verified.out, HasSubstr("missing: share/tool/run (tool-1.0-0)\n"));
  EXPECT_THAT(verified.err, HasSubstr("graft verify --repair"));
  e2e::Run repaired = on_env({"verify", "-n", "b", "--repair"});
  ASSERT_EQ(repaired.exit_code, 0) << repaired.out << repaired.err;
  EXPECT_THAT(repaired.out, HasSubstr("reinstalled pkg-1.0-0, tool-1.0-0\n"));
  EXPECT_THAT(repaired.out, HasSubstr("verified 2 files of 2 packages: no drift\n"));
  EXPECT_EQ(read(root_ / "envs/b/share/tool/run"), "run\n");
  EXPECT_EQ(on_env({"list", "-n", "b"}).exit_code, 0);
}

TEST_F(EnvSafetyTest, VerifyRepairRestoresAFileChangedInPlaceThroughItsHardLink) {
  add_noarch_package(channel_, "pkg", "1.0", {{"share/pkg/version", "1\n"}});
  ASSERT_EQ(verb({"create", "-n", "d", "pkg"}).exit_code, 0);
  // Appending writes the inode the package cache shares with the environment.
  std::ofstream(root_ / "envs/d/share/pkg/version", std::ios::app) << "edited\n";
  ASSERT_EQ(on_env({"verify", "-n", "d"}).exit_code, 1);
  e2e::Run repaired = on_env({"verify", "-n", "d", "--repair"});
  ASSERT_EQ(repaired.exit_code, 0) << repaired.out << repaired.err;
  EXPECT_THAT(repaired.out, HasSubstr("reinstalled pkg-1.0-0\n"));
  EXPECT_EQ(read(root_ / "envs/d/share/pkg/version"), "1\n");
}

TEST_F(EnvSafetyTest, AnUnreadableJournalBlocksChangesUntilVerifyRepair) {
  add_noarch_package(channel_, "pkg", "1.0", {{"share/pkg/version", "1\n"}});
  add_noarch_package(channel_, "tool", "1.0", {{"share/tool/run", "run\n"}});
  ASSERT_EQ(verb({"create", "-n", "j", "pkg"}).exit_code, 0);
  const fs::path journal = root_ / "envs/j/conda-meta/.graft-journal";
  write(journal, "garbage\n");
  fs::remove(root_ / "envs/j/share/pkg/version");
  e2e::Run blocked = verb({"install", "-n", "j", "tool"});
  EXPECT_NE(blocked.exit_code, 0);
  EXPECT_THAT(blocked.err,
              HasSubstr("cannot read the journal '" + journal.string() + "': unknown format"));
  EXPECT_THAT(blocked.err, HasSubstr("graft verify --repair"));
  e2e::Run repaired = on_env({"verify", "-n", "j", "--repair"});
  ASSERT_EQ(repaired.exit_code, 0) << repaired.out << repaired.err;
  EXPECT_THAT(repaired.err, HasSubstr(".graft-journal.unreadable"));
  EXPECT_EQ(read(root_ / "envs/j/share/pkg/version"), "1\n");
  EXPECT_EQ(verb({"install", "-n", "j", "tool"}).exit_code, 0);
}

TEST_F(EnvSafetyTest, ForceReinstallLinksAnInstalledPackageAgain) {
  add_noarch_package(channel_, "pkg", "1.0", {{"share/pkg/version", "1\n"}});
  ASSERT_EQ(verb({"create", "-n", "c", "pkg"}).exit_code, 0);
  fs::remove(root_ / "envs/c/share/pkg/version");
  e2e::Run plain = verb({"install", "-n", "c", "pkg"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(plain.out, HasSubstr("All requested packages already installed"));
  EXPECT_FALSE(fs::exists(root_ / "envs/c/share/pkg/version"));
  e2e::Run forced = verb({"install", "-n", "c", "pkg", "--force-reinstall"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_THAT(forced.out, HasSubstr("The following packages will be REINSTALLED:\n\n  pkg "));
  EXPECT_EQ(read(root_ / "envs/c/share/pkg/version"), "1\n");
  EXPECT_EQ(records("c"), std::vector<std::string>{"pkg-1.0-0.json"});
  EXPECT_EQ(on_env({"verify", "-n", "c"}).exit_code, 0);
}

// An update of a 20,000-file package killed at random moments: the next command leaves
// the environment wholly at the old version or wholly at the new one.
class KilledUpdateTest : public EnvSafetyTest {
 protected:
  static constexpr int kFiles = 20000;
  static constexpr int kTrials = 30;

  // In tmpfs when the machine has one: the test makes and deletes some 100,000 files, which
  // a disk mounted with online discard makes slow; what it checks is the same anywhere.
  void SetUp() override {
    EnvSafetyTest::SetUp();
    std::error_code error;
    if (!fs::is_directory("/dev/shm", error)) return;
    auto fast = base::TempDir::create("graft-e2e-kill-", "/dev/shm");
    if (!fast) return;
    fast_ = std::make_unique<base::TempDir>(std::move(*fast));
    dir_ = fast_->path();
    root_ = dir_ / "root";
    home_ = dir_ / "home";
    channel_ = dir_ / "channel";
    fs::create_directories(home_);
  }

  // Packs big 1.0 and 2.0 from one source tree, rewritten in place between the two: every
  // file's content changes, and a few paths exist in one version only.
  void add_big_packages() const {
    const fs::path source = dir_ / "source";
    for (const std::string version : {"1", "2"}) {
      for (int i = 0; i < kFiles; ++i) {
        const fs::path directory = source / "share/big" / ("d" + std::to_string(i % 64));
        if (i % 500 == 0) {
          const fs::path old_name = directory / ("only-1-" + std::to_string(i));
          if (version == "2") fs::remove(old_name);
          write(directory / ("only-" + version + "-" + std::to_string(i)), version);
          continue;
        }
        if (version == "1") fs::create_directories(directory);
        // 2.0 writes over 1.0's bytes (same length): no new file.
        const auto mode = version == "1" ? std::ios::out | std::ios::binary
                                         : std::ios::in | std::ios::out | std::ios::binary;
        std::fstream(directory / ("f" + std::to_string(i)), mode) << version << ":" << i;
      }
      e2e::Run packed =
          graft({"pack", source.string(), "--name", "big", "--version", version + ".0", "--noarch",
                 "generic", "--output-dir", (channel_ / "noarch").string()});
      ASSERT_EQ(packed.exit_code, 0) << packed.err;
    }
    fs::remove_all(source);
    e2e::Run indexed = graft({"index", channel_.string()});
    ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
  }

  static int pick_signal(std::mt19937& random) {
    const int roll = static_cast<int>(random() % 6);
    return roll < 4 ? SIGKILL : roll == 4 ? SIGTERM : SIGINT;
  }

  std::unique_ptr<base::TempDir> fast_;

  // A copy of `from` at `to`: package files hard-linked, conda-meta copied (it is written).
  static void clone_tree(const fs::path& from, const fs::path& to) {
    for (auto it = fs::recursive_directory_iterator(from); it != fs::recursive_directory_iterator();
         ++it) {
      const fs::path relative = it->path().lexically_relative(from);
      const fs::path target = to / relative;
      if (it->is_directory()) {
        fs::create_directories(target);
      } else if (*relative.begin() == "conda-meta") {
        fs::copy_file(it->path(), target);
      } else {
        fs::create_hard_link(it->path(), target);
      }
    }
  }
};

TEST_F(KilledUpdateTest, TheNextCommandLeavesTheOldVersionOrTheNewWholly) {
  const auto test_start = Clock::now();
  add_big_packages();
  ASSERT_EQ(verb({"create", "-n", "template", "big=1.0"}).exit_code, 0);
  const fs::path env = root_ / "envs/b";
  clone_tree(root_ / "envs/template", env);
  ASSERT_EQ(verb({"install", "-n", "b", "big=2.0"}).exit_code, 0);  // extracts 2.0 once
  fs::remove_all(env);
  clone_tree(root_ / "envs/template", env);
  const auto setup_done = Clock::now();
  const auto full_start = Clock::now();
  ASSERT_EQ(verb({"install", "-n", "b", "big=2.0"}).exit_code, 0);
  const auto full =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - full_start);
  bool at_old_version = false;
  std::mt19937 random(11);
  std::uniform_int_distribution<std::int64_t> moment(0, full.count() * 11 / 10);
  int old_version = 0;
  int new_version = 0;
  int undone = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    if (!at_old_version) {  // a verified environment at 1.0 is as good as a fresh copy
      fs::remove_all(env);
      clone_tree(root_ / "envs/template", env);
    }
    const int signal_number = pick_signal(random);
    const Child update = spawn(args({"install", "-n", "b", "big=2.0"}), home_, dir_ / "update.err");
    std::this_thread::sleep_for(std::chrono::microseconds(moment(random)));
    ::kill(update.pid, signal_number);
    const int status = update.wait();
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
      EXPECT_EQ(WEXITSTATUS(status), 128 + signal_number)
          << "trial " << trial << ": " << read(update.stderr_path);
    }
    e2e::Run next = on_env({"list", "-n", "b"});
    ASSERT_EQ(next.exit_code, 0) << "trial " << trial << ": " << next.err;
    undone += next.err.find("rolled back") != std::string::npos ||
              read(update.stderr_path).find("was rolled back") != std::string::npos;
    e2e::Run verified = on_env({"verify", "-n", "b", "--extra"});
    EXPECT_EQ(verified.exit_code, 0) << "trial " << trial << " (signal " << signal_number
                                     << "): " << verified.out << verified.err;
    const std::vector<std::string> left = records("b");
    ASSERT_EQ(left.size(), 1u) << "trial " << trial << ": " << ::testing::PrintToString(left);
    at_old_version = left[0] == "big-1.0-0.json";
    (at_old_version ? old_version : new_version) += 1;
    EXPECT_FALSE(fs::exists(env / "conda-meta/.graft-journal")) << "trial " << trial;
  }
  fs::remove_all(env);
  EXPECT_GT(undone, 0) << "no kill landed inside the change; the test proves nothing";
  EXPECT_GT(old_version + new_version, 0);
  std::fprintf(stderr,
               "killed updates: %d old, %d new, %d rolled back; %.1f s in all, %.1f s of setup\n",
               old_version, new_version, undone,
               std::chrono::duration<double>(Clock::now() - test_start).count(),
               std::chrono::duration<double>(setup_done - test_start).count());
}

}  // namespace
}  // namespace graft::e2e
