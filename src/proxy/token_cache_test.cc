#include "proxy/token_cache.h"

#include <gtest/gtest.h>

namespace graft::proxy {
namespace {

using std::chrono::seconds;
using Time = TokenCache::Time;

const Time kNow = Time(seconds(1'800'000'000));

TEST(TokenCache, AnswersOnlyInsideTheWindow) {
  TokenCache cache(64);
  EXPECT_FALSE(cache.find("t1", kNow));
  cache.insert("t1", {"alice"}, kNow - seconds(10), kNow + seconds(10));
  EXPECT_EQ(cache.find("t1", kNow)->subject, "alice");
  EXPECT_EQ(cache.find("t1", kNow + seconds(10))->subject, "alice");
  EXPECT_FALSE(cache.find("t1", kNow + seconds(11)));
  EXPECT_FALSE(cache.find("t1", kNow - seconds(11)));
  EXPECT_FALSE(cache.find("t2", kNow));
}

TEST(TokenCache, StaysWithinItsCapacity) {
  TokenCache cache(16);  // one entry per shard
  for (int i = 0; i < 1000; ++i) {
    cache.insert("token-" + std::to_string(i), {"u"}, Time::min(), Time::max());
  }
  int held = 0;
  for (int i = 0; i < 1000; ++i) held += cache.find("token-" + std::to_string(i), kNow) ? 1 : 0;
  EXPECT_GE(held, 1);
  EXPECT_LE(held, 16);
  EXPECT_TRUE(cache.find("token-999", kNow));  // the newest is always kept
}

}  // namespace
}  // namespace graft::proxy
