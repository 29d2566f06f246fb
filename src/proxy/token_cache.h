// A bounded cache of tokens that verified, with the wall-clock window in which each stays
// valid, so a client presenting the same token again costs a hash lookup instead of two
// JSON parses and a signature check (an RS256 check alone is tens of microseconds).
// Sound because a verifier's keys and settings never change: the answer for a token
// depends only on the time, and the window holds that (nbf - leeway .. exp + leeway).
//
// Bounded: at most `capacity` tokens over 16 shards; a full shard is emptied (a token
// evicted is simply verified again). Thread-safety: any number of threads; a mutex per
// shard, held for one lookup or insert.
#pragma once

#include <array>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "proxy/auth_result.h"

namespace graft::proxy {

class TokenCache {
 public:
  using Time = std::chrono::system_clock::time_point;
  explicit TokenCache(std::size_t capacity);

  // The identity of a cached token whose window contains `now`; nullopt otherwise.
  [[nodiscard]] std::optional<Identity> find(std::string_view token, Time now);
  // Remembers a token that verified, valid from `valid_from` to `valid_until` inclusive.
  void insert(std::string_view token, const Identity& identity, Time valid_from, Time valid_until);

 private:
  struct Entry {
    Identity identity;
    Time valid_from;
    Time valid_until;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };
  struct Equal {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Entry, Hash, Equal> entries;
  };
  Shard& shard_of(std::string_view token);

  std::size_t shard_capacity_;
  std::array<Shard, 16> shards_;
};

}  // namespace graft::proxy
