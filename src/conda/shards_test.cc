#include "conda/shards.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/hash.h"
#include "base/zstd.h"
#include "conda/generated_channel.h"
#include "conda/repodata.h"

namespace graft::conda {
namespace {

const RepodataSource kSource{.subdir_url = "https://example.com/c/linux-64"};

std::string decompressed(const std::string& bytes) {
  auto out = base::zstd_decompress(bytes, "test");
  EXPECT_TRUE(out.has_value());
  return out ? *out : std::string();
}

TEST(ShardsTest, ShardsGiveTheRecordsOfTheJson) {
  const GeneratedChannel channel =
      generate_channel({.seed = 3, .platform_records = 1500, .noarch_records = 300});
  auto sharded = make_shards(channel.platform_json);
  ASSERT_TRUE(sharded.has_value()) << sharded.error().message();
  auto index = read_shard_index(decompressed(sharded->index), "index");
  ASSERT_TRUE(index.has_value()) << index.error().message();
  EXPECT_EQ(index->subdir, "linux-64");
  EXPECT_EQ(index->shards_base_url, "./shards/");
  ASSERT_EQ(index->shards.size(), sharded->shards.size());
  ShardRecords records;
  for (const auto& [hash, bytes] : sharded->shards) {
    EXPECT_EQ(base::sha256_hex(bytes), hash);  // named by the hash of the compressed file
    ASSERT_TRUE(add_shard(decompressed(bytes), hash, records).has_value());
  }
  auto from_shards = parse_repodata(shard_repodata(*index, records), kSource);
  auto from_json = parse_repodata(channel.platform_json, kSource);
  ASSERT_TRUE(from_shards.has_value()) << from_shards.error().message();
  ASSERT_TRUE(from_json.has_value());
  auto by_fn = [](std::vector<PackageRecord> records) {
    std::sort(records.begin(), records.end(),
              [](const auto& a, const auto& b) { return a.fn < b.fn; });
    return records;
  };
  EXPECT_EQ(by_fn(from_shards->records), by_fn(from_json->records));
  const std::string* python = index->shard_of("python");
  ASSERT_NE(python, nullptr);
  EXPECT_EQ(index->shard_of("no-such-name"), nullptr);
}

// What msgpack-c writes reads back with another msgpack implementation (nlohmann's):
// CEP 16's layout, digests as 32 raw bytes.
TEST(ShardsTest, TheIndexIsStandardMsgpackInCep16sLayout) {
  const GeneratedChannel channel =
      generate_channel({.seed = 4, .platform_records = 200, .noarch_records = 10});
  auto sharded = make_shards(channel.platform_json);
  ASSERT_TRUE(sharded.has_value()) << sharded.error().message();
  const std::string bytes = decompressed(sharded->index);
  const auto index = nlohmann::json::from_msgpack(bytes.begin(), bytes.end(), true, false);
  ASSERT_FALSE(index.is_discarded());
  EXPECT_EQ(index["version"], 1);
  EXPECT_EQ(index["info"]["shards_base_url"], "./shards/");
  ASSERT_FALSE(index["shards"].empty());
  for (const auto& [name, hash] : index["shards"].items()) {
    ASSERT_TRUE(hash.is_binary()) << name;
    EXPECT_EQ(hash.get_binary().size(), 32u) << name;
  }
  const std::string shard = decompressed(sharded->shards.front().second);
  const auto first = nlohmann::json::from_msgpack(shard.begin(), shard.end(), true, false);
  ASSERT_FALSE(first.is_discarded());
  EXPECT_TRUE(first.contains("packages") && first.contains("packages.conda"));
}

// Found by the sanitizer job's fuzzing: msgpack-c allocates what a header declares, so a
// map of 2^32-1 entries in five bytes asked for 128 GB. Sizes are checked against the bytes
// left first.
TEST(ShardsTest, DeclaredSizesBeyondTheInputAreRefusedBeforeAllocating) {
  for (const std::string& bytes :
       {std::string("\xdf\xff\xff\xff\xff", 5), std::string("\xdd\xff\xff\xff\xff\x01", 6),
        std::string("\xdb\xff\xff\xff\xff", 5), std::string("\x92\x01", 2)}) {
    auto index = read_shard_index(bytes, "index");
    ASSERT_FALSE(index.has_value());
    EXPECT_EQ(index.error().message(), "'index' is not a shard index: not msgpack data");
  }
}

TEST(ShardsTest, BadShardsAreClearErrors) {
  using Json = nlohmann::json;
  const auto msgpack = [](const Json& value) {
    auto bytes = Json::to_msgpack(value);
    return std::string(bytes.begin(), bytes.end());
  };
  const struct {
    std::string bytes;
    std::string error;
  } tests[] = {
      {"\xc1", "'s' is not a shard: not msgpack data"},
      {msgpack(Json::array()), "'s' is not a shard: expected a map"},
      {msgpack({{"packages", 5}}), "'s' is not a shard: 'packages' is not a map"},
      {msgpack({{"packages.conda", {{"a-1-0.conda", 1}}}}),
       "'s' is not a shard: record 'a-1-0.conda' is not a map"},
  };
  for (const auto& test : tests) {
    ShardRecords records;
    auto added = add_shard(test.bytes, "s", records);
    ASSERT_FALSE(added.has_value()) << test.error;
    EXPECT_EQ(added.error().code(), ErrorCode::kCorrupt);
    EXPECT_EQ(added.error().message(), test.error);
  }
  auto index = read_shard_index(msgpack({{"shards", {{"a", Json::binary({1, 2, 3})}}}}), "i");
  ASSERT_FALSE(index.has_value());
  EXPECT_EQ(index.error().message(), "'i' is not a shard index: the hash of 'a' is not 32 bytes");
  index = read_shard_index(msgpack({{"info", Json::object()}}), "i");
  ASSERT_FALSE(index.has_value());
  EXPECT_EQ(index.error().message(), "'i' is not a shard index: no 'shards' map");
}

}  // namespace
}  // namespace graft::conda
