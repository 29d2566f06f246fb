#include "base/zstd.h"

#include <gtest/gtest.h>

#include <string>

namespace graft::base {
namespace {

TEST(ZstdTest, RoundTrips) {
  for (const std::string& text : {std::string("{}"), std::string(1 << 20, 'x') + "end"}) {
    auto compressed = zstd_compress(text);
    ASSERT_TRUE(compressed.has_value());
    auto decompressed = zstd_decompress(*compressed, "r.json.zst");
    ASSERT_TRUE(decompressed.has_value()) << decompressed.error().message();
    EXPECT_EQ(*decompressed, text);
  }
}

TEST(ZstdTest, BadInputIsAClearError) {
  auto compressed = zstd_compress(std::string(100000, 'a') + "b");
  ASSERT_TRUE(compressed.has_value());
  const struct {
    std::string bytes;
    std::string error;
  } tests[] = {
      {"", "'r.zst' is cut short"},
      {compressed->substr(0, compressed->size() - 4), "'r.zst' is cut short"},
      {"not zstd at all", "'r.zst' is not valid zstd data: Unknown frame descriptor"},
  };
  for (const auto& test : tests) {
    auto decompressed = zstd_decompress(test.bytes, "r.zst");
    ASSERT_FALSE(decompressed.has_value()) << test.error;
    EXPECT_EQ(decompressed.error().code(), ErrorCode::kCorrupt);
    EXPECT_EQ(decompressed.error().message(), test.error);
  }
}

TEST(ZstdTest, LimitsStopABomb) {
  auto bomb = zstd_compress(std::string(8 << 20, ' '), 19);
  ASSERT_TRUE(bomb.has_value());
  auto too_big = zstd_decompress(*bomb, "b.zst", {.max_bytes = 1 << 20});
  ASSERT_FALSE(too_big.has_value());
  EXPECT_EQ(too_big.error().message(),
            "'b.zst' is larger than the limit of 1048576 bytes once decompressed");
  auto expands = zstd_decompress(*bomb, "b.zst", {.max_expansion = 100});
  ASSERT_FALSE(expands.has_value());
  EXPECT_EQ(expands.error().message(),
            "'b.zst' expands to more than 100 times its size: refused as a decompression bomb");
  EXPECT_TRUE(zstd_decompress(*bomb, "b.zst", {.max_bytes = 8 << 20}).has_value());
}

}  // namespace
}  // namespace graft::base
