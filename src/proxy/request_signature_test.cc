#include "proxy/request_signature.h"

#include <gtest/gtest.h>

#include "base/encoding.h"

namespace graft::proxy {
namespace {

using std::chrono::seconds;

constexpr std::int64_t kNow = 1'800'000'000;
const auto kNowPoint = std::chrono::system_clock::time_point(seconds(kNow));
const std::string kSecretA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kSecretB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

RequestSignatureVerifier verifier() {
  auto made = RequestSignatureVerifier::create(
      {.keys_file = "clients.keys", .skew = std::chrono::seconds(300)},
      "# clients\n\nmobile " + kSecretA + "\nbatch-1 " + kSecretB + "\n", "clients.keys");
  EXPECT_TRUE(made) << made.error().message();
  return std::move(*made);
}

struct Signed {
  std::string timestamp = std::to_string(kNow);
  std::string signature;
  SignedRequest request(std::string_view key_id = "mobile") const {
    return {.method = "POST",
            .target = "/orders?limit=5",
            .body = "{\"item\":1}",
            .key_id = key_id,
            .timestamp = timestamp,
            .signature = signature};
  }
};

Signed sign(const std::string& secret, std::int64_t at = kNow, bool hex = true) {
  Signed result;
  result.timestamp = std::to_string(at);
  std::string mac = base::HmacSha256(secret).sign(
      string_to_sign("POST", "/orders?limit=5", result.timestamp, "{\"item\":1}"));
  result.signature = hex ? base::hex_encode(mac) : base::base64_encode(mac);
  return result;
}

std::string outcome(const AuthResult& result) {
  return result ? "ok:" + result->subject : std::string(auth_failure_name(result.error()));
}

TEST(RequestSignature, StringToSignCoversMethodTargetTimeAndBody) {
  EXPECT_EQ(string_to_sign("GET", "/a?b=1", "1700000000", ""),
            "GET\n/a?b=1\n1700000000\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(RequestSignature, HexAndBase64SignaturesVerify) {
  RequestSignatureVerifier keys = verifier();
  EXPECT_EQ(keys.size(), 2u);
  EXPECT_EQ(outcome(keys.verify(sign(kSecretA).request(), kNowPoint)), "ok:mobile");
  EXPECT_EQ(outcome(keys.verify(sign(kSecretA, kNow, false).request(), kNowPoint)), "ok:mobile");
  EXPECT_EQ(outcome(keys.verify(sign(kSecretB).request("batch-1"), kNowPoint)), "ok:batch-1");
}

TEST(RequestSignature, AnyChangedPartFailsTheSignature) {
  RequestSignatureVerifier keys = verifier();
  Signed good = sign(kSecretA);
  SignedRequest request = good.request();
  request.body = "{\"item\":2}";
  EXPECT_EQ(outcome(keys.verify(request, kNowPoint)), "bad_signature");
  request = good.request();
  request.target = "/orders?limit=500";
  EXPECT_EQ(outcome(keys.verify(request, kNowPoint)), "bad_signature");
  request = good.request();
  request.method = "PUT";
  EXPECT_EQ(outcome(keys.verify(request, kNowPoint)), "bad_signature");
  EXPECT_EQ(outcome(keys.verify(good.request("batch-1"), kNowPoint)), "bad_signature");
  Signed shifted = good;
  shifted.timestamp = std::to_string(kNow + 1);
  EXPECT_EQ(outcome(keys.verify(shifted.request(), kNowPoint)), "bad_signature");
}

TEST(RequestSignature, ClockSkewWindow) {
  RequestSignatureVerifier keys = verifier();
  EXPECT_EQ(outcome(keys.verify(sign(kSecretA, kNow - 300).request(), kNowPoint)), "ok:mobile");
  EXPECT_EQ(outcome(keys.verify(sign(kSecretA, kNow + 300).request(), kNowPoint)), "ok:mobile");
  EXPECT_EQ(outcome(keys.verify(sign(kSecretA, kNow - 301).request(), kNowPoint)), "clock_skew");
  EXPECT_EQ(outcome(keys.verify(sign(kSecretA, kNow + 301).request(), kNowPoint)), "clock_skew");
}

TEST(RequestSignature, MissingPartialAndMalformedHeaders) {
  RequestSignatureVerifier keys = verifier();
  SignedRequest none{.method = "GET", .target = "/"};
  EXPECT_EQ(outcome(keys.verify(none, kNowPoint)), "missing_credentials");
  Signed good = sign(kSecretA);
  SignedRequest partial = good.request();
  partial.signature.reset();
  EXPECT_EQ(outcome(keys.verify(partial, kNowPoint)), "malformed");
  for (std::string timestamp : {"", "12x", "-5", "99999999999999999999999"}) {
    Signed bad = good;
    bad.timestamp = timestamp;
    EXPECT_EQ(outcome(keys.verify(bad.request(), kNowPoint)), "malformed") << timestamp;
  }
  Signed bad_signature = good;
  bad_signature.signature = "not a signature";
  EXPECT_EQ(outcome(keys.verify(bad_signature.request(), kNowPoint)), "malformed");
  EXPECT_EQ(outcome(keys.verify(good.request("nobody"), kNowPoint)), "unknown_key");
}

TEST(RequestSignature, BadKeysFilesNameTheLine) {
  const std::pair<std::string, std::string> cases[] = {
      {"mobile short\n",
       "clients.keys:1: the secret of 'mobile' has 5 bytes: use at least 32 "
       "random bytes"},
      {"# c\nmobile\n", "clients.keys:2: expected 'KEY_ID SECRET'"},
      {"mobile " + kSecretA + "\nmobile " + kSecretB + "\n",
       "clients.keys:2: key id 'mobile' is given twice"},
      {"mo/bile " + kSecretA + "\n",
       "clients.keys:1: 'mo/bile' is not a valid key id: use letters, digits, '.', '_' or '-'"},
      {"a " + kSecretA + " extra\n", "clients.keys:1: expected 'KEY_ID SECRET'"},
      {"# only comments\n", "clients.keys: no keys: add one 'KEY_ID SECRET' a line"},
  };
  for (const auto& [text, message] : cases) {
    auto made =
        RequestSignatureVerifier::create({.keys_file = "clients.keys"}, text, "clients.keys");
    ASSERT_FALSE(made) << text;
    EXPECT_EQ(made.error().message(), message);
  }
}

}  // namespace
}  // namespace graft::proxy
