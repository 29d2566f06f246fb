// Getting packages into the cache: the extracted directory of each record, reused when the
// cache already holds it, else extracted from a cached archive, else downloaded (digest
// checked before anything is extracted), extracted in parallel and put in place
// atomically (see package_cache.h).
//
// Thread-safety: concurrent calls (threads or processes) for the same packages are safe;
// each package ends up extracted once in place and every caller gets its directory.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <vector>

#include "base/result.h"
#include "conda/record.h"
#include "store/download.h"
#include "store/package_cache.h"

namespace graft::store {

struct FetchOptions {
  // kOffline: packages must already be in the cache or on a local channel; a record that
  // would need an http(s) download fails with kNotFound naming it.
  NetworkMode network = NetworkMode::kOnline;
  DownloadOptions download;
  // Archives extracted at once; 0 = the number of hardware threads, at most 4.
  std::size_t extract_threads = 0;
};

// The extracted directories of `records`, in order. Records need `url` (or a cached
// archive or extraction) and should carry sha256 or md5; without either the archive is
// trusted as fetched. Errors (the first failing record, in order, with "fetching '<fn>'"
// as context; the message counts further failures): kNotFound, kCorrupt (checksum
// mismatch, broken archive), kUnavailable (network), kInvalidArgument (no URL), kIo;
// offline: kNotFound "'<fn>' is not in the package cache and offline mode forbids
// downloading '<url>'".
// Packages that succeeded stay in the cache even when another one fails.
[[nodiscard]] Result<std::vector<std::filesystem::path>> fetch_packages(
    PackageCache& cache, std::span<const conda::PackageRecord> records,
    const FetchOptions& options = {});

// One record; see fetch_packages.
[[nodiscard]] Result<std::filesystem::path> fetch_package(PackageCache& cache,
                                                          const conda::PackageRecord& record,
                                                          const FetchOptions& options = {});

}  // namespace graft::store
