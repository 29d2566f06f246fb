// A write that fails part-way (the disk fills up, a quota is hit) must fail the command
// with a clear error and leave every environment and the package cache as they were. The
// failure is made real with RLIMIT_FSIZE: with SIGXFSZ ignored (inherited through exec),
// the kernel fails graft's write() of any file past the limit with EFBIG, at whatever
// point of the extraction that file comes; and with a small tmpfs that really fills up
// (ENOSPC: short writes, and a size that can still be set with holes).
#include <algorithm>

#include <gtest/gtest.h>

#include "base/test_io.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;

constexpr rlim_t kFileLimit = 1 << 20;  // bytes one file may grow to while the limit is on

class WriteFailureTest : public ChannelTest {
 protected:
  void SetUp() override {
    ChannelTest::SetUp();
    add_noarch_package(channel_, "small", "1.0", {{"share/small/readme", "small\n"}});
    // Compresses to a few kB, extracts to a file three times the limit, after other files.
    add_noarch_package(channel_, "big", "1.0",
                       {{"share/big/a", "first\n"},
                        {"share/big/blob", std::string(3 * kFileLimit, 'x')},
                        {"share/big/z", "last\n"}});
  }

  // Every entry under the package cache, with sizes (what a failed command must not touch
  // beyond its own temporary files, which it removes).
  std::vector<std::string> cache() const { return listing(root_ / "pkgs"); }
};

TEST_F(WriteFailureTest, FailedInstallLeavesTheEnvironmentAndCacheAsTheyWere) {
  const fs::path env = root_ / "envs" / "work";
  ASSERT_EQ(verb({"create", "-p", env.string(), "small"}).exit_code, 0);
  const auto env_before = listing(env);
  const auto cache_before = cache();

  e2e::Run failed;
  {
    base::FileSizeLimit limit(kFileLimit);
    failed = verb({"install", "-p", env.string(), "big"});
  }
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_NE(failed.err.find("graft: error: "), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("'share/big/blob'"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("(File too large)"), std::string::npos) << failed.err;
  EXPECT_EQ(failed.err.find("terminate"), std::string::npos) << failed.err;
  EXPECT_EQ(listing(env), env_before);
  // The downloaded archive may stay (it was written whole and checked); nothing
  // extracted from it may.
  for (const std::string& entry : cache()) {
    if (entry.find("big-1.0") == std::string::npos) continue;
    EXPECT_TRUE(entry.find(".tar.bz2") != std::string::npos ||
                entry.find(".conda") != std::string::npos)
        << "left in the cache: " << entry;
  }
  for (const std::string& entry : cache_before) {
    EXPECT_NE(std::find(cache().begin(), cache().end(), entry), cache().end())
        << "removed from the cache: " << entry;
  }

  // Without the limit the same install completes, and the result verifies.
  e2e::Run again = verb({"install", "-p", env.string(), "big"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(fs::file_size(env / "share/big/blob"), 3 * kFileLimit);
  e2e::Run verified = graft({"verify", "-p", env.string()}, dir_, {"HOME=" + home_.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

TEST_F(WriteFailureTest, FailedRelocationWhileLinkingLeavesTheEnvironmentAsItWas) {
  // A text file holding a short build prefix extracts below the limit, but the copy that
  // linking writes with the (longer) real prefix grows past it: the failure comes in the
  // middle of linking, after extraction went well.
  const std::string placeholder = "/opt/ph";
  std::string text;
  for (int i = 0; i < 100'000; ++i) text += placeholder + "\n";
  ASSERT_LT(text.size(), kFileLimit);
  const fs::path source = dir_ / "relocated-src";
  write(source / "share/rel/a", "first\n");
  write(source / "share/rel/paths.txt", text);
  e2e::Run packed = graft({"pack", source.string(), "--name", "relocated", "--version", "1.0",
                           "--noarch", "generic", "--prefix-placeholder", placeholder,
                           "--output-dir", (channel_ / "noarch").string()});
  ASSERT_EQ(packed.exit_code, 0) << packed.err;
  ASSERT_EQ(graft({"index", channel_.string()}).exit_code, 0);

  const fs::path env = root_ / "envs" / "work";
  ASSERT_EQ(verb({"create", "-p", env.string(), "small"}).exit_code, 0);
  const auto env_before = listing(env);
  e2e::Run failed;
  {
    base::FileSizeLimit limit(kFileLimit);
    failed = verb({"install", "-p", env.string(), "relocated"});
  }
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_NE(failed.err.find("graft: error: "), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("'share/rel/paths.txt': File too large"), std::string::npos)
      << failed.err;
  EXPECT_EQ(listing(env), env_before);

  e2e::Run again = verb({"install", "-p", env.string(), "relocated"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(read(env / "share/rel/paths.txt").find(env.string() + "\n"), std::string::npos);
  e2e::Run verified = graft({"verify", "-p", env.string()}, dir_, {"HOME=" + home_.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

TEST_F(WriteFailureTest, FailedCreateLeavesNoEnvironment) {
  const fs::path env = root_ / "envs" / "fresh";
  e2e::Run failed;
  {
    base::FileSizeLimit limit(kFileLimit);
    failed = verb({"create", "-p", env.string(), "small", "big"});
  }
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_NE(failed.err.find("'share/big/blob'"), std::string::npos) << failed.err;
  EXPECT_FALSE(fs::exists(env));
  if (fs::exists(root_ / "envs")) {
    for (const auto& entry : fs::directory_iterator(root_ / "envs")) {
      ADD_FAILURE() << "left behind: " << entry.path();
    }
  }
  e2e::Run again = verb({"create", "-p", env.string(), "small", "big"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  e2e::Run verified = graft({"verify", "-p", env.string()}, dir_, {"HOME=" + home_.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

TEST_F(WriteFailureTest, AFullDiskFailsCreateLeavesNoPartialPackageAndTheNextCreateWorks) {
  constexpr std::uint64_t kDisk = 16 << 20;
  auto disk = base::TestTmpfs::mount(kDisk);
  if (!disk) GTEST_SKIP() << disk.error().message();
  const std::string blob = base::test_text(8 << 20);
  add_noarch_package(channel_, "bulky", "1.0",
                     {{"share/bulky/a", "first\n"}, {"share/bulky/blob", blob}});
  root_ = disk->path() / "root";
  const fs::path env = disk->path() / "env";
  const fs::path filler = disk->path() / "filler";
  write(filler, std::string(kDisk - (4 << 20), 'f'));  // 4 MiB stay free

  e2e::Run failed = verb({"create", "-p", env.string(), "small", "bulky"});
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_NE(failed.err.find("graft: error: "), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("'bulky-1.0-"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("'share/bulky/blob'"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("No space left on device"), std::string::npos) << failed.err;
  EXPECT_EQ(failed.err.find("invalid JSON"), std::string::npos) << failed.err;
  EXPECT_FALSE(fs::exists(env));
  for (const auto& entry : fs::directory_iterator(root_ / "pkgs")) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(name.find(".graft-tmp"), std::string::npos) << "left in the cache: " << name;
    EXPECT_FALSE(name.starts_with("bulky-1.0") && entry.is_directory())
        << "a partial package was left in the cache: " << name;
  }

  fs::remove(filler);
  e2e::Run again = verb({"create", "-p", env.string(), "small", "bulky"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(read(env / "share/bulky/blob") == blob) << "the blob differs from the package's";
  e2e::Run verified = graft({"verify", "-p", env.string()}, dir_, {"HOME=" + home_.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

}  // namespace
}  // namespace graft::e2e
