#include "base/interrupt.h"

#include <signal.h>

#include <gtest/gtest.h>

namespace graft::base {
namespace {

class InterruptTest : public ::testing::Test {
 protected:
  void TearDown() override { set_interrupt_for_testing(0); }
};

TEST_F(InterruptTest, ASignalInsideAGuardOnlySetsTheFlag) {
  EXPECT_FALSE(interrupted());
  {
    InterruptGuard guard;
    ASSERT_EQ(::raise(SIGTERM), 0);  // would end the test binary without the guard
    EXPECT_TRUE(interrupted());
    EXPECT_EQ(interrupt_signal(), SIGTERM);
  }
  EXPECT_EQ(interrupt_signal(), SIGTERM);  // stays set for the exit code
}

TEST_F(InterruptTest, CheckInterruptNamesTheSignal) {
  EXPECT_TRUE(check_interrupt());
  set_interrupt_for_testing(SIGINT);
  auto status = check_interrupt();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(status.error().message(), "interrupted by SIGINT");
}

TEST_F(InterruptTest, NestedGuardsKeepHandlingUntilTheOutermostEnds) {
  InterruptGuard outer;
  { InterruptGuard inner; }
  ASSERT_EQ(::raise(SIGINT), 0);
  EXPECT_EQ(interrupt_signal(), SIGINT);
}

TEST_F(InterruptTest, TheGuardRestoresThePreviousHandler) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction saved {};
  ASSERT_EQ(::sigaction(SIGINT, &ignore, &saved), 0);
  { InterruptGuard guard; }
  struct sigaction now {};
  ASSERT_EQ(::sigaction(SIGINT, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_IGN);
  ::sigaction(SIGINT, &saved, nullptr);
}

}  // namespace
}  // namespace graft::base
