#include "store/repodata_cache.h"

#include <sys/stat.h>

#include <zlib.h>
#include <zstd.h>
#include <random>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "store/test_http_server.h"
#include "store/test_packages.h"

namespace graft::store {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using testing::list_dir;
using testing::TestHttpServer;

// `bytes` as a zstd frame or a gzip member, for Content-Encoding.
std::string compressed(const std::string& bytes, const std::string& encoding) {
  if (encoding == "zstd") {
    std::string out(ZSTD_compressBound(bytes.size()), '\0');
    out.resize(ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), 3));
    return out;
  }
  z_stream stream{};
  deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // 16: gzip header
  std::string out(deflateBound(&stream, bytes.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

constexpr std::string_view kLinuxRepodata = R"({"info":{"subdir":"linux-64"},"packages":{}})";
constexpr std::string_view kNoarchRepodata = R"({"info":{"subdir":"noarch"},"packages":{}})";

TEST(RepodataCacheKeyTest, MatchesCondasCacheFileNames) {
  // md5 of the subdir URL with a trailing slash, as conda's cache_fn_url computes it.
  EXPECT_EQ(repodata_cache_key("https://conda.anaconda.org/conda-forge/linux-64"), "497deca9");
  EXPECT_EQ(repodata_cache_key("https://conda.anaconda.org/conda-forge/linux-64/"), "497deca9");
  EXPECT_EQ(repodata_cache_key("https://repo.anaconda.com/pkgs/main/noarch"), "3e39a7aa");
  EXPECT_EQ(repodata_cache_key("https://conda.anaconda.org/conda-forge/linux-64",
                               "current_repodata.json"),
            "18414ddb");
}

class RepodataCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto served = base::TempDir::create("graft-rd-served-");
    auto pkgs = base::TempDir::create("graft-rd-pkgs-");
    ASSERT_TRUE(served && pkgs);
    served_ = std::move(*served);
    pkgs_ = std::move(*pkgs);
    write_served("linux-64/repodata.json", kLinuxRepodata);
    write_served("noarch/repodata.json", kNoarchRepodata);
    server_ = std::make_unique<TestHttpServer>(served_->path());
    auto cache = PackageCache::open({pkgs_->path()});
    ASSERT_TRUE(cache.has_value()) << cache.error().message();
    cache_.emplace(std::move(*cache));
    options_.now = start_;
    options_.download.initial_backoff = std::chrono::milliseconds(5);
    options_.download.max_attempts = 2;
  }
  void write_served(const std::string& path, std::string_view content) {
    ASSERT_TRUE(base::make_directories((served_->path() / path).parent_path()));
    ASSERT_TRUE(
        base::write_file_atomic(served_->path() / path, content, base::Durability::kNoFsync));
  }
  SubdirSource source(const std::string& subdir) const {
    return SubdirSource{.channel_url = server_->url("/"), .subdir = subdir, .channel_name = "test"};
  }
  Result<std::vector<RepodataFile>> fetch(std::vector<SubdirSource> sources) {
    return fetch_repodata(*cache_, sources, options_);
  }
  Result<RepodataFile> fetch_one(const std::string& subdir) {
    GRAFT_ASSIGN_OR_RETURN(auto files, fetch({source(subdir)}));
    return files.front();
  }
  nlohmann::ordered_json info_of(const RepodataFile& file) const {
    fs::path info = file.path;
    info.replace_extension(".info.json");
    return nlohmann::ordered_json::parse(*base::read_file(info));
  }

  std::optional<base::TempDir> served_;
  std::optional<base::TempDir> pkgs_;
  std::unique_ptr<TestHttpServer> server_;
  std::optional<PackageCache> cache_;
  RepodataOptions options_;
  std::chrono::system_clock::time_point start_{seconds(1'800'000'000)};
};

TEST_F(RepodataCacheTest, DownloadWritesCondasCacheFiles) {
  server_->set_cache_control("public, max-age=300");
  auto file = fetch_one("linux-64");
  ASSERT_TRUE(file.has_value()) << file.error().message();
  EXPECT_EQ(file->origin, RepodataOrigin::kDownloaded);
  EXPECT_EQ(file->url, server_->url("/linux-64"));
  EXPECT_EQ(file->etag, server_->etag_of("/linux-64/repodata.json"));
  EXPECT_EQ(file->path,
            pkgs_->path() / "cache" / (repodata_cache_key(server_->url("/linux-64")) + ".json"));
  EXPECT_EQ(*base::read_file(file->path), kLinuxRepodata);

  const auto info = info_of(*file);
  std::vector<std::string> keys;
  for (const auto& [key, value] : info.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"url", "etag", "mod", "cache_control", "mtime_ns",
                                            "size", "refresh_ns", "has_zst"}));
  EXPECT_EQ(info["has_zst"]["value"], false);  // the server has no repodata.json.zst
  EXPECT_EQ(info["has_zst"]["last_checked"], "2027-01-15T08:00:00+00:00");
  EXPECT_EQ(info["url"], server_->url("/linux-64"));
  EXPECT_EQ(info["etag"], server_->etag_of("/linux-64/repodata.json"));
  EXPECT_EQ(info["mod"], "Sat, 21 Nov 2026 10:00:00 GMT");
  EXPECT_EQ(info["cache_control"], "public, max-age=300");
  EXPECT_EQ(info["size"], kLinuxRepodata.size());
  struct stat json_stat {};
  ASSERT_EQ(::stat(file->path.c_str(), &json_stat), 0);
  EXPECT_EQ(info["mtime_ns"], json_stat.st_mtim.tv_sec * 1000000000LL + json_stat.st_mtim.tv_nsec);
  EXPECT_EQ(info["refresh_ns"], 1'800'000'000LL * 1000000000LL);
  EXPECT_EQ(list_dir(pkgs_->path() / "cache").size(), 2u);  // no temporaries left
}

TEST_F(RepodataCacheTest, ZstIsFetchedWhenTheChannelHasItAndRevalidatedWithItsEtag) {
  const std::string json = R"({"info":{"subdir":"linux-64"},"packages":{"from-zst":{}}})";
  write_served("linux-64/repodata.json.zst", compressed(json, "zstd"));
  options_.local_repodata_ttl = 0;
  auto file = fetch_one("linux-64");
  ASSERT_TRUE(file.has_value()) << file.error().message();
  EXPECT_EQ(*base::read_file(file->path), json);
  EXPECT_EQ(server_->requests("/linux-64/repodata.json"), 0);
  EXPECT_EQ(info_of(*file)["etag"], server_->etag_of("/linux-64/repodata.json.zst"));
  EXPECT_EQ(info_of(*file)["has_zst"]["value"], true);
  auto again = fetch_one("linux-64");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->origin, RepodataOrigin::kRevalidated);
  EXPECT_EQ(server_->requests("/linux-64/repodata.json.zst"), 2);
  EXPECT_EQ(list_dir(pkgs_->path() / "cache").size(), 2u);  // no temporaries left
}

TEST_F(RepodataCacheTest, AChannelWithoutZstIsNotAskedForItAgain) {
  options_.local_repodata_ttl = 0;
  ASSERT_TRUE(fetch_one("linux-64"));
  ASSERT_TRUE(fetch_one("linux-64"));
  EXPECT_EQ(server_->requests("/linux-64/repodata.json.zst"), 1);
  EXPECT_EQ(server_->requests("/linux-64/repodata.json"), 2);
}

TEST_F(RepodataCacheTest, AZstBombIsRefused) {
  write_served("linux-64/repodata.json.zst",
               compressed("{" + std::string(200 << 20, ' ') + "}", "zstd"));
  auto files = fetch({source("linux-64")});
  ASSERT_FALSE(files.has_value());
  EXPECT_EQ(files.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(files.error().message(),
            "fetching repodata of 'test/linux-64': '" +
                server_->url("/linux-64/repodata.json.zst") +
                "' expands to more than 100 times its size: refused as a decompression bomb");
  EXPECT_TRUE(list_dir(cache_->repodata_dir()).empty());
  write_served("linux-64/repodata.json.zst", "not zstd");
  files = fetch({source("linux-64")});
  ASSERT_FALSE(files.has_value());
  EXPECT_NE(files.error().message().find("is not valid zstd data"), std::string::npos);
  EXPECT_TRUE(list_dir(cache_->repodata_dir()).empty());
}

TEST_F(RepodataCacheTest, FreshCacheIsUsedThenRevalidatedWithEtag) {
  server_->set_cache_control("max-age=300");
  ASSERT_TRUE(fetch_one("linux-64"));
  options_.now = start_ + seconds(200);
  auto fresh = fetch_one("linux-64");
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->origin, RepodataOrigin::kCached);
  EXPECT_EQ(fresh->etag, server_->etag_of("/linux-64/repodata.json"));  // keys the index cache
  EXPECT_EQ(server_->requests("/linux-64/repodata.json"), 1);

  options_.now = start_ + seconds(400);
  auto revalidated = fetch_one("linux-64");
  ASSERT_TRUE(revalidated.has_value()) << revalidated.error().message();
  EXPECT_EQ(revalidated->origin, RepodataOrigin::kRevalidated);
  EXPECT_EQ(server_->not_modified_count(), 1);
  EXPECT_EQ(info_of(*revalidated)["refresh_ns"], (1'800'000'000LL + 400) * 1000000000LL);
  EXPECT_EQ(info_of(*revalidated)["etag"], server_->etag_of("/linux-64/repodata.json"));

  options_.now = start_ + seconds(500);  // fresh again after the 304
  EXPECT_EQ(fetch_one("linux-64")->origin, RepodataOrigin::kCached);
  EXPECT_EQ(server_->requests("/linux-64/repodata.json"), 2);
}

TEST_F(RepodataCacheTest, TtlZeroAlwaysRevalidatesAndNewContentIsDownloaded) {
  options_.local_repodata_ttl = 0;
  ASSERT_TRUE(fetch_one("linux-64"));
  EXPECT_EQ(fetch_one("linux-64")->origin, RepodataOrigin::kRevalidated);
  const std::string changed = R"({"info":{"subdir":"linux-64"},"packages":{"a":{}}})";
  write_served("linux-64/repodata.json", changed);
  auto file = fetch_one("linux-64");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->origin, RepodataOrigin::kDownloaded);
  EXPECT_EQ(*base::read_file(file->path), changed);
  EXPECT_EQ(server_->requests("/linux-64/repodata.json"), 3);
}

TEST_F(RepodataCacheTest, StateOutOfSyncWithJsonForcesFullDownload) {
  options_.local_repodata_ttl = 0;
  auto first = fetch_one("linux-64");
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(base::write_file_atomic(first->path, "{\"edited\": 1}",
                                      base::Durability::kNoFsync));  // size changes
  auto again = fetch_one("linux-64");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->origin, RepodataOrigin::kDownloaded);  // no If-None-Match was sent
  EXPECT_EQ(server_->not_modified_count(), 0);
  EXPECT_EQ(*base::read_file(again->path), kLinuxRepodata);
}

TEST_F(RepodataCacheTest, OfflineUsesStaleCacheAndNamesWhatIsMissing) {
  ASSERT_TRUE(fetch_one("linux-64"));
  options_.network = NetworkMode::kOffline;
  options_.now = start_ + seconds(1'000'000);
  auto cached = fetch_one("linux-64");
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->origin, RepodataOrigin::kCached);
  EXPECT_EQ(server_->requests("/linux-64/repodata.json"), 1);

  auto missing = fetch({source("linux-64"), source("noarch"), source("osx-arm64")});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message(),
            "no cached repodata for 'test/noarch', 'test/osx-arm64': offline mode uses only "
            "the cache in '" +
                (pkgs_->path() / "cache").string() + "'");
  EXPECT_EQ(missing.error().hint(), "run once without --offline to fill the cache");
  EXPECT_EQ(server_->requests("/noarch/repodata.json"), 0);
}

TEST_F(RepodataCacheTest, MissingPlatformSubdirIsEmptyButMissingNoarchIsAnError) {
  auto files = fetch({source("osx-arm64"), source("noarch")});
  ASSERT_TRUE(files.has_value()) << files.error().message();
  EXPECT_EQ((*files)[0].origin, RepodataOrigin::kMissingSubdir);
  EXPECT_EQ(*base::read_file((*files)[0].path), "{}");
  EXPECT_EQ((*files)[1].origin, RepodataOrigin::kDownloaded);

  ASSERT_TRUE(base::remove_tree(served_->path() / "noarch"));
  options_.local_repodata_ttl = 0;
  auto missing = fetch_one("noarch");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message(), "channel 'test' is not available: '" +
                                           server_->url("/noarch/repodata.json") +
                                           "' not found (HTTP 404)");
}

TEST_F(RepodataCacheTest, ServerErrorKeepsTheCachedCopy) {
  ASSERT_TRUE(fetch_one("linux-64"));
  options_.local_repodata_ttl = 0;
  server_->fail_next("/linux-64/repodata.json", 10, 500);
  auto failed = fetch_one("linux-64");
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(failed.error().message(), "fetching repodata of 'test/linux-64': downloading '" +
                                          server_->url("/linux-64/repodata.json") +
                                          "' failed after 2 attempts: HTTP 500");
  const fs::path json =
      pkgs_->path() / "cache" / (repodata_cache_key(server_->url("/linux-64")) + ".json");
  EXPECT_EQ(*base::read_file(json), kLinuxRepodata);
  EXPECT_EQ(list_dir(pkgs_->path() / "cache").size(), 2u);
}

TEST_F(RepodataCacheTest, FileChannelIsReadOnlineAndOfflineAndRechecked) {
  const std::string channel_url = "file://" + served_->path().string();
  std::vector<SubdirSource> sources = {{.channel_url = channel_url, .subdir = "linux-64"},
                                       {.channel_url = channel_url, .subdir = "noarch"},
                                       {.channel_url = channel_url, .subdir = "win-64"}};
  options_.network = NetworkMode::kOffline;  // local channels work offline
  auto files = fetch(sources);
  ASSERT_TRUE(files.has_value()) << files.error().message();
  EXPECT_EQ((*files)[0].origin, RepodataOrigin::kDownloaded);
  EXPECT_EQ(*base::read_file((*files)[1].path), kNoarchRepodata);
  EXPECT_EQ((*files)[2].origin, RepodataOrigin::kMissingSubdir);
  struct stat served_stat {};
  struct stat cached_stat {};
  ASSERT_EQ(::stat((served_->path() / "noarch/repodata.json").c_str(), &served_stat), 0);
  ASSERT_EQ(::stat((*files)[1].path.c_str(), &cached_stat), 0);
  EXPECT_EQ(cached_stat.st_ino, served_stat.st_ino);  // linked, not copied (one filesystem)
  write_served("noarch/repodata.json", "{}");  // replaced by rename: the cache keeps its copy
  EXPECT_EQ(*base::read_file((*files)[1].path), kNoarchRepodata);
  auto changed = fetch(sources);
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ((*changed)[1].origin, RepodataOrigin::kDownloaded);
  EXPECT_EQ(*base::read_file((*changed)[1].path), "{}");
  auto again = fetch(sources);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ((*again)[0].origin, RepodataOrigin::kRevalidated);

  ASSERT_TRUE(base::remove_tree(served_->path() / "noarch"));
  auto missing = fetch(sources);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(),
            "channel '" + channel_url + "' is not available: '" + channel_url +
                "/noarch/repodata.json' not found: No such file or directory");
}

TEST_F(RepodataCacheTest, ResponseThatExpandsPastTheLimitIsRefusedAfterDecoding) {
  EXPECT_EQ(RepodataOptions{}.max_bytes, kMaxRepodataBytes);
  const std::string path = "/linux-64/repodata.json";
  const std::string expanded = "{" + std::string(16 << 20, ' ') + "}";
  options_.max_bytes = 1 << 20;
  for (const std::string encoding : {"gzip", "zstd"}) {
    SCOPED_TRACE(encoding);
    const std::string body = compressed(expanded, encoding);
    ASSERT_LT(body.size(), 100'000u);
    server_->set_body(path, body);
    server_->set_header(path, "Content-Encoding: " + encoding);
    auto files = fetch({source("linux-64")});
    ASSERT_FALSE(files.has_value());
    EXPECT_EQ(files.error().code(), ErrorCode::kCorrupt);
    EXPECT_EQ(files.error().message(), "fetching repodata of 'test/linux-64': '" +
                                           server_->url(path) +
                                           "' is larger than the limit of 1048576 bytes");
    EXPECT_TRUE(list_dir(cache_->repodata_dir()).empty());
  }
}

// A decompression bomb (issue 10, item 7: an 860 KB gzip repodata became 1 GB and 3.1 GB of
// memory) is refused by its compression ratio, well before the absolute limit.
TEST_F(RepodataCacheTest, DecompressionBombIsRefusedByItsRatio) {
  const std::string path = "/linux-64/repodata.json";
  const std::string expanded = "{" + std::string(200 << 20, ' ') + "}";
  for (const std::string encoding : {"gzip", "zstd"}) {
    SCOPED_TRACE(encoding);
    const std::string body = compressed(expanded, encoding);
    ASSERT_LT(body.size(), 1'000'000u);
    server_->set_body(path, body);
    server_->set_header(path, "Content-Encoding: " + encoding);
    auto files = fetch({source("linux-64")});
    ASSERT_FALSE(files.has_value());
    EXPECT_EQ(files.error().code(), ErrorCode::kCorrupt);
    EXPECT_NE(files.error().message().find("refused as a decompression bomb"), std::string::npos)
        << files.error().message();
    EXPECT_TRUE(list_dir(cache_->repodata_dir()).empty());
  }
  // A large file that compresses as real repodata does is fetched whole.
  std::string realistic;
  realistic.reserve(80 << 20);
  realistic += "{\"packages\": {";
  std::mt19937_64 random(11);
  for (int i = 0; realistic.size() < (80u << 20); ++i) {
    const std::uint64_t build = random();
    realistic += fmt::format(
        "\"pkg-{0}-1.{1}-h{2:08x}_0.tar.bz2\": {{\"name\": \"pkg-{0}\", "
        "\"version\": \"1.{1}\", \"build\": \"h{2:08x}_0\", "
        "\"md5\": \"{3:016x}{4:016x}\"}},\n",
        i % 5000, i % 97, build & 0xffffffffu, random(), random());
  }
  realistic += "\"last\": {}}}";
  server_->set_body(path, compressed(realistic, "zstd"));
  server_->set_header(path, "Content-Encoding: zstd");
  auto files = fetch({source("linux-64")});
  ASSERT_TRUE(files.has_value()) << files.error().message();
}

}  // namespace
}  // namespace graft::store
