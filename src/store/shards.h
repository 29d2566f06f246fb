// CEP 16 sharded repodata over HTTP: a subdir's shard index (repodata_shards.msgpack.zst),
// fetched and revalidated like repodata.json through the repodata cache, and the shards of
// the names a solve reaches, fetched in parallel and cached by their hash in
// <pkgs>/cache/shards/<sha256>.msgpack.zst (a shard never changes: its name is its hash).
//
// Thread-safety: safe to call concurrently; cache writes are atomic (temp file + rename).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "conda/shards.h"
#include "store/package_cache.h"
#include "store/repodata_cache.h"

namespace graft::store {

struct ShardedSubdir {
  std::string subdir_url;  // "<channel_url>/<subdir>"
  conda::ShardIndex index;
};

// One entry per source: the subdir's shard index, or nullopt when the channel has none
// for it (or the channel is local: file:// channels are read whole). Errors: those of
// fetch_repodata, and kCorrupt ("'<url>' is not valid zstd data", "... is not a shard
// index: ...").
[[nodiscard]] Result<std::vector<std::optional<ShardedSubdir>>> fetch_shard_indexes(
    const PackageCache& cache, std::span<const SubdirSource> sources,
    const RepodataOptions& options = {});

// The shards of `names` (decompressed msgpack, in `names` order; "" for a name the index
// does not have). Cached shards are read (and checked against their hash); the others are
// fetched, at most options.max_parallel at once. Errors: kCorrupt "shard of 'x' from '<subdir
// url>' does not match its hash: ...", kNotFound "the shard index of '<subdir url>' names a
// shard for 'x' that the channel does not have: ...", kUnavailable, kIo.
[[nodiscard]] Result<std::vector<std::string>> fetch_shards(const PackageCache& cache,
                                                            const ShardedSubdir& subdir,
                                                            std::span<const std::string> names,
                                                            const DownloadOptions& options = {});

}  // namespace graft::store
