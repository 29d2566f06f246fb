// JwtKeys: loading verification keys from a key file or a JWK Set (OpenSSL 3 EVP_PKEY).
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/strings.h"
#include "proxy/jwt_key.h"

namespace graft::proxy {
namespace {

constexpr std::size_t kMinSecretBytes = 32;
constexpr int kMinRsaBits = 2048;

using route::JwtAlgorithm;

Error invalid(std::string_view where, std::string_view message) {
  return Error(ErrorCode::kInvalidArgument, fmt::format("{} {}", where, message));
}

Result<std::shared_ptr<const JwtKeys::Key>> secret_key(std::string_view where, std::string kid,
                                                       std::string_view secret) {
  if (secret.size() < kMinSecretBytes) {
    return fail(invalid(where, fmt::format("holds an HS256 secret of {} bytes: use at least {} "
                                           "random bytes",
                                           secret.size(), kMinSecretBytes)));
  }
  auto key = std::make_shared<JwtKeys::Key>();
  key->kid = std::move(kid);
  key->algorithm = JwtAlgorithm::kHs256;
  key->secret.emplace(secret);
  return key;
}

// The algorithm of an RSA (>= 2048 bits) or P-256 public key.
Result<std::shared_ptr<const JwtKeys::Key>> public_key(std::string_view where, std::string kid,
                                                       Pkey pkey) {
  auto key = std::make_shared<JwtKeys::Key>();
  key->kid = std::move(kid);
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    int bits = EVP_PKEY_get_bits(pkey.get());
    if (bits < kMinRsaBits) {
      return fail(invalid(
          where, fmt::format("holds a {}-bit RSA key: use at least {} bits", bits, kMinRsaBits)));
    }
    key->algorithm = JwtAlgorithm::kRs256;
  } else if (EVP_PKEY_is_a(pkey.get(), "EC")) {
    char group[64] = {};
    std::size_t length = 0;
    EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                   &length);
    std::string_view name(group, length);
    if (name != "prime256v1" && name != "P-256") {
      return fail(invalid(where, fmt::format("holds an EC key on curve '{}': only P-256 (ES256) "
                                             "is supported",
                                             name)));
    }
    key->algorithm = JwtAlgorithm::kEs256;
  } else {
    return fail(invalid(where, fmt::format("holds a {} key: use RSA or EC P-256",
                                           EVP_PKEY_get0_type_name(pkey.get()))));
  }
  key->public_key = std::move(pkey);
  return key;
}

struct ParamBuilderDeleter {
  void operator()(OSSL_PARAM_BLD* builder) const { OSSL_PARAM_BLD_free(builder); }
};
struct ParamsDeleter {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
struct BignumDeleter {
  void operator()(BIGNUM* number) const { BN_free(number); }
};
struct PkeyContextDeleter {
  void operator()(EVP_PKEY_CTX* context) const { EVP_PKEY_CTX_free(context); }
};

// A public key of `type` ("RSA", "EC") from OSSL_PARAMs the builder got; null on failure.
Pkey key_from_params(const char* type, OSSL_PARAM_BLD* builder) {
  std::unique_ptr<OSSL_PARAM, ParamsDeleter> params(OSSL_PARAM_BLD_to_param(builder));
  std::unique_ptr<EVP_PKEY_CTX, PkeyContextDeleter> context(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return Pkey(key, PkeyDeleter());
}

std::optional<std::string> base64url_member(const nlohmann::json& jwk, const char* name) {
  auto found = jwk.find(name);
  if (found == jwk.end() || !found->is_string()) return std::nullopt;
  auto decoded = base::base64url_decode(found->get_ref<const std::string&>());
  if (!decoded || decoded->empty()) return std::nullopt;
  return decoded;
}

Pkey rsa_from_jwk(const nlohmann::json& jwk) {
  auto n = base64url_member(jwk, "n");
  auto e = base64url_member(jwk, "e");
  if (!n || !e) return nullptr;
  auto bignum = [](const std::string& bytes) {
    return std::unique_ptr<BIGNUM, BignumDeleter>(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                  static_cast<int>(bytes.size()), nullptr));
  };
  auto modulus = bignum(*n);
  auto exponent = bignum(*e);
  std::unique_ptr<OSSL_PARAM_BLD, ParamBuilderDeleter> builder(OSSL_PARAM_BLD_new());
  if (!modulus || !exponent || !builder ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
    return nullptr;
  }
  return key_from_params("RSA", builder.get());
}

Pkey p256_from_jwk(const nlohmann::json& jwk) {
  auto x = base64url_member(jwk, "x");
  auto y = base64url_member(jwk, "y");
  if (!x || !y || x->size() != 32 || y->size() != 32) return nullptr;
  std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
  char group[] = "prime256v1";
  std::unique_ptr<OSSL_PARAM_BLD, ParamBuilderDeleter> builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return nullptr;
  }
  return key_from_params("EC", builder.get());
}

std::string string_member(const nlohmann::json& object, const char* name) {
  auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

Result<std::shared_ptr<const JwtKeys::Key>> key_from_jwk(const nlohmann::json& jwk,
                                                         std::string_view file_where,
                                                         std::size_t index) {
  std::string kid = string_member(jwk, "kid");
  std::string where =
      fmt::format("{}: key '{}'", file_where, kid.empty() ? fmt::format("#{}", index + 1) : kid);
  std::string type = string_member(jwk, "kty");
  Result<std::shared_ptr<const JwtKeys::Key>> key = nullptr;
  if (type == "oct") {
    auto secret = base64url_member(jwk, "k");
    if (!secret) return fail(invalid(where, "is not a usable oct key: \"k\" must be base64url"));
    key = secret_key(where, kid, *secret);
  } else if (type == "RSA") {
    Pkey pkey = rsa_from_jwk(jwk);
    if (!pkey) {
      return fail(invalid(where, "is not a usable RSA key: \"n\" and \"e\" must be base64url"));
    }
    key = public_key(where, kid, std::move(pkey));
  } else if (type == "EC") {
    std::string curve = string_member(jwk, "crv");
    if (curve != "P-256") {
      return fail(
          invalid(where, fmt::format("is on curve '{}': only P-256 (ES256) is supported", curve)));
    }
    Pkey pkey = p256_from_jwk(jwk);
    if (!pkey) {
      return fail(invalid(where,
                          "is not a usable P-256 key: \"x\" and \"y\" must be 32-byte "
                          "base64url coordinates of a point on the curve"));
    }
    key = public_key(where, kid, std::move(pkey));
  } else {
    return fail(invalid(where, fmt::format("has key type '{}': use RSA, EC (P-256) or oct", type)));
  }
  if (!key) return key;
  std::string alg = string_member(jwk, "alg");
  std::string_view expected = route::jwt_algorithm_name((*key)->algorithm);
  if (!alg.empty() && alg != expected) {
    return fail(invalid(
        where, fmt::format("has alg '{}': a {} key is only used with {}", alg, type, expected)));
  }
  return key;
}

}  // namespace

JwtKeys::JwtKeys() = default;
JwtKeys::~JwtKeys() = default;
JwtKeys::JwtKeys(JwtKeys&&) noexcept = default;
JwtKeys& JwtKeys::operator=(JwtKeys&&) noexcept = default;

Result<JwtKeys> JwtKeys::from_key_file(std::string_view text, std::string_view file_name) {
  std::string where = fmt::format("key file '{}'", file_name);
  std::string_view trimmed = base::trim(text);
  JwtKeys keys;
  if (!base::starts_with(trimmed, "-----BEGIN")) {
    GRAFT_ASSIGN_OR_RETURN(auto key, secret_key(where, "", trimmed));
    keys.keys_.push_back(std::move(key));
    return keys;
  }
  BIO* bio = BIO_new_mem_buf(trimmed.data(), static_cast<int>(trimmed.size()));
  EVP_PKEY* raw = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (raw == nullptr) {
    return fail(invalid(where,
                        "is not a PEM public key: expected '-----BEGIN PUBLIC KEY-----' "
                        "(RSA or P-256)"));
  }
  GRAFT_ASSIGN_OR_RETURN(auto key, public_key(where, "", Pkey(raw, PkeyDeleter())));
  keys.keys_.push_back(std::move(key));
  return keys;
}

Result<JwtKeys> JwtKeys::from_jwks(std::string_view text, std::string_view file_name) {
  std::string where = fmt::format("JWKS file '{}'", file_name);
  nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded()) return fail(invalid(where, "is not valid JSON"));
  if (!document.is_object() || !document.contains("keys") || !document["keys"].is_array()) {
    return fail(invalid(where, "has no \"keys\" list"));
  }
  JwtKeys keys;
  keys.from_set_ = true;
  const nlohmann::json& list = document["keys"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object()) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: key #{} is not a JSON object", where, i + 1));
    }
    std::string use = string_member(list[i], "use");
    if (!use.empty() && use != "sig") continue;  // an encryption key: not ours
    GRAFT_ASSIGN_OR_RETURN(auto key, key_from_jwk(list[i], where, i));
    keys.keys_.push_back(std::move(key));
  }
  if (keys.keys_.empty()) return fail(invalid(where, "has no keys"));
  return keys;
}

const JwtKeys::Key* JwtKeys::find(std::string_view kid) const {
  if (!from_set_ || (kid.empty() && keys_.size() == 1)) return keys_.front().get();
  if (kid.empty()) return nullptr;
  for (const auto& key : keys_) {
    if (key->kid == kid) return key.get();
  }
  return nullptr;
}

bool JwtKeys::has(route::JwtAlgorithm algorithm) const {
  for (const auto& key : keys_) {
    if (key->algorithm == algorithm) return true;
  }
  return false;
}

std::string JwtKeys::describe() const {
  std::vector<std::string> names;
  for (const auto& key : keys_) {
    std::string name(route::jwt_algorithm_name(key->algorithm));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return base::join(names, ", ");
}

}  // namespace graft::proxy
