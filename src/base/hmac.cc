#include "base/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdio>
#include <cstdlib>

namespace graft::base {
namespace {

struct MacDeleter {
  void operator()(EVP_MAC_CTX* context) const { EVP_MAC_CTX_free(context); }
};
using MacContext = std::unique_ptr<EVP_MAC_CTX, MacDeleter>;

// OpenSSL without SHA-256 or out of memory: nothing sensible can continue.
void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "graft: internal error: %s\n", what);
  std::abort();
}

}  // namespace

struct HmacSha256::State {
  MacContext keyed;  // initialised with the key; copied for every MAC
};

HmacSha256::HmacSha256(std::string_view key) : state_(std::make_unique<State>()) {
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  state_->keyed.reset(EVP_MAC_CTX_new(hmac));
  EVP_MAC_free(hmac);  // the context keeps its own reference
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  // An empty key is valid HMAC; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  const auto* bytes = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  int initialised =
      state_->keyed ? EVP_MAC_init(state_->keyed.get(), bytes, key.size(), params) : 0;
  require(initialised == 1, "OpenSSL has no HMAC-SHA256");
}

HmacSha256::~HmacSha256() = default;
HmacSha256::HmacSha256(HmacSha256&&) noexcept = default;
HmacSha256& HmacSha256::operator=(HmacSha256&&) noexcept = default;

std::string HmacSha256::sign(std::string_view data) const {
  MacContext context(EVP_MAC_CTX_dup(state_->keyed.get()));
  std::string mac(kBytes, '\0');
  std::size_t length = 0;
  bool done = context &&
              EVP_MAC_update(context.get(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()) == 1 &&
              EVP_MAC_final(context.get(), reinterpret_cast<unsigned char*>(mac.data()), &length,
                            mac.size()) == 1;
  require(done && length == kBytes, "HMAC-SHA256 failed");
  return mac;
}

bool HmacSha256::verify(std::string_view data, std::string_view mac) const {
  if (mac.size() != kBytes) return false;
  std::string expected = sign(data);
  return CRYPTO_memcmp(expected.data(), mac.data(), kBytes) == 0;
}

}  // namespace graft::base
