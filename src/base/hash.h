// Streaming digests (OpenSSL EVP) and the fast non-cryptographic hash used for routing.
// A Hasher is not thread-safe; use one per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace graft::base {

enum class DigestKind { kSha256, kMd5 };

class Hasher {
 public:
  explicit Hasher(DigestKind kind);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(std::string_view bytes);
  // Lowercase hex of the digest. The hasher can not be updated afterwards.
  [[nodiscard]] std::string finish_hex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

[[nodiscard]] std::string sha256_hex(std::string_view bytes);
[[nodiscard]] std::string md5_hex(std::string_view bytes);

// Digest of a file's bytes, read in 256 KiB blocks.
[[nodiscard]] Result<std::string> file_digest_hex(const std::filesystem::path& path,
                                                  DigestKind kind);

struct FileDigests {
  std::string sha256;
  std::string md5;
  std::uint64_t size = 0;
};
// sha256, md5 and size of a file in one pass.
[[nodiscard]] Result<FileDigests> file_digests(const std::filesystem::path& path);

// XXH3 64-bit of `bytes` with `seed`: stable across runs, machines and versions.
[[nodiscard]] std::uint64_t xxh3_64(std::string_view bytes, std::uint64_t seed = 0);

}  // namespace graft::base
