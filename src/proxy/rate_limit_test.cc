#include "proxy/rate_limit.h"

#include <thread>

#include <gtest/gtest.h>

namespace graft::proxy {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Time = std::chrono::steady_clock::time_point;

const Time kStart = Time(seconds(1000));

TEST(TokenBucket, RefillsAtTheRateUpToTheBurst) {
  TokenBucket bucket{.tokens = 2, .updated = kStart};
  EXPECT_TRUE(bucket.take(kStart, 1, 2).allowed);
  EXPECT_TRUE(bucket.take(kStart, 1, 2).allowed);
  RateDecision refused = bucket.take(kStart, 1, 2);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(1));
  EXPECT_FALSE(bucket.take(kStart + milliseconds(999), 1, 2).allowed);
  EXPECT_TRUE(bucket.take(kStart + milliseconds(1000), 1, 2).allowed);
  // A long pause refills to the burst, not beyond.
  Time later = kStart + seconds(60);
  EXPECT_TRUE(bucket.take(later, 1, 2).allowed);
  EXPECT_TRUE(bucket.take(later, 1, 2).allowed);
  EXPECT_FALSE(bucket.take(later, 1, 2).allowed);
}

TEST(TokenBucket, RetryAfterRoundsUpToWholeSeconds) {
  TokenBucket bucket{.tokens = 0, .updated = kStart};
  EXPECT_EQ(bucket.take(kStart, 0.1, 1).retry_after, seconds(10));
  EXPECT_EQ(bucket.take(kStart + seconds(5), 0.1, 1).retry_after, seconds(5));
  EXPECT_EQ(bucket.take(kStart, 100, 1).retry_after, seconds(1));
}

TEST(RateLimiter, EachKeyHasItsOwnBucket) {
  RateLimiter limiter({.rate = 10, .burst = 3});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.acquire("alice", kStart).allowed);
  EXPECT_FALSE(limiter.acquire("alice", kStart).allowed);
  EXPECT_TRUE(limiter.acquire("bob", kStart).allowed);
  EXPECT_TRUE(limiter.acquire("alice", kStart + milliseconds(100)).allowed);
  EXPECT_FALSE(limiter.acquire("alice", kStart + milliseconds(100)).allowed);
  EXPECT_EQ(limiter.size(), 2u);
}

TEST(RateLimiter, SustainedRateMatchesTheConfiguredRate) {
  RateLimiter limiter({.rate = 50, .burst = 5});
  int allowed = 0;
  for (int ms = 0; ms < 10'000; ++ms) {  // 10 s of one request per millisecond
    allowed += limiter.acquire("k", kStart + milliseconds(ms)).allowed ? 1 : 0;
  }
  EXPECT_GE(allowed, 500);
  EXPECT_LE(allowed, 506);
}

TEST(RateLimiter, MemoryIsBoundedAndIdleBucketsGoFirst) {
  RateLimiter limiter({.rate = 1, .burst = 1, .max_clients = 8, .shards = 1});
  for (int i = 0; i < 8; ++i) limiter.acquire("idle" + std::to_string(i), kStart);
  EXPECT_EQ(limiter.size(), 8u);
  // Two seconds later every bucket has refilled: making room drops them, no eviction counted.
  Time later = kStart + seconds(2);
  for (int i = 0; i < 8; ++i)
    EXPECT_TRUE(limiter.acquire("new" + std::to_string(i), later).allowed);
  EXPECT_EQ(limiter.size(), 8u);
  EXPECT_EQ(limiter.evictions(), 0u);
  // A flood of new keys while all are active: the least recently used is evicted.
  EXPECT_FALSE(limiter.acquire("new0", later).allowed);  // new0 is now most recent
  for (int i = 0; i < 100; ++i) limiter.acquire("flood" + std::to_string(i), later);
  EXPECT_EQ(limiter.size(), 8u);
  EXPECT_EQ(limiter.evictions(), 100u);
}

TEST(RateLimiter, ConcurrentCallersShareOneBucketPerKey) {
  RateLimiter limiter({.rate = 0.001, .burst = 1000});
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) allowed += limiter.acquire("shared", kStart).allowed ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace graft::proxy
