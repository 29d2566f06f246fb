#include "store/shards.h"

#include "base/fs.h"
#include "base/hash.h"
#include "base/zstd.h"
#include "conda/repodata.h"
#include "store/download.h"
#include "store/url.h"

namespace graft::store {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kIndexName = "repodata_shards.msgpack.zst";

base::ZstdLimits repodata_limits() {
  return {.max_bytes = kMaxRepodataBytes,
          .max_expansion = kMaxRepodataExpansion,
          .expansion_floor = kExpansionFloor};
}

Result<std::optional<ShardedSubdir>> read_index(const RepodataFile& file,
                                                const SubdirSource& source) {
  if (file.origin == RepodataOrigin::kMissingSubdir) return std::optional<ShardedSubdir>();
  GRAFT_ASSIGN_OR_RETURN(std::string compressed, base::read_file(file.path));
  if (compressed == "{}") return std::optional<ShardedSubdir>();  // cached as missing
  const std::string url = join_url(file.url, kIndexName);
  GRAFT_ASSIGN_OR_RETURN(std::string msgpack,
                         base::zstd_decompress(compressed, url, repodata_limits()));
  GRAFT_ASSIGN_OR_RETURN(conda::ShardIndex index, conda::read_shard_index(msgpack, url));
  if (index.subdir.empty()) index.subdir = source.subdir;
  return ShardedSubdir{.subdir_url = file.url, .index = std::move(index)};
}

fs::path shard_path(const PackageCache& cache, const std::string& hash) {
  return cache.repodata_dir() / "shards" / (hash + ".msgpack.zst");
}

std::string shard_url(const ShardedSubdir& subdir, const std::string& hash) {
  const std::string& base = subdir.index.shards_base_url.empty() ? std::string("./shards/")
                                                                 : subdir.index.shards_base_url;
  return conda::resolve_package_url(subdir.subdir_url, base, hash + ".msgpack.zst");
}

// The cached shard, when it is there and still matches its hash.
std::optional<std::string> cached_shard(const fs::path& path, const std::string& hash) {
  auto bytes = base::read_file(path);
  if (!bytes) return std::nullopt;
  if (base::sha256_hex(*bytes) == hash) return std::move(*bytes);
  (void)base::remove_tree(path);  // damaged: fetched again
  return std::nullopt;
}

Error shard_error(const Error& error, const ShardedSubdir& subdir, const std::string& name) {
  if (error.code() == ErrorCode::kNotFound) {
    return Error(ErrorCode::kNotFound, "the shard index of '" + subdir.subdir_url +
                                           "' names a shard for '" + name +
                                           "' that the channel does not have: " + error.message());
  }
  if (error.code() == ErrorCode::kCorrupt) {
    return Error(ErrorCode::kCorrupt, "shard of '" + name + "' from '" + subdir.subdir_url +
                                          "' does not match its hash: " + error.message());
  }
  return Error(error).with_context("fetching the shard of '" + name + "' from '" +
                                   subdir.subdir_url + "'");
}

}  // namespace

Result<std::vector<std::optional<ShardedSubdir>>> fetch_shard_indexes(
    const PackageCache& cache, std::span<const SubdirSource> sources,
    const RepodataOptions& options) {
  std::vector<std::optional<ShardedSubdir>> out(sources.size());
  std::vector<SubdirSource> remote;
  std::vector<std::size_t> owner;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (!is_remote_url(sources[i].channel_url)) continue;
    remote.push_back(sources[i]);
    owner.push_back(i);
  }
  if (remote.empty()) return out;
  RepodataOptions index_options = options;
  index_options.repodata_fn = std::string(kIndexName);
  index_options.missing_is_empty = true;
  GRAFT_ASSIGN_OR_RETURN(auto files, fetch_repodata(cache, remote, index_options));
  for (std::size_t k = 0; k < files.size(); ++k) {
    GRAFT_ASSIGN_OR_RETURN(out[owner[k]], read_index(files[k], remote[k]));
  }
  return out;
}

Result<std::vector<std::string>> fetch_shards(const PackageCache& cache,
                                              const ShardedSubdir& subdir,
                                              std::span<const std::string> names,
                                              const DownloadOptions& options) {
  std::vector<std::string> compressed(names.size());
  std::vector<DownloadRequest> requests;
  std::vector<std::size_t> requested;  // requests[k] is for names[requested[k]]
  GRAFT_RETURN_IF_ERROR(base::make_directories(cache.repodata_dir() / "shards"));
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string* hash = subdir.index.shard_of(names[i]);
    if (hash == nullptr) continue;
    const fs::path path = shard_path(cache, *hash);
    if (auto cached = cached_shard(path, *hash)) {
      compressed[i] = std::move(*cached);
      continue;
    }
    requests.push_back({.url = shard_url(subdir, *hash),
                        .destination = path,
                        .expected_sha256 = *hash,
                        .max_bytes = kMaxRepodataBytes,
                        .label = names[i]});
    requested.push_back(i);
  }
  const auto results = download_all(requests, options);
  for (std::size_t k = 0; k < results.size(); ++k) {
    const std::string& name = names[requested[k]];
    if (!results[k]) return fail(shard_error(results[k].error(), subdir, name));
    GRAFT_ASSIGN_OR_RETURN(compressed[requested[k]], base::read_file(requests[k].destination));
  }
  std::vector<std::string> out(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (compressed[i].empty()) continue;
    GRAFT_ASSIGN_OR_RETURN(
        out[i],
        base::zstd_decompress(compressed[i], shard_url(subdir, *subdir.index.shard_of(names[i])),
                              repodata_limits()));
  }
  return out;
}

}  // namespace graft::store
