#include "store/shards.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "base/fs.h"
#include "base/zstd.h"
#include "conda/shards.h"
#include "store/test_http_server.h"

namespace graft::store {
namespace {

using testing::TestHttpServer;

constexpr std::string_view kRepodata = R"({"info": {"subdir": "noarch"},
  "packages.conda": {"a-1-0.conda": {"name": "a", "version": "1", "build": "0", "depends": ["b"]},
                     "b-1-0.conda": {"name": "b", "version": "1", "build": "0"}}})";

class ShardsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto served = base::TempDir::create("graft-shards-served-");
    auto pkgs = base::TempDir::create("graft-shards-pkgs-");
    ASSERT_TRUE(served && pkgs);
    served_.emplace(std::move(*served));
    pkgs_.emplace(std::move(*pkgs));
    auto sharded = conda::make_shards(kRepodata);
    ASSERT_TRUE(sharded.has_value());
    for (const auto& [hash, bytes] : sharded->shards)
      write("noarch/shards/" + hash + ".msgpack.zst", bytes);
    write("noarch/repodata_shards.msgpack.zst", sharded->index);
    server_ = std::make_unique<TestHttpServer>(served_->path());
    auto cache = PackageCache::open({pkgs_->path()});
    ASSERT_TRUE(cache.has_value());
    cache_.emplace(std::move(*cache));
  }
  void write(const std::string& path, std::string_view bytes) {
    ASSERT_TRUE(base::make_directories((served_->path() / path).parent_path()).has_value());
    ASSERT_TRUE(base::write_file_atomic(served_->path() / path, bytes).has_value());
  }
  std::optional<ShardedSubdir> index() {
    const SubdirSource source{.channel_url = server_->url(""), .subdir = "noarch"};
    auto indexes = fetch_shard_indexes(*cache_, std::span(&source, 1));
    EXPECT_TRUE(indexes.has_value()) << indexes.error().message();
    return indexes ? (*indexes)[0] : std::nullopt;
  }
  std::string shard_path(const ShardedSubdir& subdir, const std::string& name) const {
    return "/noarch/shards/" + *subdir.index.shard_of(name) + ".msgpack.zst";
  }

  std::optional<base::TempDir> served_;
  std::optional<base::TempDir> pkgs_;
  std::unique_ptr<TestHttpServer> server_;
  std::optional<PackageCache> cache_;
};

TEST_F(ShardsTest, FetchesAskedShardsOnceThenReadsThemFromTheCache) {
  auto subdir = index();
  ASSERT_TRUE(subdir.has_value());
  const std::vector<std::string> names = {"a", "missing"};
  auto shards = fetch_shards(*cache_, *subdir, names);
  ASSERT_TRUE(shards.has_value()) << shards.error().message();
  ASSERT_EQ(shards->size(), 2u);
  EXPECT_FALSE((*shards)[0].empty());
  EXPECT_TRUE((*shards)[1].empty());
  EXPECT_EQ(server_->requests(shard_path(*subdir, "a")), 1);
  EXPECT_EQ(server_->requests(shard_path(*subdir, "b")), 0);
  ASSERT_TRUE(fetch_shards(*cache_, *subdir, names).has_value());
  EXPECT_EQ(server_->requests(shard_path(*subdir, "a")), 1);  // cached by its hash
  // A damaged cached shard is fetched again.
  const auto cached =
      cache_->repodata_dir() / "shards" / (*subdir->index.shard_of("a") + ".msgpack.zst");
  ASSERT_TRUE(base::write_file_atomic(cached, "damaged").has_value());
  auto again = fetch_shards(*cache_, *subdir, names);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ((*again)[0], (*shards)[0]);
  EXPECT_EQ(server_->requests(shard_path(*subdir, "a")), 2);
}

TEST_F(ShardsTest, AChannelWithoutShardsHasNoIndex) {
  std::filesystem::remove(served_->path() / "noarch/repodata_shards.msgpack.zst");
  auto subdir = index();
  EXPECT_FALSE(subdir.has_value());
}

TEST_F(ShardsTest, ADamagedIndexIsAClearError) {
  write("noarch/repodata_shards.msgpack.zst", *base::zstd_compress("not msgpack"));
  const SubdirSource source{.channel_url = server_->url(""), .subdir = "noarch"};
  auto indexes = fetch_shard_indexes(*cache_, std::span(&source, 1));
  ASSERT_FALSE(indexes.has_value());
  EXPECT_EQ(indexes.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(indexes.error().message(), "'" + server_->url("/noarch/repodata_shards.msgpack.zst") +
                                           "' is not a shard index: not msgpack data");
}

}  // namespace
}  // namespace graft::store
