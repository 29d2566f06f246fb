// proxy auth: cost of checking one request's credentials and of one rate-limit decision.
// Prints microseconds per JWT verification (HS256, RS256, ES256; first sight of a token,
// which parses and checks the signature, and a repeated token, answered by the verified-
// token cache), per HMAC request signature and per RateLimiter::acquire. Single-threaded;
// numbers are for this machine, one run.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "proxy/auth_testing.h"
#include "proxy/jwt.h"
#include "proxy/rate_limit.h"
#include "proxy/request_signature.h"

namespace {

namespace proxy = graft::proxy;
namespace route = graft::route;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

const std::string kSecret = "0123456789abcdef0123456789abcdef0123456789";

template <typename Body>
double microseconds_per_call(std::size_t calls, Body body) {
  auto start = Clock::now();
  for (std::size_t i = 0; i < calls; ++i) body(i);
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() /
         static_cast<double>(calls);
}

void bench_jwt(const char* name, route::JwtAlgorithm algorithm, const std::string& key_text,
               const proxy::testing::Pkey& key, std::size_t tokens) {
  auto keys = proxy::JwtKeys::from_key_file(key_text, "key");
  auto verifier = proxy::JwtVerifier::create({.algorithms = {algorithm}, .key_file = "key"},
                                             std::move(*keys), "key");
  auto now = std::chrono::system_clock::now();
  std::int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  std::vector<std::string> signed_tokens;
  for (std::size_t i = 0; i < tokens; ++i) {
    signed_tokens.push_back(proxy::testing::sign_token(
        {{"alg", name}, {"typ", "JWT"}},
        {{"sub", "user-" + std::to_string(i)}, {"exp", seconds + 3600}, {"aud", "api"}}, kSecret,
        key));
  }
  std::size_t failures = 0;
  double first = microseconds_per_call(
      tokens, [&](std::size_t i) { failures += verifier->verify(signed_tokens[i], now) ? 0 : 1; });
  double repeated = microseconds_per_call(tokens * 20, [&](std::size_t i) {
    failures += verifier->verify(signed_tokens[i % tokens], now) ? 0 : 1;
  });
  std::printf("jwt %s: first sight %.2f us, repeated token %.2f us (%zu failures)\n", name, first,
              repeated, failures);
}

}  // namespace

int main() {
  auto rsa = proxy::testing::rsa_key();
  auto ec = proxy::testing::p256_key();
  bench_jwt("HS256", route::JwtAlgorithm::kHs256, kSecret, nullptr, 2'000);
  bench_jwt("RS256", route::JwtAlgorithm::kRs256, proxy::testing::public_pem(rsa), rsa, 2'000);
  bench_jwt("ES256", route::JwtAlgorithm::kEs256, proxy::testing::public_pem(ec), ec, 2'000);

  auto signatures =
      proxy::RequestSignatureVerifier::create({.keys_file = "k"}, "client " + kSecret, "k");
  auto now = std::chrono::system_clock::now();
  std::string timestamp = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  std::string body(512, 'b');
  std::string signature = graft::base::hex_encode(graft::base::HmacSha256(kSecret).sign(
      proxy::string_to_sign("POST", "/predict?v=2", timestamp, body)));
  std::size_t failures = 0;
  double hmac = microseconds_per_call(100'000, [&](std::size_t) {
    failures += signatures->verify({.method = "POST",
                                    .target = "/predict?v=2",
                                    .body = body,
                                    .key_id = "client",
                                    .timestamp = timestamp,
                                    .signature = signature},
                                   now)
                    ? 0
                    : 1;
  });
  std::printf("hmac request signature (512-byte body): %.2f us (%zu failures)\n", hmac, failures);

  proxy::RateLimiter limiter({.rate = 1e6, .burst = 1e6});
  std::vector<std::string> clients;
  for (int i = 0; i < 1000; ++i) clients.push_back("s:user-" + std::to_string(i));
  auto start = Clock::now();
  double acquire = microseconds_per_call(
      1'000'000, [&](std::size_t i) { (void)limiter.acquire(clients[i % clients.size()], start); });
  std::printf("rate limiter acquire (1000 clients): %.3f us\n", acquire);
}
