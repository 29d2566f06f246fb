// Test helpers for the proxy's authentication tests (header-only, included by *_test.cc):
// keys generated with OpenSSL and tokens signed the way an identity provider signs them.
#pragma once

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/hmac.h"

namespace graft::proxy::testing {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::shared_ptr<EVP_PKEY>;

inline Pkey rsa_key(unsigned bits = 2048) {
  return Pkey(EVP_RSA_gen(bits), PkeyDeleter());
}
inline Pkey p256_key() {
  return Pkey(EVP_EC_gen("P-256"), PkeyDeleter());
}

// "-----BEGIN PUBLIC KEY-----..." of a key pair's public half.
inline std::string public_pem(const Pkey& key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key.get());
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return pem;
}

inline std::string bignum_param(const Pkey& key, const char* name) {
  BIGNUM* number = nullptr;
  EVP_PKEY_get_bn_param(key.get(), name, &number);
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(number)), '\0');
  BN_bn2bin(number, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(number);
  return bytes;
}

// The public key as a JWK with `kid`.
inline nlohmann::json rsa_jwk(const Pkey& key, std::string kid) {
  return {{"kty", "RSA"},
          {"kid", std::move(kid)},
          {"use", "sig"},
          {"alg", "RS256"},
          {"n", base::base64url_encode(bignum_param(key, OSSL_PKEY_PARAM_RSA_N))},
          {"e", base::base64url_encode(bignum_param(key, OSSL_PKEY_PARAM_RSA_E))}};
}

inline nlohmann::json ec_jwk(const Pkey& key, std::string kid) {
  unsigned char point[65];
  std::size_t length = 0;
  EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &length);
  std::string bytes(reinterpret_cast<char*>(point), length);  // 0x04 || x || y
  return {{"kty", "EC"},
          {"kid", std::move(kid)},
          {"crv", "P-256"},
          {"x", base::base64url_encode(bytes.substr(1, 32))},
          {"y", base::base64url_encode(bytes.substr(33, 32))}};
}

inline std::string digest_sign(const Pkey& key, std::string_view data) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key.get());
  std::size_t length = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  EVP_DigestSign(context, nullptr, &length, bytes, data.size());
  std::string signature(length, '\0');
  EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length, bytes,
                 data.size());
  EVP_MD_CTX_free(context);
  signature.resize(length);
  return signature;
}

// An ECDSA DER signature as JOSE's raw r || s (32 bytes each).
inline std::string der_to_raw(const std::string& der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* signature = d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size()));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(signature), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(signature), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(signature);
  return raw;
}

// header.payload.signature with the JSON given; `alg` in the header picks the signer.
// Keys: an HMAC secret (HS256) or a key pair (RS256, ES256); "none" signs nothing.
inline std::string sign_token(const nlohmann::json& header, const nlohmann::json& payload,
                              std::string_view secret, const Pkey& key = nullptr) {
  std::string input =
      base::base64url_encode(header.dump()) + "." + base::base64url_encode(payload.dump());
  std::string alg = header.value("alg", "");
  std::string signature;
  if (alg == "HS256") signature = base::HmacSha256(secret).sign(input);
  if (alg == "RS256") signature = digest_sign(key, input);
  if (alg == "ES256") signature = der_to_raw(digest_sign(key, input));
  return input + "." + base::base64url_encode(signature);
}

}  // namespace graft::proxy::testing
