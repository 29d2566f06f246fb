#include "base/file_lock.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/fs.h"

namespace graft::base {
namespace {

using std::chrono::milliseconds;

class FileLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("graft-lock-test-");
    ASSERT_TRUE(dir.has_value());
    dir_ = std::move(*dir);
    lock_path_ = dir_->path() / ".graft.lock";
  }
  std::optional<TempDir> dir_;
  std::filesystem::path lock_path_;
};

TEST_F(FileLockTest, ExclusiveExcludesEveryoneElse) {
  auto held = FileLock::try_acquire(lock_path_, LockMode::kExclusive);
  ASSERT_TRUE(held.has_value()) << held.error().message();
  for (LockMode mode : {LockMode::kExclusive, LockMode::kShared}) {
    auto other = FileLock::try_acquire(lock_path_, mode);
    ASSERT_FALSE(other.has_value());
    EXPECT_EQ(other.error().code(), ErrorCode::kUnavailable);
    EXPECT_EQ(other.error().message(),
              "'" + lock_path_.string() + "' is locked by another process");
    EXPECT_FALSE(other.error().hint().empty());
  }
}

TEST_F(FileLockTest, SharedLocksCoexistAndBlockExclusive) {
  auto first = FileLock::try_acquire(lock_path_, LockMode::kShared);
  auto second = FileLock::try_acquire(lock_path_, LockMode::kShared);
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(FileLock::try_acquire(lock_path_, LockMode::kExclusive).has_value());
  first = FileLock::try_acquire(lock_path_, LockMode::kShared);  // replaces (drops) the old
  second = fail(ErrorCode::kInternal, "dropped");
  first = fail(ErrorCode::kInternal, "dropped");
  EXPECT_TRUE(FileLock::try_acquire(lock_path_, LockMode::kExclusive).has_value());
}

TEST_F(FileLockTest, AcquireWaitsForTheTimeoutThenGivesUp) {
  auto held = FileLock::try_acquire(lock_path_, LockMode::kExclusive);
  ASSERT_TRUE(held.has_value());
  const auto start = std::chrono::steady_clock::now();
  auto waited = FileLock::acquire(lock_path_, LockMode::kExclusive, milliseconds(60));
  EXPECT_FALSE(waited.has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(60));
}

TEST_F(FileLockTest, AcquireSucceedsOnceTheHolderLetsGo) {
  auto held = FileLock::try_acquire(lock_path_, LockMode::kExclusive);
  ASSERT_TRUE(held.has_value());
  std::thread releaser([&] {
    std::this_thread::sleep_for(milliseconds(30));
    held = fail(ErrorCode::kInternal, "released");
  });
  auto waited = FileLock::acquire(lock_path_, LockMode::kExclusive, milliseconds(5000));
  releaser.join();
  EXPECT_TRUE(waited.has_value());
}

TEST_F(FileLockTest, ChangeModeDowngradesAndUpgrades) {
  auto lock = FileLock::try_acquire(lock_path_, LockMode::kExclusive);
  ASSERT_TRUE(lock.has_value());
  ASSERT_TRUE(lock->change_mode(LockMode::kShared, milliseconds(0)));
  EXPECT_EQ(lock->mode(), LockMode::kShared);
  auto reader = FileLock::try_acquire(lock_path_, LockMode::kShared);
  ASSERT_TRUE(reader.has_value());
  EXPECT_FALSE(lock->change_mode(LockMode::kExclusive, milliseconds(0)).has_value());
  reader = fail(ErrorCode::kInternal, "released");
  EXPECT_TRUE(lock->change_mode(LockMode::kExclusive, milliseconds(0)).has_value());
}

TEST_F(FileLockTest, UnopenableLockFileIsAnIoError) {
  auto lock = FileLock::try_acquire(dir_->path() / "missing-dir" / "x.lock", LockMode::kShared);
  ASSERT_FALSE(lock.has_value());
  EXPECT_EQ(lock.error().code(), ErrorCode::kIo);
  EXPECT_EQ(lock.error().message(), "cannot open lock file '" +
                                        (dir_->path() / "missing-dir" / "x.lock").string() +
                                        "': No such file or directory");
}

}  // namespace
}  // namespace graft::base
