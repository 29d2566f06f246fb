#include "solve/index_cache.h"

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>

#include "base/fs.h"

namespace graft::solve {
namespace {

conda::RepodataMap sample_map() {
  const std::string json = R"({"info": {"subdir": "noarch"},
    "packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1"}},
    "packages.conda": {"b-1-0.conda": {"name": "b", "version": "1"},
                       "a-1-0.conda": {"name": "a", "version": "1"}},
    "repodata_version": 1})";
  auto map = conda::map_repodata(json, "r.json");
  EXPECT_TRUE(map.has_value());
  return map ? *map : conda::RepodataMap{};
}

class IndexCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = base::TempDir::create("graft-index-cache-");
    ASSERT_TRUE(dir.has_value());
    dir_.emplace(std::move(*dir));
    path_ = dir_->path() / "x.graftmap";
  }
  // What reading the cache gives: "map" or the miss.
  std::string read(const IndexKey& key) const {
    auto read = read_index_cache(path_, key);
    if (!read) return "error: " + read.error().message();
    if (const auto* map = std::get_if<conda::RepodataMap>(&*read)) {
      return *map == sample_map() ? "map" : "a different map";
    }
    return describe(std::get<CacheMiss>(*read));
  }
  void rewrite(const std::string& bytes) const {
    ASSERT_TRUE(base::write_file_atomic(path_, bytes, base::Durability::kNoFsync).has_value());
  }

  std::optional<base::TempDir> dir_;
  std::filesystem::path path_;
  const IndexKey key_{.size = 1234, .mtime_ns = 5678, .etag = "\"abc\""};
};

TEST_F(IndexCacheTest, ReadsWhatItWrote) {
  EXPECT_EQ(read(key_), "no index cache");
  ASSERT_TRUE(write_index_cache(path_, key_, sample_map()).has_value());
  EXPECT_EQ(read(key_), "map");
}

TEST_F(IndexCacheTest, AnotherKeyIsStale) {
  ASSERT_TRUE(write_index_cache(path_, key_, sample_map()).has_value());
  for (IndexKey other : {IndexKey{.size = 1235, .mtime_ns = 5678, .etag = "\"abc\""},
                         IndexKey{.size = 1234, .mtime_ns = 5679, .etag = "\"abc\""},
                         IndexKey{.size = 1234, .mtime_ns = 5678, .etag = ""}}) {
    EXPECT_EQ(read(other), "index cache of an older repodata");
  }
}

TEST_F(IndexCacheTest, AnotherFormatVersionIsNotRead) {
  ASSERT_TRUE(write_index_cache(path_, key_, sample_map()).has_value());
  auto bytes = base::read_file(path_);
  ASSERT_TRUE(bytes.has_value());
  const std::uint32_t next = kIndexFormatVersion + 1;
  std::memcpy(bytes->data() + 8, &next, sizeof next);
  rewrite(*bytes);
  EXPECT_EQ(read(key_), "index cache of another format version");
}

TEST_F(IndexCacheTest, EveryTruncationAndEveryFlippedByteIsDetected) {
  ASSERT_TRUE(write_index_cache(path_, key_, sample_map()).has_value());
  auto bytes = base::read_file(path_);
  ASSERT_TRUE(bytes.has_value());
  const std::string good = *bytes;
  for (std::size_t length = 0; length < good.size(); ++length) {
    rewrite(good.substr(0, length));
    const std::string outcome = read(key_);
    EXPECT_TRUE(outcome == "index cache damaged or cut short" ||
                outcome == "index cache of an older repodata")
        << length << ": " << outcome;
  }
  for (std::size_t at = 0; at < good.size(); ++at) {
    std::string damaged = good;
    damaged[at] ^= 0x01;
    rewrite(damaged);
    EXPECT_NE(read(key_), "map") << at;
  }
}

TEST_F(IndexCacheTest, KeyComesFromTheFile) {
  ASSERT_TRUE(base::write_file_atomic(dir_->path() / "r.json", "{}").has_value());
  auto key = index_key(dir_->path() / "r.json", "e");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->size, 2u);
  EXPECT_GT(key->mtime_ns, 0);
  EXPECT_EQ(key->etag, "e");
  auto missing = index_key(dir_->path() / "missing.json");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace graft::solve
