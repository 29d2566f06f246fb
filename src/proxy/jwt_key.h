// Internal to the proxy's JWT code (jwt.cc, jwt_keys.cc): one verification key.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>

#include "base/hmac.h"
#include "proxy/jwt.h"

namespace graft::proxy {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::shared_ptr<EVP_PKEY>;

struct JwtKeys::Key {
  std::string kid;  // empty for a key file
  route::JwtAlgorithm algorithm = route::JwtAlgorithm::kHs256;
  std::optional<base::HmacSha256> secret;  // HS256
  Pkey public_key;                         // RS256, ES256 (never modified after loading)
};

}  // namespace graft::proxy
