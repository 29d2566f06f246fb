// condarc allow_softlinks: when the package cache is on another filesystem than the
// environment, files are symlinked into the cache (recorded as "softlink") instead of
// copied; without it they are copied.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "env/linker.h"
#include "env/testing.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;

class SoftlinkTest : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    auto cache = base::TempDir::create("graft-softlink-", "/dev/shm");
    if (!cache) GTEST_SKIP() << "no /dev/shm to put a package cache on another filesystem";
    cache_ = std::make_unique<base::TempDir>(std::move(*cache));
    struct stat cache_stat {};
    struct stat prefix_stat {};
    if (::stat(cache_->path().c_str(), &cache_stat) != 0 ||
        ::stat(dir_->path().c_str(), &prefix_stat) != 0 || cache_stat.st_dev == prefix_stat.st_dev) {
      GTEST_SKIP() << "/dev/shm and the scratch directory are one filesystem here";
    }
    testing::TestPackage spec{.name = "tool", .files = {{"lib/data.txt", "plain\n"}}};
    package_ = testing::load(testing::make_package(cache_->path(), spec));
  }

  conda::PrefixRecord link(bool allow_softlinks, const std::string& name) {
    const fs::path prefix = dir_->path() / name;
    fs::create_directories(prefix);
    LinkTarget target{.write_prefix = prefix, .final_prefix = prefix,
                      .allow_softlinks = allow_softlinks};
    auto linked = link_packages({{.info = package_}}, target, nullptr);
    EXPECT_TRUE(linked) << (linked ? "" : linked.error().message());
    return linked && !linked->records.empty() ? linked->records[0] : conda::PrefixRecord{};
  }

  std::unique_ptr<base::TempDir> cache_;
  PackageInfo package_;
};

TEST_F(SoftlinkTest, AcrossFilesystemsFilesBecomeSymlinksOnlyWhenAllowed) {
  const conda::PrefixRecord soft = link(true, "soft");
  const fs::path soft_file = dir_->path() / "soft/lib/data.txt";
  ASSERT_TRUE(fs::is_symlink(soft_file));
  EXPECT_EQ(fs::read_symlink(soft_file), package_.directory / "lib/data.txt");
  ASSERT_TRUE(soft.paths_data);
  EXPECT_EQ(soft.paths_data->paths.at(0).path_type, "softlink");

  const conda::PrefixRecord copied = link(false, "copied");
  const fs::path copied_file = dir_->path() / "copied/lib/data.txt";
  EXPECT_FALSE(fs::is_symlink(copied_file));
  EXPECT_EQ(testing::read_text(copied_file), "plain\n");
  ASSERT_TRUE(copied.paths_data);
  EXPECT_EQ(copied.paths_data->paths.at(0).path_type, "hardlink");
}

}  // namespace
}  // namespace graft::env
