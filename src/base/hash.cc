#include "base/hash.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <openssl/evp.h>
#include <xxhash.h>

#include "base/encoding.h"
#include "base/fs.h"

namespace graft::base {

struct Hasher::State {
  EVP_MD_CTX* context = nullptr;
  ~State() { EVP_MD_CTX_free(context); }
};

Hasher::Hasher(DigestKind kind) : state_(std::make_unique<State>()) {
  state_->context = EVP_MD_CTX_new();
  const EVP_MD* digest = kind == DigestKind::kSha256 ? EVP_sha256() : EVP_md5();
  EVP_DigestInit_ex(state_->context, digest, nullptr);
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(std::string_view bytes) {
  EVP_DigestUpdate(state_->context, bytes.data(), bytes.size());
}

std::string Hasher::finish_hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(state_->context, digest, &length);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string sha256_hex(std::string_view bytes) {
  Hasher hasher(DigestKind::kSha256);
  hasher.update(bytes);
  return hasher.finish_hex();
}

std::string md5_hex(std::string_view bytes) {
  Hasher hasher(DigestKind::kMd5);
  hasher.update(bytes);
  return hasher.finish_hex();
}

namespace {

// Feeds every block of the file at `path` to `consume`; returns the byte count.
template <typename Consume>
Result<std::uint64_t> read_blocks(const std::filesystem::path& path, Consume consume) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error_number = errno;
    return fail(error_number == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                "cannot open '" + path.string() + "': " + errno_text(error_number));
  }
  std::vector<char> buffer(256 * 1024);
  std::uint64_t total = 0;
  while (true) {
    ssize_t count = ::read(fd, buffer.data(), buffer.size());
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      int error_number = errno;
      ::close(fd);
      return fail(ErrorCode::kIo, "cannot read '" + path.string() + "': " + errno_text(error_number));
    }
    if (count == 0) break;
    consume(std::string_view(buffer.data(), static_cast<std::size_t>(count)));
    total += static_cast<std::uint64_t>(count);
  }
  ::close(fd);
  return total;
}

}  // namespace

Result<std::string> file_digest_hex(const std::filesystem::path& path, DigestKind kind) {
  Hasher hasher(kind);
  GRAFT_RETURN_IF_ERROR(read_blocks(path, [&](std::string_view block) { hasher.update(block); }));
  return hasher.finish_hex();
}

Result<FileDigests> file_digests(const std::filesystem::path& path) {
  Hasher sha256(DigestKind::kSha256);
  Hasher md5(DigestKind::kMd5);
  GRAFT_ASSIGN_OR_RETURN(std::uint64_t size, read_blocks(path, [&](std::string_view block) {
                           sha256.update(block);
                           md5.update(block);
                         }));
  return FileDigests{sha256.finish_hex(), md5.finish_hex(), size};
}

std::uint64_t xxh3_64(std::string_view bytes, std::uint64_t seed) {
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
}

}  // namespace graft::base
