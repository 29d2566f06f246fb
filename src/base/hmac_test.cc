#include "base/hmac.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/encoding.h"

namespace graft::base {
namespace {

// RFC 4231 test cases 1, 2 and 6 (a key longer than the block).
TEST(HmacSha256, MatchesRfc4231) {
  EXPECT_EQ(hex_encode(HmacSha256(std::string(20, '\x0b')).sign("Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex_encode(HmacSha256("Jefe").sign("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex_encode(HmacSha256(std::string(131, '\xaa'))
                           .sign("Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, VerifyChecksEveryByteAndTheLength) {
  HmacSha256 mac("secret");
  std::string good = mac.sign("message");
  EXPECT_TRUE(mac.verify("message", good));
  std::string flipped = good;
  flipped[31] ^= 1;
  EXPECT_FALSE(mac.verify("message", flipped));
  EXPECT_FALSE(mac.verify("message", good.substr(0, 16)));
  EXPECT_FALSE(mac.verify("message", ""));
  EXPECT_FALSE(mac.verify("massage", good));
}

TEST(HmacSha256, OneKeySignsOnManyThreadsAtOnce) {
  HmacSha256 mac("shared key");
  std::string expected = mac.sign("payload");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (mac.sign("payload") != expected) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace graft::base
