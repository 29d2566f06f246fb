// libFuzzer target for the proxy's credential parsers: JWT compact tokens (verified with an
// HS256 key, so shape, header, claims and the cache paths all run), JWK Sets and HMAC keys
// files. Checks they never crash and never accept what they cannot have verified: a token
// passes only when it is within the size limit, and a loaded key set is never empty.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proxy/jwt.h"
#include "proxy/request_signature.h"

namespace {

namespace proxy = graft::proxy;

const proxy::JwtVerifier& verifier() {
  static const proxy::JwtVerifier made = [] {
    auto keys = proxy::JwtKeys::from_key_file("fuzz-secret-0123456789abcdef-0123456789", "k");
    auto created = proxy::JwtVerifier::create(
        {.algorithms = {graft::route::JwtAlgorithm::kHs256}, .key_file = "k", .audience = "a"},
        std::move(*keys), "k");
    if (!created) std::abort();
    return std::move(*created);
  }();
  return made;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  switch (data[0] % 3) {
    case 0: {
      auto result = verifier().verify(input, now);
      if (result && input.size() > proxy::kMaxTokenBytes) std::abort();
      break;
    }
    case 1: {
      auto keys = proxy::JwtKeys::from_jwks(input, "fuzz.json");
      if (keys && keys->size() == 0) std::abort();
      break;
    }
    default: {
      auto signatures = proxy::RequestSignatureVerifier::create({.keys_file = "f"}, input, "f");
      if (signatures && signatures->size() == 0) std::abort();
      break;
    }
  }
  return 0;
}
