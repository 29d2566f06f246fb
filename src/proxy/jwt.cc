#include "proxy/jwt.h"

#include <openssl/ec.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "proxy/jwt_key.h"

namespace graft::proxy {
namespace {

using nlohmann::json;
using route::JwtAlgorithm;

struct DigestContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

// JOSE's ES256 signature (r || s, 32 bytes each) as the DER ECDSA-Sig-Value OpenSSL checks.
std::optional<std::string> raw_to_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* signature = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
  if (signature == nullptr || r == nullptr || s == nullptr ||
      ECDSA_SIG_set0(signature, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(signature);
    return std::nullopt;
  }
  int length = i2d_ECDSA_SIG(signature, nullptr);
  std::string der(static_cast<std::size_t>(std::max(length, 0)), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (length <= 0 || i2d_ECDSA_SIG(signature, &out) != length) der.clear();
  ECDSA_SIG_free(signature);
  if (der.empty()) return std::nullopt;
  return der;
}

bool digest_verify(EVP_PKEY* key, std::string_view data, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, DigestContextDeleter> context(EVP_MD_CTX_new());
  if (!context || EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    return false;
  }
  return EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                          data.size()) == 1;
}

bool signature_valid(const JwtKeys::Key& key, std::string_view signed_part,
                     std::string_view signature) {
  switch (key.algorithm) {
    case JwtAlgorithm::kHs256: return key.secret->verify(signed_part, signature);
    case JwtAlgorithm::kRs256: return digest_verify(key.public_key.get(), signed_part, signature);
    case JwtAlgorithm::kEs256: {
      auto der = raw_to_der(signature);
      return der && digest_verify(key.public_key.get(), signed_part, *der);
    }
  }
  return false;
}

// A decoded part that must be a JSON object; a discarded value otherwise.
json object_part(std::string_view encoded) {
  auto decoded = base::base64url_decode(encoded);
  if (!decoded) return json(json::value_t::discarded);
  json value = json::parse(*decoded, nullptr, false);
  return value.is_object() ? value : json(json::value_t::discarded);
}

bool contains_audience(const json& audience, const std::string& wanted) {
  if (audience.is_string()) return audience.get_ref<const std::string&>() == wanted;
  if (!audience.is_array()) return false;
  return std::any_of(audience.begin(), audience.end(), [&](const json& item) {
    return item.is_string() && item.get_ref<const std::string&>() == wanted;
  });
}

tl::unexpected<AuthFailure> refuse(AuthFailure failure) {
  return tl::unexpected(failure);
}

// A NumericDate (seconds since the epoch) as a time point, clamped to the representable
// range so that absurd claims ("exp": 1e300) cannot overflow.
std::chrono::system_clock::time_point at_seconds(double seconds) {
  using Time = std::chrono::system_clock::time_point;
  constexpr double kLimit = 1e11;  // about the year 5138
  if (seconds >= kLimit) return Time::max();
  if (seconds <= -kLimit) return Time::min();
  return Time(std::chrono::duration_cast<Time::duration>(std::chrono::duration<double>(seconds)));
}

}  // namespace

JwtVerifier::JwtVerifier(route::JwtConfig config, JwtKeys keys)
    : config_(std::move(config)),
      keys_(std::move(keys)),
      cache_(std::make_unique<TokenCache>(kTokenCacheEntries)) {}

Result<JwtVerifier> JwtVerifier::create(route::JwtConfig config, JwtKeys keys,
                                        std::string_view keys_name) {
  for (JwtAlgorithm algorithm : config.algorithms) {
    if (keys.has(algorithm)) continue;
    std::string_view name = route::jwt_algorithm_name(algorithm);
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'auth.jwt.algorithms' allows {} but '{}' has no {} key (it holds {})",
                            name, keys_name, name, keys.describe()));
  }
  return JwtVerifier(std::move(config), std::move(keys));
}

AuthResult JwtVerifier::verify(std::string_view token,
                               std::chrono::system_clock::time_point now) const {
  if (token.empty() || token.size() > kMaxTokenBytes) return refuse(AuthFailure::kMalformed);
  if (auto cached = cache_->find(token, now)) return std::move(*cached);
  std::size_t first = token.find('.');
  std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return refuse(AuthFailure::kMalformed);
  }
  json header = object_part(token.substr(0, first));
  json claims = object_part(token.substr(first + 1, second - first - 1));
  auto signature = base::base64url_decode(token.substr(second + 1));
  if (header.is_discarded() || claims.is_discarded() || !signature) {
    return refuse(AuthFailure::kMalformed);
  }
  auto alg = header.find("alg");
  auto kid = header.find("kid");
  if (alg == header.end() || !alg->is_string() || (kid != header.end() && !kid->is_string()) ||
      header.contains("crit")) {
    return refuse(AuthFailure::kMalformed);
  }
  auto algorithm = route::parse_jwt_algorithm(alg->get_ref<const std::string&>());
  if (!algorithm || std::find(config_.algorithms.begin(), config_.algorithms.end(), *algorithm) ==
                        config_.algorithms.end()) {
    return refuse(AuthFailure::kAlgorithm);  // "none" included
  }
  const JwtKeys::Key* key =
      keys_.find(kid == header.end() ? "" : kid->get_ref<const std::string&>());
  if (key == nullptr) return refuse(AuthFailure::kUnknownKey);
  if (key->algorithm != *algorithm) return refuse(AuthFailure::kAlgorithm);
  if (!signature_valid(*key, token.substr(0, second), *signature)) {
    return refuse(AuthFailure::kSignature);
  }
  auto valid_from = std::chrono::system_clock::time_point::min();
  auto valid_until = std::chrono::system_clock::time_point::max();
  AuthResult result = check_claims(claims, now, &valid_from, &valid_until);
  if (result) cache_->insert(token, *result, valid_from, valid_until);
  return result;
}

AuthResult JwtVerifier::check_claims(const nlohmann::json& claims,
                                     std::chrono::system_clock::time_point now,
                                     std::chrono::system_clock::time_point* valid_from,
                                     std::chrono::system_clock::time_point* valid_until) const {
  const double seconds = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double leeway = std::chrono::duration<double>(config_.leeway).count();
  for (const char* name : {"exp", "nbf"}) {
    if (claims.contains(name) && !claims[name].is_number()) return refuse(AuthFailure::kMalformed);
  }
  if (claims.contains("exp")) {
    double until = claims["exp"].get<double>() + leeway;
    if (seconds > until) return refuse(AuthFailure::kExpired);
    *valid_until = at_seconds(until);
  }
  if (claims.contains("nbf")) {
    double from = claims["nbf"].get<double>() - leeway;
    if (seconds < from) return refuse(AuthFailure::kNotYetValid);
    *valid_from = at_seconds(from);
  }
  if (!config_.audience.empty() &&
      (!claims.contains("aud") || !contains_audience(claims["aud"], config_.audience))) {
    return refuse(AuthFailure::kAudience);
  }
  if (!config_.issuer.empty()) {
    auto issuer = claims.find("iss");
    if (issuer == claims.end() || !issuer->is_string() ||
        issuer->get_ref<const std::string&>() != config_.issuer) {
      return refuse(AuthFailure::kIssuer);
    }
  }
  auto subject = claims.find("sub");
  if (subject == claims.end()) return Identity{};
  if (!subject->is_string()) return refuse(AuthFailure::kMalformed);
  return Identity{subject->get<std::string>()};
}

}  // namespace graft::proxy
