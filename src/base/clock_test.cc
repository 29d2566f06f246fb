#include "base/clock.h"

#include <gtest/gtest.h>

namespace graft::base {
namespace {

using namespace std::chrono_literals;

TEST(ManualClockTest, MovesOnlyWhenAdvancedAndBothReadingsTogether) {
  ManualClock clock;
  const auto steady = clock.steady();
  const auto wall = clock.wall();
  EXPECT_EQ(clock.steady(), steady);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(wall), 1704067200);
  clock.advance(90s);
  EXPECT_EQ(clock.steady() - steady, 90s);
  EXPECT_EQ(clock.wall() - wall, 90s);
  clock.advance(-10s);
  EXPECT_EQ(clock.steady() - steady, 90s);
}

TEST(RealClockTest, FollowsTheSystemClocks) {
  const Clock& clock = real_clock();
  const auto before = std::chrono::steady_clock::now();
  const auto reading = clock.steady();
  EXPECT_GE(reading, before);
  EXPECT_LE(reading, std::chrono::steady_clock::now());
  EXPECT_LT(std::chrono::abs(clock.wall() - std::chrono::system_clock::now()), 1s);
}

}  // namespace
}  // namespace graft::base
