#include "base/fs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/hash.h"

namespace graft::base {
namespace {

class FsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("graft-fs-test-");
    ASSERT_TRUE(dir) << dir.error().message();
    dir_ = std::move(*dir);
  }
  fs::path path(std::string_view name) const { return dir_.path() / name; }
  TempDir dir_ = std::move(*TempDir::create());
};

TEST_F(FsTest, AtomicWriteReplacesContentAndLeavesNoTempFiles) {
  ASSERT_TRUE(write_file_atomic(path("a.txt"), "first"));
  ASSERT_TRUE(write_file_atomic(path("a.txt"), "second", Durability::kNoFsync));
  EXPECT_EQ(*read_file(path("a.txt")), "second");
  auto entries = walk(dir_.path());
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].relative, "a.txt");
}

TEST_F(FsTest, AtomicWriteIntoMissingDirectoryFailsWithPath) {
  Status status = write_file_atomic(path("missing/a.txt"), "x");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(status.error().message().find("missing/a.txt.graft-tmp-"), std::string::npos);
}

TEST_F(FsTest, ReadMissingFileIsNotFound) {
  auto content = read_file(path("nope"));
  ASSERT_FALSE(content);
  EXPECT_EQ(content.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(content.error().message(),
            "cannot open '" + path("nope").string() + "': No such file or directory");
}

TEST_F(FsTest, HardLinkSharesTheInode) {
  ASSERT_TRUE(write_file_atomic(path("src"), "payload"));
  auto outcome = link_or_copy(path("src"), path("dst"));
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_EQ(outcome->kind, LinkKind::kHardLink);
  EXPECT_TRUE(outcome->fallback_reason.empty());
  EXPECT_TRUE(fs::equivalent(path("src"), path("dst")));
}

TEST_F(FsTest, CopyPolicyMakesAnIndependentFileWithTheSameMode) {
  ASSERT_TRUE(write_file_atomic(path("src"), "payload"));
  ::chmod(path("src").c_str(), 0755);
  auto outcome = link_or_copy(path("src"), path("dst"), LinkPolicy::kCopyOnly);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_NE(outcome->kind, LinkKind::kHardLink);
  EXPECT_FALSE(fs::equivalent(path("src"), path("dst")));
  EXPECT_EQ(*read_file(path("dst")), "payload");
  struct stat status {};
  ASSERT_EQ(::stat(path("dst").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0755u);
}

TEST_F(FsTest, HardLinkAcrossFilesystemsFallsBackWithReason) {
  // /dev/shm is a tmpfs on Linux; the temp dir usually is not on it.
  if (!fs::is_directory("/dev/shm")) GTEST_SKIP() << "/dev/shm is absent";
  auto other = TempDir::create("graft-fs-test-", "/dev/shm");
  ASSERT_TRUE(other);
  ASSERT_TRUE(write_file_atomic(path("src"), "payload"));
  struct stat a {}, b {};
  ::stat(path("src").c_str(), &a);
  ::stat(other->path().c_str(), &b);
  if (a.st_dev == b.st_dev) GTEST_SKIP() << "temp dir is on /dev/shm's filesystem";
  auto outcome = link_or_copy(path("src"), other->path() / "dst");
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_EQ(outcome->kind, LinkKind::kCopy);
  EXPECT_NE(outcome->fallback_reason.find("hard link: Invalid cross-device link"), std::string::npos)
      << outcome->fallback_reason;
  EXPECT_EQ(*read_file(other->path() / "dst"), "payload");
}

TEST_F(FsTest, LinkOntoExistingTargetFails) {
  ASSERT_TRUE(write_file_atomic(path("src"), "a"));
  ASSERT_TRUE(write_file_atomic(path("dst"), "b"));
  auto outcome = link_or_copy(path("src"), path("dst"));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(*read_file(path("dst")), "b");
}

TEST_F(FsTest, WalkListsDirectoriesBeforeTheirContentsWithoutFollowingSymlinks) {
  ASSERT_TRUE(make_directories(path("b/c")));
  ASSERT_TRUE(write_file_atomic(path("b/c/f"), "x"));
  ASSERT_TRUE(write_file_atomic(path("a"), "x"));
  ASSERT_TRUE(write_file_atomic(path("b-file"), "x"));
  fs::create_directory_symlink(path("b"), path("link"));
  auto entries = walk(dir_.path());
  ASSERT_TRUE(entries);
  std::vector<std::string> listed;
  for (const auto& entry : *entries) {
    listed.push_back(entry.relative.string() + (entry.type == EntryType::kSymlink ? "@" : ""));
  }
  EXPECT_EQ(listed, (std::vector<std::string>{"a", "b", "b/c", "b/c/f", "b-file", "link@"}));
}

TEST_F(FsTest, TempDirIsRemovedUnlessReleased) {
  fs::path kept;
  fs::path removed;
  {
    auto a = TempDir::create("x-", dir_.path());
    auto b = TempDir::create("y-", dir_.path());
    removed = a->path();
    kept = b->release();
  }
  EXPECT_FALSE(fs::exists(removed));
  EXPECT_TRUE(fs::is_directory(kept));
}

TEST_F(FsTest, OutputFileToANewNameOrThroughADanglingSymlink) {
  ASSERT_TRUE(write_output_file(path("new.yml"), "one\n"));
  EXPECT_EQ(*read_file(path("new.yml")), "one\n");
  fs::create_symlink("target.yml", path("link.yml"));
  ASSERT_TRUE(write_output_file(path("link.yml"), "two\n"));
  EXPECT_TRUE(fs::is_symlink(path("link.yml")));
  EXPECT_EQ(*read_file(path("target.yml")), "two\n");
  auto directory = write_output_file(dir_.path(), "x");
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().message(),
            "cannot write to '" + dir_.path().string() + "': it is a directory");
}

TEST(HashTest, KnownDigests) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  Hasher streamed(DigestKind::kSha256);
  streamed.update("a");
  streamed.update("bc");
  EXPECT_EQ(streamed.finish_hex(), sha256_hex("abc"));
  EXPECT_EQ(xxh3_64("abc"), xxh3_64("abc"));
  EXPECT_NE(xxh3_64("abc", 1), xxh3_64("abc", 2));
}

TEST_F(FsTest, FileDigestsInOnePass) {
  std::string big(1 << 20, 'z');
  ASSERT_TRUE(write_file_atomic(path("big"), big));
  auto digests = file_digests(path("big"));
  ASSERT_TRUE(digests);
  EXPECT_EQ(digests->size, big.size());
  EXPECT_EQ(digests->sha256, sha256_hex(big));
  EXPECT_EQ(digests->md5, md5_hex(big));
  EXPECT_EQ(*file_digest_hex(path("big"), DigestKind::kMd5), md5_hex(big));
  EXPECT_EQ(file_digest_hex(path("none"), DigestKind::kMd5).error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace graft::base
