// The store against real conda data: the conda_format_repo channel (zlib 1.2.11 as .conda
// and .tar.bz2, with the md5/sha256 its repodata.json lists), read as a file:// channel.
#include <gtest/gtest.h>

#include "base/fs.h"
#include "conda/repodata.h"
#include "store/fetch.h"
#include "store/repodata_cache.h"

namespace graft::store {
namespace {

namespace fs = std::filesystem;

const fs::path kChannel = fs::path(GRAFT_CONFORMANCE_DIR) / "conda" / "conda_format_repo";

class ConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kChannel / "linux-64" / "repodata.json")) {
      GTEST_SKIP() << "conformance corpus not found at " << kChannel
                   << " (set GRAFT_CONFORMANCE_DIR)";
    }
    auto pkgs = base::TempDir::create("graft-conformance-pkgs-");
    ASSERT_TRUE(pkgs.has_value());
    pkgs_ = std::move(*pkgs);
  }
  // The zlib record of `fn` from the channel's repodata, fetched through the repodata cache.
  conda::PackageRecord zlib_record(PackageCache& cache, const std::string& fn) {
    const std::string channel_url = "file://" + kChannel.string();
    const std::vector<SubdirSource> sources = {{.channel_url = channel_url, .subdir = "linux-64"},
                                               {.channel_url = channel_url, .subdir = "noarch"}};
    auto files = fetch_repodata(cache, sources, {.network = NetworkMode::kOffline});
    EXPECT_TRUE(files.has_value()) << files.error().message();
    if (!files) return {};
    auto text = base::read_file((*files)[0].path);
    auto repodata = conda::parse_repodata(
        *text, {.subdir_url = (*files)[0].url, .duplicates = conda::DuplicateArchives::kKeepBoth});
    EXPECT_TRUE(repodata.has_value()) << repodata.error().message();
    for (const conda::PackageRecord& record : repodata->records) {
      if (record.fn == fn) return record;
    }
    ADD_FAILURE() << fn << " not in repodata";
    return {};
  }
  std::optional<base::TempDir> pkgs_;
};

TEST_F(ConformanceTest, RealZlibPackagesInBothFormatsAreFetchedAndVerified) {
  for (const std::string fn : {"zlib-1.2.11-h7b6447c_3.conda", "zlib-1.2.11-h7b6447c_3.tar.bz2"}) {
    SCOPED_TRACE(fn);
    const fs::path pkgs = pkgs_->path() / fn;  // one cache per format: same extracted name
    auto cache = PackageCache::open({pkgs});
    ASSERT_TRUE(cache.has_value());
    const conda::PackageRecord record = zlib_record(*cache, fn);
    ASSERT_FALSE(record.sha256.empty());
    auto dir = fetch_package(*cache, record);
    ASSERT_TRUE(dir.has_value()) << dir.error().message();
    EXPECT_EQ(*dir, pkgs / "zlib-1.2.11-h7b6447c_3");
    EXPECT_TRUE(fs::exists(*dir / "lib" / "libz.so.1.2.11"));
    EXPECT_TRUE(fs::exists(*dir / "info" / "paths.json"));
    auto written = conda::parse_package_record(
        *base::read_file(*dir / "info" / "repodata_record.json"), "repodata_record.json");
    ASSERT_TRUE(written.has_value());
    EXPECT_EQ(written->sha256, record.sha256);
    EXPECT_EQ(written->md5, record.md5);
    EXPECT_EQ(written->size, record.size);
    EXPECT_EQ(written->fn, fn);
    EXPECT_EQ(written->url, "file://" + (kChannel / "linux-64" / fn).string());
    EXPECT_EQ(written->depends, std::vector<std::string>{"libgcc-ng >=7.3.0"});
    EXPECT_EQ(*base::read_file(pkgs / "urls.txt"), written->url + "\n");
  }
}

TEST_F(ConformanceTest, TamperedDigestIsRejectedAndNothingIsCached) {
  auto cache = PackageCache::open({pkgs_->path()});
  ASSERT_TRUE(cache.has_value());
  conda::PackageRecord record = zlib_record(*cache, "zlib-1.2.11-h7b6447c_3.conda");
  const std::string actual = record.sha256;
  record.sha256 = std::string(64, '0');
  auto dir = fetch_package(*cache, record);
  ASSERT_FALSE(dir.has_value());
  EXPECT_EQ(dir.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(dir.error().message().find("got '" + actual + "'"), std::string::npos);
  EXPECT_FALSE(fs::exists(pkgs_->path() / "zlib-1.2.11-h7b6447c_3.conda"));
  EXPECT_FALSE(fs::exists(pkgs_->path() / "zlib-1.2.11-h7b6447c_3"));
}

}  // namespace
}  // namespace graft::store
