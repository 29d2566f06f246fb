#include "supervise/restart_policy.h"

#include <gtest/gtest.h>

namespace graft::supervise {
namespace {

using namespace std::chrono_literals;
using TimePoint = RestartPolicy::TimePoint;

TEST(RestartPolicyTest, BacksOffExponentiallyAndFailsOnTheThirdExitWithinAMinute) {
  RestartPolicy policy;
  TimePoint start{};
  EXPECT_EQ(policy.on_exit(start + 10s), 1000ms);
  EXPECT_EQ(policy.on_exit(start + 20s), 2000ms);
  EXPECT_EQ(policy.recent_exits(start + 20s), 2);
  EXPECT_EQ(policy.on_exit(start + 69s), std::nullopt);  // 10 s, 20 s, 69 s: within 60 s
}

TEST(RestartPolicyTest, ExitsOlderThanTheWindowAreForgotten) {
  RestartPolicy policy;
  TimePoint start{};
  EXPECT_EQ(policy.on_exit(start), 1000ms);
  EXPECT_EQ(policy.on_exit(start + 30s), 2000ms);
  EXPECT_EQ(policy.on_exit(start + 61s), 2000ms);  // the first exit left the window
  EXPECT_EQ(policy.recent_exits(start + 200s), 0);
  EXPECT_EQ(policy.on_exit(start + 200s), 1000ms);
}

TEST(RestartPolicyTest, TheDelayIsCapped) {
  RestartPolicy policy({.initial_delay = 10s, .max_delay = 25s, .max_exits = 10, .window = 1h});
  TimePoint start{};
  EXPECT_EQ(policy.on_exit(start), 10s);
  EXPECT_EQ(policy.on_exit(start + 1s), 20s);
  EXPECT_EQ(policy.on_exit(start + 2s), 25s);
  EXPECT_EQ(policy.on_exit(start + 3s), 25s);
}

}  // namespace
}  // namespace graft::supervise
