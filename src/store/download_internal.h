// Internal to the store module: pieces of download.cc shared with download_local.cc.
#pragma once

#include <filesystem>
#include <string>

#include "base/hash.h"
#include "base/result.h"
#include "store/download.h"

namespace graft::store::detail {

// A ".graft-tmp-<name>-XXXXXX" file beside `destination`, open for writing. Removes the
// file on destruction unless commit() renamed it into place.
class TempFile {
 public:
  [[nodiscard]] static Result<TempFile> create(const std::filesystem::path& destination);
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&&) = delete;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile();

  [[nodiscard]] Status write(std::string_view bytes);
  // Empties the file for another attempt.
  [[nodiscard]] Status truncate();
  // Closes the file and renames it to `destination`.
  [[nodiscard]] Status commit(const std::filesystem::path& destination);
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  TempFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::filesystem::path path_;
};

// Whether a request's bytes are hashed: asked for, or needed to check what it expects.
[[nodiscard]] inline bool wants_digests(const DownloadRequest& request) {
  return request.compute_digests || !request.expected_sha256.empty() ||
         !request.expected_md5.empty();
}

// sha256 and md5 of the bytes of one attempt (nothing when `enabled` is false).
struct DigestPair {
  base::Hasher sha256{base::DigestKind::kSha256};
  base::Hasher md5{base::DigestKind::kMd5};
  bool enabled = true;
  void update(std::string_view bytes) {
    if (!enabled) return;
    sha256.update(bytes);
    md5.update(bytes);
  }
  // Into result.sha256 and result.md5 ("" when not enabled).
  void finish(DownloadResult& result) {
    if (!enabled) return;
    result.sha256 = sha256.finish_hex();
    result.md5 = md5.finish_hex();
  }
};

// kCorrupt when a body that has reached `bytes` is past the request's expected_size or
// max_bytes: the transfer stops there.
[[nodiscard]] Status check_growth(const DownloadRequest& request, std::uint64_t bytes);

// Compares the size and digests in `result` with what `request` expects; kCorrupt on
// mismatch.
[[nodiscard]] Status verify_digests(const DownloadRequest& request,
                                    const DownloadResult& result);

// Copies a file:// URL or plain path (synchronously) with the same contract as a download.
[[nodiscard]] Result<DownloadResult> copy_local(const DownloadRequest& request,
                                                const DownloadOptions& options);

}  // namespace graft::store::detail
