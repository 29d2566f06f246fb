#include "env/env_lock.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "env/testing.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using testing::read_text;
using testing::write_text;

class EnvLockTest : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    prefix_ = dir_->path() / "env";
    fs::create_directories(prefix_ / "conda-meta");
  }
  fs::path prefix_;
};

TEST_F(EnvLockTest, ASecondWriterWaitsThenFailsNamingTheEnvironment) {
  auto held = EnvLock::acquire(prefix_, milliseconds(0));
  ASSERT_TRUE(held) << held.error().message();
  EXPECT_EQ(held->prefix(), prefix_);
  const auto start = std::chrono::steady_clock::now();
  auto second = EnvLock::acquire(prefix_, milliseconds(100));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(100)) << "it waited";
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(second.error().message(),
            "environment '" + prefix_.string() + "' is being changed by another graft process");
  EXPECT_EQ(second.error().hint(), "wait for it to finish, then try again");
  auto attempt = EnvLock::try_acquire(prefix_);
  ASSERT_TRUE(attempt);
  EXPECT_FALSE(*attempt) << "busy: no lock, no error";
}

TEST_F(EnvLockTest, TheLockIsFreeAgainOnceReleased) {
  {
    auto held = EnvLock::acquire(prefix_, milliseconds(0));
    ASSERT_TRUE(held);
  }
  auto again = EnvLock::acquire(prefix_, milliseconds(0));
  EXPECT_TRUE(again) << again.error().message();
}

TEST_F(EnvLockTest, NoEnvironmentIsNotFound) {
  auto lock = EnvLock::acquire(dir_->path() / "absent", milliseconds(0));
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(lock.error().message(), "no environment at '" + (dir_->path() / "absent").string() +
                                        "': it has no conda-meta directory");
}

TEST_F(EnvLockTest, AnEnvironmentRemovedWhileWaitingIsNotFound) {
  auto held = EnvLock::acquire(prefix_, milliseconds(0));
  ASSERT_TRUE(held);
  fs::rename(prefix_, dir_->path() / "trash");  // env remove moves it away, lock and all
  auto late = EnvLock::acquire(prefix_, milliseconds(0));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), ErrorCode::kNotFound);
}

TEST_F(EnvLockTest, RecoverIfAbandonedLeavesALiveWritersJournalAlone) {
  write_text(prefix_ / "lib/a.txt", "new\n");
  write_text(prefix_ / "conda-meta" / kJournalName,
             "graft-journal 1\ntrash .graft-trash-1\nC lib/a.txt\n");
  {
    auto writer = EnvLock::acquire(prefix_, milliseconds(0));
    ASSERT_TRUE(writer);
    auto recovered = recover_if_abandoned(prefix_);
    ASSERT_TRUE(recovered);
    EXPECT_EQ(*recovered, Recovery::kNothing);
    EXPECT_EQ(read_text(prefix_ / "lib/a.txt"), "new\n");
  }
  auto recovered = recover_if_abandoned(prefix_);  // the writer is gone now
  ASSERT_TRUE(recovered) << recovered.error().message();
  EXPECT_EQ(*recovered, Recovery::kRolledBack);
  EXPECT_FALSE(fs::exists(prefix_ / "lib/a.txt"));
}

}  // namespace
}  // namespace graft::env
