#include "store/package_cache.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "base/fs.h"
#include "base/strings.h"
#include "store/fetch.h"
#include "store/test_http_server.h"
#include "store/test_packages.h"

namespace graft::store {
namespace {

namespace fs = std::filesystem;
using testing::build_package;
using testing::list_dir;

class PackageCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = base::TempDir::create("graft-cache-test-");
    ASSERT_TRUE(root.has_value());
    root_ = std::move(*root);
  }
  fs::path path(const std::string& name) const { return root_->path() / name; }
  void write(const fs::path& file, const std::string& content = "x") {
    ASSERT_TRUE(base::make_directories(file.parent_path()));
    ASSERT_TRUE(base::write_file_atomic(file, content, base::Durability::kNoFsync));
  }
  std::optional<base::TempDir> root_;
};

TEST_F(PackageCacheTest, LeftoversOfACrashedRunAreSwept) {
  const fs::path pkgs = path("pkgs");
  write(pkgs / ".graft-tmp-zlib-1.2-0-a1b2c3/info/index.json");
  write(pkgs / ".graft-tmp-zlib-1.2-0.conda-x9y8z7");
  write(pkgs / "cache/.graft-tmp-497deca9-12-0.json");
  write(pkgs / "keep-1.0-0/info/index.json");
  auto cache = PackageCache::open({pkgs});
  ASSERT_TRUE(cache.has_value()) << cache.error().message();
  EXPECT_EQ(cache->swept(), 3u);
  EXPECT_EQ(list_dir(pkgs), (std::vector<std::string>{".graft-session.lock", "cache",
                                                      "keep-1.0-0"}));
  EXPECT_TRUE(list_dir(pkgs / "cache").empty());
}

TEST_F(PackageCacheTest, TemporariesOfALiveProcessAreNotSwept) {
  const fs::path pkgs = path("pkgs");
  auto first = PackageCache::open({pkgs});
  ASSERT_TRUE(first.has_value());
  write(pkgs / ".graft-tmp-busy-1-0-abcdef/info/index.json");  // first's work in progress
  auto second = PackageCache::open({pkgs});
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->swept(), 0u);
  EXPECT_TRUE(fs::exists(pkgs / ".graft-tmp-busy-1-0-abcdef"));
}

TEST_F(PackageCacheTest, KilledDownloadLeavesATemporaryThatTheNextRunRemoves) {
  const fs::path channel = path("channel");
  testing::TestHttpServer server(channel);
  const conda::PackageRecord record = build_package(
      channel, server.url(""), {.files = {{"share/big.bin", std::string(1 << 20, 'b')}}});
  server.set_stall("/linux-64/" + record.fn, std::chrono::milliseconds(10000));
  const fs::path pkgs = path("pkgs");
  ASSERT_TRUE(base::make_directories(pkgs));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto cache = PackageCache::open({pkgs});
    ::_exit(cache && fetch_package(*cache, record).has_value() ? 0 : 1);
  }
  bool started = false;  // wait (bounded) for the child's partial download to appear
  for (int i = 0; i < 500 && !started; ++i) {
    for (const std::string& name : list_dir(pkgs)) {
      started = started || base::starts_with(name, ".graft-tmp-");
    }
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(started);
  auto cache = PackageCache::open({pkgs});
  ASSERT_TRUE(cache.has_value());
  EXPECT_EQ(cache->swept(), 1u);
  for (const std::string& name : list_dir(pkgs)) {
    EXPECT_FALSE(base::starts_with(name, ".graft-tmp-")) << name;
  }
}

TEST_F(PackageCacheTest, FirstWritableDirectoryWinsAndAllAreSearched) {
  write(path("not-a-dir"));  // a file: can not hold a cache
  const fs::path shared = path("shared-pkgs");
  const fs::path channel = path("channel");
  const conda::PackageRecord record =
      build_package(channel, "file://" + channel.string(), {.name = "found"});
  {
    auto other = PackageCache::open({shared});
    ASSERT_TRUE(other && fetch_package(*other, record).has_value());
  }
  auto cache = PackageCache::open({path("not-a-dir"), path("mine"), shared});
  ASSERT_TRUE(cache.has_value()) << cache.error().message();
  EXPECT_EQ(cache->writable_dir(), path("mine"));
  EXPECT_EQ(cache->repodata_dir(), path("mine") / "cache");
  EXPECT_EQ(cache->find_extracted(record), shared / "found-1.0-0");
  EXPECT_EQ(cache->find_archive(record), shared / "found-1.0-0.conda");
  auto dir = fetch_package(*cache, record);
  ASSERT_TRUE(dir.has_value());
  EXPECT_EQ(*dir, shared / "found-1.0-0");
  EXPECT_FALSE(fs::exists(path("mine") / "found-1.0-0"));
}

TEST_F(PackageCacheTest, NoWritableDirectoryIsAClearError) {
  write(path("file-a"));
  auto cache = PackageCache::open({path("file-a")});
  ASSERT_FALSE(cache.has_value());
  EXPECT_EQ(cache.error().code(), ErrorCode::kIo);
  EXPECT_EQ(cache.error().message(),
            "no writable package cache in '" + path("file-a").string() + "'");
  EXPECT_EQ(PackageCache::open({}).error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(PackageCacheTest, ExtractionIsValidOnlyWhenItsRecordMatches) {
  const fs::path pkgs = path("pkgs");
  auto cache = PackageCache::open({pkgs});
  ASSERT_TRUE(cache.has_value());
  write(pkgs / "a-1-0/info/repodata_record.json",
        R"({"name": "a", "version": "1", "build": "0", "fn": "a-1-0.conda", "sha256": "aa", "md5": "m1"})");
  write(pkgs / "b-1-0/info/index.json", "{}");  // no repodata_record.json: incomplete
  write(pkgs / "c-1-0/info/repodata_record.json", "{not json");
  struct Case {
    conda::PackageRecord record;
    bool valid;
  };
  const std::vector<Case> cases = {
      {{.name = "a", .sha256 = "aa", .fn = "a-1-0.conda"}, true},
      {{.name = "a", .sha256 = "bb", .fn = "a-1-0.conda"}, false},
      {{.name = "a", .md5 = "m1", .fn = "a-1-0.conda"}, true},
      {{.name = "a", .md5 = "m2", .fn = "a-1-0.conda"}, false},
      {{.name = "a", .fn = "a-1-0.conda"}, true},  // no digest: the file name decides
      {{.name = "a", .url = "https://x/linux-64/a-1-0.conda"}, true},
      {{.name = "b", .fn = "b-1-0.conda"}, false},
      {{.name = "c", .fn = "c-1-0.conda"}, false},
      {{.name = "d", .fn = "d-1-0.conda"}, false},
  };
  for (const Case& test : cases) {
    EXPECT_EQ(cache->find_extracted(test.record).has_value(), test.valid)
        << test.record.fn << test.record.url << " sha256=" << test.record.sha256
        << " md5=" << test.record.md5;
  }
}

TEST_F(PackageCacheTest, PackageNamesComeFromFnThenUrlThenDist) {
  EXPECT_EQ(package_stem({.fn = "zlib-1.2.11-h7b6447c_3.conda"}), "zlib-1.2.11-h7b6447c_3");
  EXPECT_EQ(package_stem({.url = "https://x/linux-64/zlib-1.2.11-0.tar.bz2"}), "zlib-1.2.11-0");
  EXPECT_EQ(package_stem({.name = "z", .version = "1", .build = "b"}), "z-1-b");
  EXPECT_EQ(package_file_name({.url = "file:///c/noarch/x-1-0.conda"}), "x-1-0.conda");
}

}  // namespace
}  // namespace graft::store
