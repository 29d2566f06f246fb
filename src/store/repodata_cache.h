// Fetching a channel's repodata.json with conda's cache: `<pkgs>/cache/<key>.json` holds
// the bytes as served, `<pkgs>/cache/<key>.info.json` the state conda (>= 23.1) and mamba
// share: {"url", "etag", "mod", "cache_control", "mtime_ns", "size", "refresh_ns"}, where
// key is the first 8 hex digits of md5("<subdir url>/") and mtime_ns/size tie the state
// to the .json file (a mismatch voids etag/mod, as in conda).
//
// Freshness follows conda's local_repodata_ttl: 1 (default) = the cached copy is fresh for
// Cache-Control max-age seconds after the last check, 0 = always revalidate, N > 1 = N
// seconds. Stale copies are revalidated with If-None-Match / If-Modified-Since; a 304 only
// updates refresh_ns. `file://` channels are always re-checked (a cheap stat), online or
// offline, like conda.
//
// Missing repodata (HTTP 404/410 or no file): for a platform subdir ("linux-64", ...) it
// counts as an empty subdir and "{}" is cached, as conda does, since most channels carry
// only some platforms; for "noarch", which every channel has, it is an error
// ("channel 'x' is not available"), as in conda without allow_non_channel_urls.
//
// Thread-safety: safe to call concurrently; cache writes take the PackageCache's lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/download.h"
#include "store/package_cache.h"

namespace graft::store {

// The most bytes a repodata file may have, decoded: several times the largest channel
// subdir (conda-forge's linux-64 is a few hundred MB), far below what a small compressed
// response can expand to.
inline constexpr std::uint64_t kMaxRepodataBytes = 2ull << 30;
// The most a compressed repodata response may expand (real ones: about 5-15 times; an 860
// KB gzip of 1 GB of spaces: over 1,000).
inline constexpr std::uint64_t kMaxRepodataExpansion = 100;

struct RepodataOptions {
  // kOffline never touches the network: cached repodata is used however old it is, and
  // what is not cached is an error naming each channel/subdir.
  NetworkMode network = NetworkMode::kOnline;
  // conda's local_repodata_ttl (see above).
  std::int64_t local_repodata_ttl = 1;
  std::string repodata_fn = "repodata.json";
  // A response larger than this once decoded is refused (kCorrupt) and never cached.
  std::uint64_t max_bytes = kMaxRepodataBytes;
  // A missing file counts as an empty subdir for noarch too (for optional files such as
  // CEP 16 shard indexes: "{}" is cached and the origin is kMissingSubdir).
  bool missing_is_empty = false;
  DownloadOptions download;
  // The current time; nullopt = the system clock. Tests pass a fixed time.
  std::optional<std::chrono::system_clock::time_point> now;
};

struct SubdirSource {
  std::string channel_url;   // "https://conda.anaconda.org/conda-forge", "file:///srv/ch"
  std::string subdir;        // "linux-64", "noarch", ...
  std::string channel_name;  // shown in errors; channel_url when empty
};

enum class RepodataOrigin {
  kDownloaded,     // fetched in full now
  kRevalidated,    // the server (or file) said unchanged: the cached copy is current
  kCached,         // fresh enough (or offline): no request made
  kMissingSubdir,  // the channel has no such platform subdir: "{}" (empty) is cached
};

struct RepodataFile {
  std::filesystem::path path;  // the cached repodata bytes: `<pkgs>/cache/<key>.json`
  std::string url;             // the subdir URL, "<channel_url>/<subdir>"
  RepodataOrigin origin = RepodataOrigin::kCached;
  std::string etag;  // the ETag the cached bytes were served with; "" when unknown
};

// One file per source, in order. Errors: kNotFound (noarch missing: "channel 'x' is not
// available: ..."; offline without a cached copy: "no cached repodata for ... (offline)",
// naming every missing channel/subdir), kUnavailable (network), kCorrupt, kIo.
[[nodiscard]] Result<std::vector<RepodataFile>> fetch_repodata(
    const PackageCache& cache, std::span<const SubdirSource> sources,
    const RepodataOptions& options = {});

// conda's cache_fn_url without the ".json": md5("<subdir_url>/" + fn if fn is not
// "repodata.json"), first 8 hex digits.
[[nodiscard]] std::string repodata_cache_key(std::string_view subdir_url,
                                             std::string_view repodata_fn = "repodata.json");

}  // namespace graft::store
