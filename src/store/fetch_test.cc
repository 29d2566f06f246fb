#include "store/fetch.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "base/fs.h"
#include "base/hash.h"
#include "base/strings.h"
#include "store/test_http_server.h"
#include "store/test_packages.h"

namespace graft::store {
namespace {

namespace fs = std::filesystem;
using testing::build_package;
using testing::list_dir;
using testing::PackageSpec;
using testing::TestHttpServer;

FetchOptions fast_options() {
  FetchOptions options;
  options.download.initial_backoff = std::chrono::milliseconds(5);
  options.download.max_attempts = 2;
  return options;
}

class FetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto channel = base::TempDir::create("graft-fetch-channel-");
    auto pkgs = base::TempDir::create("graft-fetch-pkgs-");
    ASSERT_TRUE(channel && pkgs);
    channel_ = std::move(*channel);
    pkgs_ = std::move(*pkgs);
    server_ = std::make_unique<TestHttpServer>(channel_->path());
    auto cache = PackageCache::open({pkgs_->path()});
    ASSERT_TRUE(cache.has_value()) << cache.error().message();
    cache_.emplace(std::move(*cache));
  }
  conda::PackageRecord package(PackageSpec spec = {}) {
    return build_package(channel_->path(), server_->url(""), spec);
  }
  std::string urls_txt() const {
    return base::read_file(pkgs_->path() / "urls.txt").value_or("");
  }
  // What the cache directory holds besides its lock files and repodata cache.
  std::vector<std::string> cache_entries() const {
    std::vector<std::string> names;
    for (const std::string& name : list_dir(pkgs_->path())) {
      if (name != ".graft.lock" && name != ".graft-session.lock" && name != "cache") {
        names.push_back(name);
      }
    }
    return names;
  }

  std::optional<base::TempDir> channel_;
  std::optional<base::TempDir> pkgs_;
  std::unique_ptr<TestHttpServer> server_;
  std::optional<PackageCache> cache_;
};

TEST_F(FetchTest, DownloadsAndExtractsIntoCondaLayout) {
  const conda::PackageRecord record =
      package({.name = "zdemo", .depends = {"libfoo >=1.2"},
               .files = {{"lib/libzdemo.so", "ELF"}, {"share/zdemo/README", "hi\n"}}});
  auto dir = fetch_package(*cache_, record, fast_options());
  ASSERT_TRUE(dir.has_value()) << dir.error().message();
  EXPECT_EQ(*dir, pkgs_->path() / "zdemo-1.0-0");
  EXPECT_EQ(fs::status(*dir).permissions(), fs::perms(0755));
  EXPECT_EQ(*base::read_file(*dir / "lib/libzdemo.so"), "ELF");
  EXPECT_TRUE(fs::exists(*dir / "info/index.json"));
  EXPECT_EQ(cache_entries(), (std::vector<std::string>{"urls.txt", "zdemo-1.0-0",
                                                       "zdemo-1.0-0.conda"}));
  EXPECT_EQ(urls_txt(), record.url + "\n");

  auto text = base::read_file(*dir / "info/repodata_record.json");
  ASSERT_TRUE(text.has_value());
  auto written = conda::parse_package_record(*text, "repodata_record.json");
  ASSERT_TRUE(written.has_value()) << written.error().message();
  EXPECT_EQ(written->url, record.url);
  EXPECT_EQ(written->channel, server_->url("/linux-64"));
  EXPECT_EQ(written->fn, "zdemo-1.0-0.conda");
  EXPECT_EQ(written->sha256, record.sha256);
  EXPECT_EQ(written->md5, record.md5);
  EXPECT_EQ(written->size, record.size);
  EXPECT_EQ(written->depends, std::vector<std::string>{"libfoo >=1.2"});
  EXPECT_EQ(*text, conda::write_package_record(*written));  // conda's own formatting
}

TEST_F(FetchTest, SecondFetchReusesTheExtractionWithoutNetwork) {
  const conda::PackageRecord record = package();
  ASSERT_TRUE(fetch_package(*cache_, record, fast_options()));
  auto again = fetch_package(*cache_, record, fast_options());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(server_->requests("/linux-64/demo-1.0-0.conda"), 1);
  EXPECT_EQ(urls_txt(), record.url + "\n");
}

TEST_F(FetchTest, CachedArchiveIsExtractedAgainWithoutDownloading) {
  const conda::PackageRecord record = package();
  auto first = fetch_package(*cache_, record, fast_options());
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(base::remove_tree(*first));
  auto again = fetch_package(*cache_, record, fast_options());
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_TRUE(fs::exists(*again / "share/demo.txt"));
  EXPECT_EQ(server_->requests("/linux-64/demo-1.0-0.conda"), 1);
  EXPECT_EQ(urls_txt(), record.url + "\n");
}

TEST_F(FetchTest, StaleExtractionAndArchiveAreReplaced) {
  const conda::PackageRecord old_record = package({.files = {{"share/demo.txt", "old\n"}}});
  ASSERT_TRUE(fetch_package(*cache_, old_record, fast_options()));
  // The channel now serves a different build under the same file name.
  const conda::PackageRecord new_record = package({.files = {{"share/demo.txt", "new\n"}}});
  ASSERT_NE(old_record.sha256, new_record.sha256);
  auto dir = fetch_package(*cache_, new_record, fast_options());
  ASSERT_TRUE(dir.has_value()) << dir.error().message();
  EXPECT_EQ(*base::read_file(*dir / "share/demo.txt"), "new\n");
  EXPECT_EQ(server_->requests("/linux-64/demo-1.0-0.conda"), 2);
  EXPECT_EQ(cache_->find_extracted(old_record), std::nullopt);
  EXPECT_EQ(cache_->find_extracted(new_record), *dir);
  EXPECT_EQ(cache_entries(), (std::vector<std::string>{"demo-1.0-0", "demo-1.0-0.conda",
                                                       "urls.txt"}));
}

TEST_F(FetchTest, ChecksumMismatchLeavesTheCacheClean) {
  conda::PackageRecord record = package();
  server_->set_body("/linux-64/demo-1.0-0.conda", "not the package");
  auto dir = fetch_package(*cache_, record, fast_options());
  ASSERT_FALSE(dir.has_value());
  EXPECT_EQ(dir.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(dir.error().message(), "fetching 'demo-1.0-0.conda': checksum mismatch for '" +
                                       record.url + "': expected sha256 '" + record.sha256 +
                                       "', got '" + base::sha256_hex("not the package") + "'");
  EXPECT_TRUE(cache_entries().empty());
}

TEST_F(FetchTest, DownloadLargerThanItsRecordDeclaresLeavesTheCacheClean) {
  conda::PackageRecord record = package();
  const std::string path = "/linux-64/demo-1.0-0.conda";
  const std::string real = *base::read_file(channel_->path() / path.substr(1));
  server_->set_body(path, real + std::string(1 << 20, '\0'));
  auto dir = fetch_package(*cache_, record, fast_options());
  ASSERT_FALSE(dir.has_value());
  EXPECT_EQ(dir.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(dir.error().message(), "fetching 'demo-1.0-0.conda': '" + record.url +
                                       "' is larger than the " + std::to_string(record.size) +
                                       " bytes its record declares");
  EXPECT_TRUE(cache_entries().empty());
}

TEST_F(FetchTest, CorruptArchiveWithRightChecksumFailsCleanly) {
  ASSERT_TRUE(base::make_directories(channel_->path() / "linux-64"));
  ASSERT_TRUE(base::write_file_atomic(channel_->path() / "linux-64/bad-1-0.conda", "garbage",
                                      base::Durability::kNoFsync));
  const conda::PackageRecord record{.name = "bad", .version = "1", .build = "0",
                                    .sha256 = base::sha256_hex("garbage"),
                                    .fn = "bad-1-0.conda",
                                    .url = server_->url("/linux-64/bad-1-0.conda")};
  auto dir = fetch_package(*cache_, record, fast_options());
  ASSERT_FALSE(dir.has_value());
  EXPECT_EQ(dir.error().code(), ErrorCode::kCorrupt) << dir.error().message();
  EXPECT_TRUE(base::starts_with(dir.error().message(), "fetching 'bad-1-0.conda': "));
  EXPECT_TRUE(cache_entries().empty());
}

TEST_F(FetchTest, ManyPackagesDownloadInParallelAndKeepOrder) {
  std::vector<conda::PackageRecord> records;
  for (int i = 0; i < 6; ++i) {
    records.push_back(package({.name = "p" + std::to_string(i)}));
    server_->set_delay("/linux-64/" + records.back().fn, std::chrono::milliseconds(200));
  }
  records.push_back(records.front());  // a duplicate is fetched once
  auto dirs = fetch_packages(*cache_, records, fast_options());
  ASSERT_TRUE(dirs.has_value()) << dirs.error().message();
  ASSERT_EQ(dirs->size(), 7u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ((*dirs)[i], pkgs_->path() / ("p" + std::to_string(i) + "-1.0-0"));
  }
  EXPECT_EQ((*dirs)[6], (*dirs)[0]);
  EXPECT_EQ(server_->requests("/linux-64/p0-1.0-0.conda"), 1);
  EXPECT_GE(server_->max_concurrent(), 3);
}

TEST_F(FetchTest, NotFoundAndMissingUrlAreReportedPerPackage) {
  conda::PackageRecord gone = package({.name = "gone"});
  gone.url = server_->url("/linux-64/elsewhere.conda");
  const conda::PackageRecord no_url{.name = "nourl", .version = "1", .build = "0"};
  const std::vector<conda::PackageRecord> records = {gone, no_url, package()};
  auto dirs = fetch_packages(*cache_, records, fast_options());
  ASSERT_FALSE(dirs.has_value());
  EXPECT_EQ(dirs.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(dirs.error().message(),
            "fetching 'gone-1.0-0.conda': '" + gone.url +
                "' not found (HTTP 404) (and 1 more packages failed)");
  EXPECT_TRUE(cache_->find_extracted(records[2]).has_value());  // the good one is kept
}

TEST_F(FetchTest, OfflineUsesTheCacheAndLocalChannelsOnly) {
  const conda::PackageRecord cached = package({.name = "cached"});
  ASSERT_TRUE(fetch_package(*cache_, cached, fast_options()));
  const conda::PackageRecord remote = package({.name = "remote"});
  const conda::PackageRecord local = build_package(
      channel_->path(), "file://" + channel_->path().string(), {.name = "local"});
  FetchOptions offline = fast_options();
  offline.network = NetworkMode::kOffline;
  EXPECT_TRUE(fetch_package(*cache_, cached, offline).has_value());
  EXPECT_TRUE(fetch_package(*cache_, local, offline).has_value());
  auto missing = fetch_package(*cache_, remote, offline);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message(),
            "fetching 'remote-1.0-0.conda': it is not in the package cache and offline mode "
            "forbids downloading '" + remote.url + "'");
  EXPECT_EQ(server_->requests("/linux-64/remote-1.0-0.conda"), 0);
}

TEST_F(FetchTest, FileChannelAndTarBz2) {
  const conda::PackageRecord record = build_package(
      channel_->path(), "file://" + channel_->path().string(), {.extension = ".tar.bz2"});
  auto dir = fetch_package(*cache_, record, fast_options());
  ASSERT_TRUE(dir.has_value()) << dir.error().message();
  EXPECT_EQ(*dir, pkgs_->path() / "demo-1.0-0");
  EXPECT_EQ(*base::read_file(*dir / "share/demo.txt"), "demo\n");
  EXPECT_EQ(urls_txt(), record.url + "\n");
}

TEST_F(FetchTest, TwoThreadsFetchingOnePackageShareTheResult) {
  const conda::PackageRecord record = package();
  server_->set_delay("/linux-64/demo-1.0-0.conda", std::chrono::milliseconds(100));
  std::vector<Result<fs::path>> results(2, fail(ErrorCode::kInternal, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      auto cache = PackageCache::open({pkgs_->path()});  // its own locks, like a process
      results[i] = cache ? fetch_package(*cache, record, fast_options())
                         : Result<fs::path>(tl::unexpected(cache.error()));
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value()) << result.error().message();
    EXPECT_EQ(*result, pkgs_->path() / "demo-1.0-0");
  }
  EXPECT_TRUE(cache_->find_extracted(record).has_value());
  EXPECT_EQ(cache_entries(), (std::vector<std::string>{"demo-1.0-0", "demo-1.0-0.conda",
                                                       "urls.txt"}));
}

TEST_F(FetchTest, TwoProcessesFetchingOnePackageShareTheResult) {
  const conda::PackageRecord record = build_package(
      channel_->path(), "file://" + channel_->path().string(),
      {.files = {{"share/big.bin", std::string(4 << 20, 'b')}}});
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto cache = PackageCache::open({pkgs_->path()});
    const bool fetched = cache && fetch_package(*cache, record, fast_options()).has_value();
    ::_exit(fetched ? 0 : 1);
  }
  auto cache = PackageCache::open({pkgs_->path()});
  ASSERT_TRUE(cache.has_value());
  auto dir = fetch_package(*cache, record, fast_options());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(dir.has_value()) << dir.error().message();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(fs::file_size(*dir / "share/big.bin"), 4u << 20);
  EXPECT_EQ(cache_entries(), (std::vector<std::string>{"demo-1.0-0", "demo-1.0-0.conda",
                                                       "urls.txt"}));
}

}  // namespace
}  // namespace graft::store
