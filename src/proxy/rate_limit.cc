#include "proxy/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace graft::proxy {
namespace {

using Clock = std::chrono::steady_clock;

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};
struct KeyEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

}  // namespace

RateDecision TokenBucket::take(Clock::time_point now, double rate, double burst) {
  if (now > updated) {
    double elapsed = std::chrono::duration<double>(now - updated).count();
    tokens = std::min(burst, tokens + elapsed * rate);
    updated = now;
  }
  if (tokens >= 1) {
    tokens -= 1;
    return {};
  }
  double wait = std::ceil((1 - tokens) / rate);
  return {.allowed = false,
          .retry_after = std::chrono::seconds(static_cast<std::int64_t>(std::max(1.0, wait)))};
}

// Buckets by key, most recently used first.
struct RateLimiter::Shard {
  struct Entry {
    std::string key;
    TokenBucket bucket;
  };
  std::mutex mutex;
  std::list<Entry> recent;
  std::unordered_map<std::string_view, std::list<Entry>::iterator, KeyHash, KeyEqual> index;
};

RateLimiter::RateLimiter(Options options) : options_(options) {
  options_.shards = std::max<std::size_t>(1, options_.shards);
  shard_capacity_ = std::max<std::size_t>(1, options_.max_clients / options_.shards);
  refill_time_ = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options_.burst / options_.rate));
  for (std::size_t i = 0; i < options_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

RateLimiter::~RateLimiter() = default;

RateLimiter::Shard& RateLimiter::shard_of(std::string_view key) {
  // The high bits: the map inside the shard uses the same hash's low bits.
  std::size_t hash = std::hash<std::string_view>{}(key);
  return *shards_[(hash >> 32 ^ hash >> 16) % shards_.size()];
}

RateDecision RateLimiter::acquire(std::string_view key, Clock::time_point now) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(key);
  if (found != shard.index.end()) {
    shard.recent.splice(shard.recent.begin(), shard.recent, found->second);
    return found->second->bucket.take(now, options_.rate, options_.burst);
  }
  // Make room: refilled buckets are dropped for free, an active one is an eviction.
  while (!shard.recent.empty() && (shard.recent.size() >= shard_capacity_ ||
                                   now - shard.recent.back().bucket.updated >= refill_time_)) {
    const Shard::Entry& oldest = shard.recent.back();
    if (now - oldest.bucket.updated < refill_time_)
      evictions_.fetch_add(1, std::memory_order_relaxed);
    shard.index.erase(oldest.key);
    shard.recent.pop_back();
  }
  shard.recent.push_front(
      {std::string(key), TokenBucket{.tokens = options_.burst, .updated = now}});
  shard.index.emplace(shard.recent.front().key, shard.recent.begin());
  return shard.recent.front().bucket.take(now, options_.rate, options_.burst);
}

std::size_t RateLimiter::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->recent.size();
  }
  return total;
}

}  // namespace graft::proxy
