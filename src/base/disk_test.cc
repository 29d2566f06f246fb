#include "base/disk.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/test_io.h"

namespace graft::base {
namespace {

namespace fs = std::filesystem;

class DiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("graft-disk-test-");
    ASSERT_TRUE(dir) << dir.error().message();
    dir_.emplace(std::move(*dir));
  }
  fs::path path(const std::string& name) const { return dir_->path() / name; }
  std::optional<TempDir> dir_;
};

TEST_F(DiskTest, OpensRegularFilesAndSymlinksToThem) {
  ASSERT_TRUE(write_file_atomic(path("file"), "bytes", Durability::kNoFsync));
  fs::create_symlink("file", path("link"));
  for (const char* name : {"file", "link"}) {
    auto fd = open_regular_file(path(name));
    ASSERT_TRUE(fd) << fd.error().message();
    char buffer[8] = {};
    EXPECT_EQ(::read(*fd, buffer, sizeof buffer), 5);  // blocking again, and readable
    ::close(*fd);
  }
}

TEST_F(DiskTest, RefusesEverythingButRegularFilesWithoutBlocking) {
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  fs::create_symlink("/dev/zero", path("zero"));
  fs::create_directory(path("dir"));
  struct Case {
    std::string name;
    std::string kind;
  };
  const FifoUnblocker unblock(path("fifo"), std::chrono::milliseconds(1500));
  const auto start = std::chrono::steady_clock::now();
  for (const Case& test : std::vector<Case>{
           {"fifo", "a fifo"}, {"zero", "a character device"}, {"dir", "a directory"}}) {
    auto fd = open_regular_file(path(test.name));
    ASSERT_FALSE(fd) << test.name;
    EXPECT_EQ(fd.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(fd.error().message(),
              "'" + path(test.name).string() + "' is not a regular file: it is " + test.kind);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  auto missing = open_regular_file(path("missing"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

TEST_F(DiskTest, SyncsFileSystemsAndDirectories) {
  EXPECT_TRUE(sync_file_system(dir_->path()));
  EXPECT_TRUE(sync_directory(dir_->path()));
  EXPECT_EQ(sync_file_system(path("missing")).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(sync_directory(path("missing")).error().message(),
            "cannot open directory '" + path("missing").string() + "': No such file or directory");
}

}  // namespace
}  // namespace graft::base
