// CEP 16 sharded repodata: the shard index (repodata_shards.msgpack.zst: {"version": 1,
// "info": {"subdir", "base_url", "shards_base_url", ...}, "shards": {name: sha256 as 32
// bytes}}) and the shards (<sha256>.msgpack.zst, named by the SHA-256 of the compressed
// file: {"packages": {fn: record}, "packages.conda": {fn: record}, "removed": [fn]}, each
// record as in repodata.json but md5 and sha256 as bytes). Both are msgpack in zstd.
//
// The reader turns shards into repodata.json text, so that their records are built by
// parse_repodata() and are the records the same channel's repodata.json gives. msgpack is
// read and written with nlohmann::json (already graft's JSON library), which implements
// the whole format.
//
// Pure (bytes in, bytes out) and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace graft::conda {

struct ShardIndex {
  std::string subdir;           // info.subdir
  std::string base_url;         // info.base_url: where packages are; "" = the subdir itself
  std::string shards_base_url;  // info.shards_base_url; "" = "./shards/"
  // name -> lowercase hex SHA-256 of its shard, sorted by name.
  std::vector<std::pair<std::string, std::string>> shards;

  // The hash of `name`'s shard, or nullptr.
  [[nodiscard]] const std::string* shard_of(std::string_view name) const;
};

// Reads a shard index (the decompressed msgpack). Errors (kCorrupt): "'<source>' is not a
// shard index: <reason>".
[[nodiscard]] Result<ShardIndex> read_shard_index(std::string_view msgpack,
                                                  std::string_view source);

// Records of several shards gathered as the entries of repodata.json's two sections.
struct ShardRecords {
  std::string packages;  // `"fn": {...}` entries, comma-separated
  std::string conda;
};

// Adds the records of one shard (the decompressed msgpack) to `out`. Errors (kCorrupt):
// "'<source>' is not a shard: <reason>".
[[nodiscard]] Status add_shard(std::string_view msgpack, std::string_view source,
                               ShardRecords& out);

// A repodata.json document of `records` as `index`'s subdir serves them (info.base_url
// when the index has one that is not "./").
[[nodiscard]] std::string shard_repodata(const ShardIndex& index, const ShardRecords& records);

// A channel subdir's repodata.json split into shards, as `graft index --shards` writes it.
struct ShardedRepodata {
  std::string index;                                        // repodata_shards.msgpack.zst
  std::vector<std::pair<std::string, std::string>> shards;  // hex SHA-256 -> .msgpack.zst bytes
};

// Errors: kCorrupt (the JSON does not parse), kInternal (zstd failed).
[[nodiscard]] Result<ShardedRepodata> make_shards(std::string_view repodata_json);

}  // namespace graft::conda
