// Indexes a local channel directory: what `graft index` does, like `conda index`.
//
// Every subdir of the channel (a directory named "noarch" or "<platform>-<arch>", or any
// directory holding packages) gets a `repodata.json` listing its `.tar.bz2` files under
// "packages" and its `.conda` files under "packages.conda". A record is the package's
// info/index.json (only info/ is read, never the payload) without the fields conda-index
// drops (arch, platform, has_prefix, mtime, ucs, requires_features, binstar,
// target-triplet, machine, operatingsystem), plus the file's md5, sha256 and size. An
// empty noarch/repodata.json is written when the channel has no noarch packages, as
// conda-index does. Files are replaced atomically.
//
// Thread-safety: index_channel() may run concurrently on different channels; it reads
// packages on up to `threads` threads of its own.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.h"
#include "base/result.h"
#include "conda/record.h"

namespace graft::conda {

struct IndexOptions {
  std::filesystem::path channel_dir;
  unsigned threads = 0;  // packages read in parallel; 0: one per hardware thread
};

struct SubdirSummary {
  std::string subdir;
  std::size_t tar_bz2 = 0;  // records under "packages"
  std::size_t conda = 0;    // records under "packages.conda"
};

struct IndexReport {
  std::vector<SubdirSummary> subdirs;  // sorted by name
  // Packages left out, each "'<subdir>/<file>': <reason>" (unreadable archive, missing or
  // malformed index.json, index.json naming another subdir).
  std::vector<std::string> skipped;
};

// Builds one repodata record from a package's info/index.json text (pure). `source` names
// the input in errors. kCorrupt when the JSON is not a package record.
[[nodiscard]] Result<PackageRecord> repodata_record(std::string_view index_json,
                                                    std::string_view fn,
                                                    const base::FileDigests& digests,
                                                    std::string_view source);

// Indexes every subdir of options.channel_dir. Errors: kNotFound (no such directory),
// kIo (a repodata.json could not be written). Unreadable packages are skipped and
// reported, not errors.
[[nodiscard]] Result<IndexReport> index_channel(const IndexOptions& options);

}  // namespace graft::conda
