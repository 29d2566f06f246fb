// Downloads of package archives and repodata: `http(s)://` through libcurl's multi interface
// (parallel transfers, retries with exponential backoff, connect and low-speed timeouts,
// conditional requests), `file://` URLs and plain paths by a local copy. Every file is
// written to a ".graft-tmp-*" file beside its destination, checked against the expected
// digest, and only then renamed into place: a destination never holds partial or
// unverified bytes, and a failed download leaves nothing behind.
//
// Thread-safety: download_all() may be called from several threads at once (each call has
// its own curl handles); the callback runs on the calling thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace graft::base {
class Progress;
}

namespace graft::store {

// Prefix of every temporary file and directory the store creates; PackageCache removes
// leftovers with this prefix that no live graft process owns.
inline constexpr std::string_view kTempPrefix = ".graft-tmp-";

// Whether remote (http/https) URLs may be used. Local channels (file://, paths) work in
// both modes, as in conda.
enum class NetworkMode { kOnline, kOffline };

struct DownloadOptions {
  // Transfers running at once.
  std::size_t max_parallel = 8;
  // Tries per URL, the first included. Retried: connection errors, timeouts, HTTP 5xx, 408
  // and 429. Never retried: 404 and other 4xx, checksum mismatches.
  int max_attempts = 4;
  // Wait before the first retry; doubled for each further retry, capped at max_backoff.
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{8000};
  // Time allowed to establish a connection (TCP + TLS).
  std::chrono::milliseconds connect_timeout{10000};
  // A transfer slower than low_speed_limit bytes/s for low_speed_time is aborted (and
  // retried): catches stalled servers without limiting large downloads.
  std::uint64_t low_speed_limit = 1;
  std::chrono::seconds low_speed_time{30};
  std::string user_agent = "graft/0.1";
  // Bars for transfers; nullptr or a disabled Progress draws nothing. Not owned.
  base::Progress* progress = nullptr;
};

struct DownloadRequest {
  std::string url;  // "http(s)://...", "file://..." or a plain path
  // Where the bytes go; its directory must exist. Left untouched on failure and on
  // "not modified".
  std::filesystem::path destination;
  // Lowercase hex digests checked before the rename: sha256 when set, else md5 when set.
  std::string expected_sha256;
  std::string expected_md5;
  // The size the package's record declares, 0 = unknown. A body that runs past it stops
  // there (kCorrupt "'<url>' is larger than the N bytes its record declares"); a shorter
  // one is kCorrupt too.
  std::uint64_t expected_size = 0;
  // Most bytes the body may have once decoded (Content-Encoding gzip, zstd, ...), 0 = no
  // limit: past it the transfer stops (kCorrupt "'<url>' is larger than the limit of N
  // bytes"), so a small compressed response can not fill the disk.
  std::uint64_t max_bytes = 0;
  // Most times the decoded body may exceed the bytes received (a compression ratio), 0 = no
  // limit; checked once the decoded body passes kExpansionFloor. Past it the transfer stops
  // (kCorrupt "'<url>' expands to more than N times ..."): a decompression bomb is refused
  // long before max_bytes.
  std::uint64_t max_expansion = 0;
  // Conditional request headers (from a previous response); empty = not sent.
  std::string if_none_match;
  std::string if_modified_since;
  // Progress bar label; the URL's file name when empty.
  std::string label;
  // Whether DownloadResult::sha256/md5 are computed (always when a digest is expected).
  // Repodata does not need them: hashing hundreds of MB costs more than copying them.
  bool compute_digests = true;
  // A local source that needs no digest may be hard-linked (or reflinked) into place
  // instead of copied: for files graft only reads and replaces by rename, like cached
  // repodata. A change to the source in place then shows in the destination too (its size
  // and mtime with it).
  bool link_local = false;
};

// Decoded bytes below which max_expansion is not checked (small files compress well).
inline constexpr std::uint64_t kExpansionFloor = 64ull << 20;

struct DownloadResult {
  // The server answered 304 (or the local file still has the given ETag): nothing written.
  bool not_modified = false;
  long http_status = 0;  // final HTTP status; 0 for local files
  // Response headers, "" when absent. Local files get a synthetic ETag (mtime and size)
  // and Last-Modified (mtime).
  std::string etag;
  std::string last_modified;
  std::string cache_control;
  std::uint64_t bytes = 0;  // bytes written to destination
  std::string sha256;       // digests of those bytes (lowercase hex; empty if not modified)
  std::string md5;
  int attempts = 1;
};

// Called once per request as it finishes, with its index in the request list.
using DownloadCallback = std::function<void(std::size_t, const Result<DownloadResult>&)>;

// Runs every request (at most options.max_parallel at once) and returns one result per
// request, in request order. Errors per request: kNotFound (HTTP 404/410, missing local
// file), kCorrupt ("checksum mismatch for '<url>': expected sha256 '<x>', got '<y>'"),
// kUnavailable (retries exhausted: the last HTTP status or curl error; or libcurl cannot
// be loaded, see curl_api.h), kInvalidArgument (unsupported URL), kIo (other HTTP errors,
// disk errors). libcurl is loaded only when a request is http(s).
[[nodiscard]] std::vector<Result<DownloadResult>> download_all(
    std::span<const DownloadRequest> requests, const DownloadOptions& options,
    const DownloadCallback& on_done = {});

// One request; same semantics as download_all.
[[nodiscard]] Result<DownloadResult> download(const DownloadRequest& request,
                                              const DownloadOptions& options);

}  // namespace graft::store
