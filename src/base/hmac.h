// HMAC-SHA256 (OpenSSL EVP_MAC) with the key set up once.
// Thread-safety: sign() and verify() are const and may run on many threads at once (each
// call works on its own copy of the keyed state).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace graft::base {

class HmacSha256 {
 public:
  static constexpr std::size_t kBytes = 32;

  explicit HmacSha256(std::string_view key);
  ~HmacSha256();
  HmacSha256(HmacSha256&&) noexcept;
  HmacSha256& operator=(HmacSha256&&) noexcept;
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  // The 32-byte MAC of `data`.
  [[nodiscard]] std::string sign(std::string_view data) const;
  // True when `mac` is the MAC of `data`; compared in constant time (CRYPTO_memcmp), and a
  // `mac` of another length never matches.
  [[nodiscard]] bool verify(std::string_view data, std::string_view mac) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace graft::base
