// Rate limits per client key: one token bucket per key (`rate` tokens a second, holding at
// most `burst`; a request takes one). The time is passed in, so tests use a fake clock.
//
// Memory is bounded: at most `max_clients` buckets, spread over shards. A bucket that has
// refilled completely is the same as no bucket and is dropped first (idle); when a shard
// is full of active buckets the least recently used one is dropped and counted in
// evictions() (its client gets a fresh burst: the degraded mode of a key flood).
//
// Thread-safety: acquire() may be called from any number of threads; each shard has its own
// mutex, held for a hash lookup and a few arithmetic operations.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace graft::proxy {

struct RateDecision {
  bool allowed = true;
  std::chrono::seconds retry_after{0};  // when refused: whole seconds until a token, >= 1
};

// One bucket: pure arithmetic, no clock.
struct TokenBucket {
  double tokens = 0;
  std::chrono::steady_clock::time_point updated;

  // Refills for the time since `updated`, then takes a token if there is one.
  RateDecision take(std::chrono::steady_clock::time_point now, double rate, double burst);
};

class RateLimiter {
 public:
  struct Options {
    double rate = 1;   // tokens per second, > 0
    double burst = 1;  // >= 1
    std::size_t max_clients = 100'000;
    std::size_t shards = 16;  // >= 1
  };

  explicit RateLimiter(Options options);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes a token from `key`'s bucket (a new bucket starts full) at `now`.
  RateDecision acquire(std::string_view key, std::chrono::steady_clock::time_point now);

  // Buckets held now, and active buckets dropped to make room so far.
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::uint64_t evictions() const {
    return evictions_.load(std::memory_order_relaxed);
  }

 private:
  struct Shard;
  Shard& shard_of(std::string_view key);

  Options options_;
  std::size_t shard_capacity_;
  std::chrono::steady_clock::duration refill_time_;  // empty to full
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace graft::proxy
