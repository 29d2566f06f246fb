#include "proxy/jwt.h"

#include <gtest/gtest.h>

#include "proxy/auth_testing.h"

namespace graft::proxy {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using testing::Pkey;
using testing::sign_token;

constexpr std::int64_t kNow = 1'800'000'000;
const auto kNowPoint = std::chrono::system_clock::time_point(seconds(kNow));
const std::string kSecret = "0123456789abcdef0123456789abcdef-shared";

// Keys are generated once: RSA 2048 takes a while.
struct Keys {
  Pkey rsa = testing::rsa_key();
  Pkey rsa_other = testing::rsa_key();
  Pkey ec = testing::p256_key();
  Pkey ec_other = testing::p256_key();
};
const Keys& keys() {
  static const Keys generated;
  return generated;
}

json claims(json extra = json::object()) {
  json payload = {{"sub", "alice"}, {"exp", kNow + 600}, {"iat", kNow - 10}};
  payload.update(extra);
  return payload;
}

route::JwtConfig config(std::vector<route::JwtAlgorithm> algorithms) {
  return {.algorithms = std::move(algorithms), .key_file = "key"};
}

JwtVerifier verifier(route::JwtConfig jwt_config, std::string_view key_text) {
  auto key_set = JwtKeys::from_key_file(key_text, "key");
  EXPECT_TRUE(key_set) << key_set.error().message();
  auto made = JwtVerifier::create(std::move(jwt_config), std::move(*key_set), "key");
  EXPECT_TRUE(made) << made.error().message();
  return std::move(*made);
}

std::string failure(const AuthResult& result) {
  return result ? "ok:" + result->subject : std::string(auth_failure_name(result.error()));
}

TEST(Jwt, Hs256TokenGivesItsSubject) {
  JwtVerifier jwt = verifier(config({route::JwtAlgorithm::kHs256}), kSecret + "\n");
  EXPECT_EQ(failure(jwt.verify(sign_token({{"alg", "HS256"}, {"typ", "JWT"}}, claims(), kSecret),
                               kNowPoint)),
            "ok:alice");
  EXPECT_EQ(failure(jwt.verify(sign_token({{"alg", "HS256"}}, claims(), kSecret + "x"), kNowPoint)),
            "bad_signature");
}

TEST(Jwt, Rs256AndEs256WithPemKeys) {
  JwtVerifier rsa =
      verifier(config({route::JwtAlgorithm::kRs256}), testing::public_pem(keys().rsa));
  EXPECT_EQ(
      failure(rsa.verify(sign_token({{"alg", "RS256"}}, claims(), "", keys().rsa), kNowPoint)),
      "ok:alice");
  EXPECT_EQ(failure(rsa.verify(sign_token({{"alg", "RS256"}}, claims(), "", keys().rsa_other),
                               kNowPoint)),
            "bad_signature");
  JwtVerifier ec = verifier(config({route::JwtAlgorithm::kEs256}), testing::public_pem(keys().ec));
  EXPECT_EQ(failure(ec.verify(sign_token({{"alg", "ES256"}}, claims(), "", keys().ec), kNowPoint)),
            "ok:alice");
  EXPECT_EQ(
      failure(ec.verify(sign_token({{"alg", "ES256"}}, claims(), "", keys().ec_other), kNowPoint)),
      "bad_signature");
}

TEST(Jwt, TamperedPayloadOrSignatureFails) {
  JwtVerifier jwt = verifier(config({route::JwtAlgorithm::kEs256}), testing::public_pem(keys().ec));
  std::string token = sign_token({{"alg", "ES256"}}, claims(), "", keys().ec);
  std::size_t first_dot = token.find('.');
  std::size_t second_dot = token.find('.', first_dot + 1);
  std::string forged_payload = token.substr(0, first_dot + 1) +
                               base::base64url_encode(claims({{"sub", "mallory"}}).dump()) +
                               token.substr(second_dot);
  EXPECT_EQ(failure(jwt.verify(forged_payload, kNowPoint)), "bad_signature");
  std::string raw_signature = *base::base64url_decode(token.substr(second_dot + 1));
  std::string short_signature =
      token.substr(0, second_dot + 1) + base::base64url_encode(raw_signature.substr(0, 63));
  EXPECT_EQ(failure(jwt.verify(short_signature, kNowPoint)), "bad_signature");
}

TEST(Jwt, TimeClaimsWithLeeway) {
  route::JwtConfig jwt_config = config({route::JwtAlgorithm::kHs256});
  jwt_config.leeway = std::chrono::seconds(30);
  JwtVerifier jwt = verifier(jwt_config, kSecret);
  auto at = [&](json extra) {
    return failure(jwt.verify(sign_token({{"alg", "HS256"}}, claims(extra), kSecret), kNowPoint));
  };
  EXPECT_EQ(at({{"exp", kNow - 31}}), "expired");
  EXPECT_EQ(at({{"exp", kNow - 29}}), "ok:alice");
  EXPECT_EQ(at({{"exp", kNow - 29.5}}), "ok:alice");
  EXPECT_EQ(at({{"nbf", kNow + 31}}), "not_yet_valid");
  EXPECT_EQ(at({{"nbf", kNow + 29}}), "ok:alice");
  EXPECT_EQ(at({{"exp", "tomorrow"}}), "malformed");
  EXPECT_EQ(at({{"nbf", nullptr}}), "malformed");
}

TEST(Jwt, ARememberedTokenStillExpiresAndStillWaitsForNbf) {
  JwtVerifier jwt = verifier(config({route::JwtAlgorithm::kHs256}), kSecret);
  std::string token =
      sign_token({{"alg", "HS256"}}, claims({{"nbf", kNow - 100}, {"exp", kNow + 100}}), kSecret);
  EXPECT_EQ(failure(jwt.verify(token, kNowPoint)), "ok:alice");
  EXPECT_EQ(failure(jwt.verify(token, kNowPoint)), "ok:alice");                 // from the cache
  EXPECT_EQ(failure(jwt.verify(token, kNowPoint + seconds(130))), "ok:alice");  // leeway 30 s
  EXPECT_EQ(failure(jwt.verify(token, kNowPoint + seconds(131))), "expired");
  EXPECT_EQ(failure(jwt.verify(token, kNowPoint - seconds(131))), "not_yet_valid");
  EXPECT_EQ(failure(jwt.verify(token, kNowPoint)), "ok:alice");
  std::string far = sign_token({{"alg", "HS256"}}, claims({{"exp", 1e300}}), kSecret);
  EXPECT_EQ(failure(jwt.verify(far, kNowPoint)), "ok:alice");
  EXPECT_EQ(failure(jwt.verify(far, kNowPoint)), "ok:alice");
}

TEST(Jwt, AudienceAndIssuerWhenConfigured) {
  route::JwtConfig jwt_config = config({route::JwtAlgorithm::kHs256});
  jwt_config.audience = "orders";
  jwt_config.issuer = "https://id.example";
  JwtVerifier jwt = verifier(jwt_config, kSecret);
  auto with = [&](json extra) {
    return failure(jwt.verify(sign_token({{"alg", "HS256"}}, claims(extra), kSecret), kNowPoint));
  };
  EXPECT_EQ(with({{"aud", "orders"}, {"iss", "https://id.example"}}), "ok:alice");
  EXPECT_EQ(with({{"aud", {"billing", "orders"}}, {"iss", "https://id.example"}}), "ok:alice");
  EXPECT_EQ(with({{"aud", "billing"}, {"iss", "https://id.example"}}), "wrong_audience");
  EXPECT_EQ(with({{"aud", {"billing"}}, {"iss", "https://id.example"}}), "wrong_audience");
  EXPECT_EQ(with({{"iss", "https://id.example"}}), "wrong_audience");
  EXPECT_EQ(with({{"aud", "orders"}, {"iss", "https://evil.example"}}), "wrong_issuer");
  EXPECT_EQ(with({{"aud", "orders"}}), "wrong_issuer");
}

TEST(Jwt, NoneAndUnlistedAlgorithmsAreRefused) {
  JwtVerifier jwt = verifier(config({route::JwtAlgorithm::kHs256}), kSecret);
  std::string unsigned_token = base::base64url_encode(json{{"alg", "none"}}.dump()) + "." +
                               base::base64url_encode(claims().dump()) + ".";
  EXPECT_EQ(failure(jwt.verify(unsigned_token, kNowPoint)), "bad_algorithm");
  EXPECT_EQ(
      failure(jwt.verify(sign_token({{"alg", "none"}}, claims(), kSecret) + "c2ln", kNowPoint)),
      "bad_algorithm");
  EXPECT_EQ(
      failure(jwt.verify(sign_token({{"alg", "HS512"}}, claims(), kSecret) + "c2ln", kNowPoint)),
      "bad_algorithm");
  JwtVerifier rsa_only =
      verifier(config({route::JwtAlgorithm::kRs256}), testing::public_pem(keys().rsa));
  EXPECT_EQ(
      failure(rsa_only.verify(sign_token({{"alg", "ES256"}}, claims(), "", keys().ec), kNowPoint)),
      "bad_algorithm");
}

// The classic confusion: an HS256 token whose secret is the RSA public key's PEM text.
TEST(Jwt, Hs256SignedWithThePublicKeyIsRefused) {
  std::string pem = testing::public_pem(keys().rsa);
  JwtVerifier jwt = verifier(config({route::JwtAlgorithm::kRs256}), pem);
  EXPECT_EQ(failure(jwt.verify(sign_token({{"alg", "HS256"}}, claims(), pem), kNowPoint)),
            "bad_algorithm");
  // Allowing HS256 next to a PEM key is a config error: the PEM text is never a secret.
  auto keys_from_pem = JwtKeys::from_key_file(pem, "key.pem");
  ASSERT_TRUE(keys_from_pem);
  auto both =
      JwtVerifier::create(config({route::JwtAlgorithm::kRs256, route::JwtAlgorithm::kHs256}),
                          std::move(*keys_from_pem), "key.pem");
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().message(),
            "'auth.jwt.algorithms' allows HS256 but 'key.pem' has no HS256 key (it holds RS256)");
}

TEST(Jwt, MalformedTokens) {
  JwtVerifier jwt = verifier(config({route::JwtAlgorithm::kHs256}), kSecret);
  std::string good = sign_token({{"alg", "HS256"}}, claims(), kSecret);
  std::string header = base::base64url_encode(json{{"alg", "HS256"}}.dump());
  for (const std::string& token :
       {std::string(""), std::string("abc"), std::string("a.b"), good + ".extra",
        "!!!." + good.substr(good.find('.') + 1), header + ".e30", header + "..c2ln",
        base::base64url_encode("not json") + "." + base::base64url_encode(claims().dump()) +
            ".c2ln",
        base::base64url_encode("[1]") + "." + base::base64url_encode(claims().dump()) + ".c2ln",
        sign_token({{"alg", "HS256"}}, json::array({1, 2}), kSecret),
        sign_token({{"alg", "HS256"}}, claims({{"sub", 42}}), kSecret), std::string(9000, 'a')}) {
    EXPECT_EQ(failure(jwt.verify(token, kNowPoint)), "malformed") << token.substr(0, 80);
  }
}

TEST(Jwt, JwksPicksTheKeyByKid) {
  json jwks = {{"keys",
                {testing::rsa_jwk(keys().rsa, "r1"),
                 testing::rsa_jwk(keys().rsa_other, "r2"),
                 testing::ec_jwk(keys().ec, "e1"),
                 {{"kty", "oct"}, {"kid", "h1"}, {"k", base::base64url_encode(kSecret)}}}}};
  auto key_set = JwtKeys::from_jwks(jwks.dump(), "jwks.json");
  ASSERT_TRUE(key_set) << key_set.error().message();
  EXPECT_EQ(key_set->size(), 4u);
  auto made =
      JwtVerifier::create({.algorithms = {route::JwtAlgorithm::kRs256, route::JwtAlgorithm::kEs256,
                                          route::JwtAlgorithm::kHs256},
                           .jwks_file = "jwks.json"},
                          std::move(*key_set), "jwks.json");
  ASSERT_TRUE(made) << made.error().message();
  auto check = [&](json header, std::string_view secret, const Pkey& key) {
    return failure(made->verify(sign_token(header, claims(), secret, key), kNowPoint));
  };
  EXPECT_EQ(check({{"alg", "RS256"}, {"kid", "r1"}}, "", keys().rsa), "ok:alice");
  EXPECT_EQ(check({{"alg", "RS256"}, {"kid", "r2"}}, "", keys().rsa_other), "ok:alice");
  EXPECT_EQ(check({{"alg", "RS256"}, {"kid", "r2"}}, "", keys().rsa), "bad_signature");
  EXPECT_EQ(check({{"alg", "ES256"}, {"kid", "e1"}}, "", keys().ec), "ok:alice");
  EXPECT_EQ(check({{"alg", "HS256"}, {"kid", "h1"}}, kSecret, nullptr), "ok:alice");
  EXPECT_EQ(check({{"alg", "RS256"}, {"kid", "zz"}}, "", keys().rsa), "unknown_key");
  // Several keys and no kid: ambiguous.
  EXPECT_EQ(check({{"alg", "RS256"}}, "", keys().rsa), "unknown_key");
  // A kid naming a key of another type.
  EXPECT_EQ(check({{"alg", "HS256"}, {"kid", "r1"}}, kSecret, nullptr), "bad_algorithm");
}

TEST(Jwt, BadKeyFilesGiveClearErrors) {
  const std::pair<std::string, std::string> key_files[] = {
      {"short", "key file 'k' holds an HS256 secret of 5 bytes: use at least 32 random bytes"},
      {"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n",
       "key file 'k' is not a PEM public key: expected '-----BEGIN PUBLIC KEY-----' (RSA or "
       "P-256)"},
      {testing::public_pem(testing::rsa_key(1024)),
       "key file 'k' holds a 1024-bit RSA key: use at least 2048 bits"},
  };
  for (const auto& [text, message] : key_files) {
    auto loaded = JwtKeys::from_key_file(text, "k");
    ASSERT_FALSE(loaded) << text;
    EXPECT_EQ(loaded.error().message(), message);
  }
  const std::pair<std::string, std::string> jwks_files[] = {
      {"{", "JWKS file 'j' is not valid JSON"},
      {"{\"keys\": 5}", "JWKS file 'j' has no \"keys\" list"},
      {"{\"keys\": []}", "JWKS file 'j' has no keys"},
      {R"({"keys": [{"kty": "RSA", "kid": "a", "n": "AQAB"}]})",
       "JWKS file 'j': key 'a' is not a usable RSA key: \"n\" and \"e\" must be base64url"},
      {R"({"keys": [{"kty": "OKP", "kid": "a"}]})",
       "JWKS file 'j': key 'a' has key type 'OKP': use RSA, EC (P-256) or oct"},
      {R"({"keys": [{"kty": "EC", "kid": "a", "crv": "P-384", "x": "", "y": ""}]})",
       "JWKS file 'j': key 'a' is on curve 'P-384': only P-256 (ES256) is supported"},
      {R"({"keys": [{"kty": "oct", "kid": "a", "k": "c2hvcnQ"}]})",
       "JWKS file 'j': key 'a' holds an HS256 secret of 5 bytes: use at least 32 random bytes"},
  };
  for (const auto& [text, message] : jwks_files) {
    auto loaded = JwtKeys::from_jwks(text, "j");
    ASSERT_FALSE(loaded) << text;
    EXPECT_EQ(loaded.error().message(), message);
  }
}

TEST(Jwt, AlgorithmsWithoutAKeyAreAConfigError) {
  auto key_set = JwtKeys::from_key_file(testing::public_pem(keys().ec), "ec.pem");
  ASSERT_TRUE(key_set);
  auto made =
      JwtVerifier::create(config({route::JwtAlgorithm::kRs256}), std::move(*key_set), "ec.pem");
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().message(),
            "'auth.jwt.algorithms' allows RS256 but 'ec.pem' has no RS256 key (it holds ES256)");
}

}  // namespace
}  // namespace graft::proxy
