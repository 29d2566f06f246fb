#include "experiment/controller.h"

#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace graft::experiment {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

const std::chrono::system_clock::time_point kStart{std::chrono::seconds(1'700'000'000)};

ControllerPlan plan(std::vector<std::uint32_t> steps = {1, 10, 50, 100}) {
  return {.variants = {"baseline", "treatment"},
          .steps = std::move(steps),
          .min_requests = 200,
          .alpha = 0.05,
          .error_rate_max_delta = 0.005,
          .latency_p99_max_ratio = 1.2};
}

// One variant's window: `requests` requests from `users` users, `errors` of them failed,
// latencies drawn from a log-normal distribution around `median_ms`.
stats::VariantInput window(const std::string& name, std::uint64_t requests, std::uint64_t users,
                           std::uint64_t errors, double median_ms, std::mt19937_64& random) {
  stats::VariantInput input{.name = name, .requests = requests, .users = users, .errors = errors};
  std::lognormal_distribution<double> latency(std::log(median_ms * 1000), 0.3);
  for (std::uint64_t i = 0; i < requests; ++i) {
    input.latency.record(static_cast<std::uint64_t>(latency(random)));
  }
  return input;
}

// Feeds windows to the controller, keeping the totals, until it decides something other
// than what `keep_going` accepts or `looks` windows have passed.
struct Simulation {
  Controller controller = Controller::create(plan()).value();
  std::vector<stats::VariantInput> total = {{.name = "baseline"}, {.name = "treatment"}};
  std::chrono::system_clock::time_point now = kStart;
  int window_count = 0;

  Decision look(std::vector<stats::VariantInput> windows, std::set<std::string> failed = {}) {
    for (std::size_t i = 0; i < windows.size(); ++i) {
      total[i].requests += windows[i].requests;
      total[i].users += windows[i].users;
      total[i].errors += windows[i].errors;
      total[i].latency += windows[i].latency;
    }
    now += 30s;
    auto decision = controller.evaluate({windows, total, std::move(failed), ++window_count}, now);
    EXPECT_TRUE(decision);
    return decision.value_or(Decision{});
  }
};

TEST(ControllerTest, AHealthyTreatmentAdvancesThroughEveryStepAndIsPromoted) {
  std::mt19937_64 random(1);
  Simulation run;
  run.controller.start();
  EXPECT_EQ(run.controller.weights(), (Weights{{"baseline", 99}, {"treatment", 1}}));
  std::vector<Action> actions;
  for (int i = 0; i < 4; ++i) {
    // users in proportion to the weights in force
    const std::uint32_t weight = run.controller.weights().at("treatment");
    const std::uint64_t treatment_users = 20 * weight;
    const std::uint64_t baseline_users = 20 * (100 - weight);
    Decision decision = run.look({window("baseline", 1000, baseline_users, 1, 20, random),
                                  window("treatment", 1000, treatment_users, 1, 20, random)});
    actions.push_back(decision.action);
    EXPECT_NE(decision.action, Action::kHold) << decision.reason;
    EXPECT_FALSE(decision.manual);
    EXPECT_EQ(decision.at, run.now);
  }
  EXPECT_EQ(actions, (std::vector<Action>{Action::kAdvance, Action::kAdvance, Action::kAdvance,
                                          Action::kPromote}));
  EXPECT_EQ(run.controller.state(), State::kPromoted);
  EXPECT_EQ(run.controller.weights(), (Weights{{"baseline", 0}, {"treatment", 100}}));
  EXPECT_FALSE(run.controller.evaluate({}, run.now));
}

TEST(ControllerTest, ATreatmentFailingThirtyPercentIsRolledBackOnTheErrorRate) {
  std::mt19937_64 random(2);
  Simulation run;
  run.controller.start();
  Decision decision = run.look({window("baseline", 1000, 600, 2, 20, random),
                                window("treatment", 300, 200, 90, 20, random)});
  EXPECT_EQ(decision.action, Action::kRollback);
  EXPECT_THAT(decision.reason, HasSubstr("error rate of 'treatment' exceeds the baseline's by "
                                         "more than 0.005 since the start: 0.3000 against 0.0020"));
  EXPECT_EQ(decision.metrics["guardrail"], "error_rate");
  EXPECT_EQ(decision.weights, (Weights{{"baseline", 100}, {"treatment", 0}}));
  EXPECT_EQ(run.controller.state(), State::kRolledBack);
}

TEST(ControllerTest, ATreatmentThreeTimesSlowerIsRolledBackOnTheP99Guardrail) {
  std::mt19937_64 random(3);
  Simulation run;
  run.controller.start();
  Decision decision = run.look(
      {window("baseline", 1000, 600, 0, 20, random), window("treatment", 400, 250, 0, 60, random)});
  EXPECT_EQ(decision.action, Action::kRollback);
  EXPECT_THAT(decision.reason, HasSubstr("p99 latency of 'treatment' is"));
  EXPECT_EQ(decision.metrics["guardrail"], "latency_p99");
  EXPECT_NEAR(decision.metrics["p99_ratio"].get<double>(), 3.0, 0.6);
}

// A faster treatment whose p99 is high only because of a few slow requests (a cold start)
// is not "stochastically slower": the one-sided test looks in the treatment's direction.
TEST(ControllerTest, AFasterTreatmentWithAFewSlowRequestsIsNotRolledBack) {
  std::mt19937_64 random(5);
  Simulation run;
  run.controller.start();
  stats::VariantInput treatment = window("treatment", 400, 250, 0, 10, random);
  treatment.latency.record(900'000, 8);  // 2% at 900 ms: p99 far above the baseline's
  treatment.requests += 8;
  Decision decision = run.look({window("baseline", 1000, 600, 0, 20, random), treatment});
  EXPECT_NE(decision.action, Action::kRollback) << decision.reason;
}

// With fewer than 100 requests, a p99 is the slowest request: not evidence enough.
TEST(ControllerTest, TheP99GuardrailWaitsForAHundredRequests) {
  std::mt19937_64 random(6);
  Controller controller = Controller::create([] {
                            ControllerPlan p = plan();
                            p.min_requests = 10;
                            return p;
                          }())
                              .value();
  controller.start();
  std::vector<stats::VariantInput> small = {window("baseline", 2000, 990, 0, 20, random),
                                            window("treatment", 60, 10, 0, 60, random)};
  auto decision = controller.evaluate({small, small, {}}, kStart + 30s);
  ASSERT_TRUE(decision);
  EXPECT_EQ(decision->action, Action::kAdvance) << decision->reason;
  std::vector<stats::VariantInput> enough = {window("baseline", 2000, 900, 0, 20, random),
                                             window("treatment", 150, 100, 0, 60, random)};
  decision = controller.evaluate({enough, enough, {}}, kStart + 60s);
  ASSERT_TRUE(decision);
  EXPECT_EQ(decision->action, Action::kRollback) << decision->reason;
}

TEST(ControllerTest, TooFewRequestsHold) {
  std::mt19937_64 random(4);
  Simulation run;
  run.controller.start();
  Decision decision = run.look(
      {window("baseline", 5000, 3000, 0, 20, random), window("treatment", 50, 40, 0, 20, random)});
  EXPECT_EQ(decision.action, Action::kHold);
  EXPECT_EQ(decision.reason, "only 50 requests to 'treatment' in this window; min_requests is 200");
  EXPECT_EQ(run.controller.step(), 0);
}

TEST(ControllerTest, UsersForcedIntoTheTreatmentAreASampleRatioMismatch) {
  std::mt19937_64 random(5);
  Simulation run;
  run.controller.start();
  // 1% weight, but half the users are in the treatment (an override header)
  Decision decision = run.look({window("baseline", 2000, 1000, 0, 20, random),
                                window("treatment", 2000, 1000, 0, 20, random)});
  EXPECT_EQ(decision.action, Action::kHold);
  EXPECT_THAT(decision.reason, HasSubstr("sample ratio mismatch"));
  EXPECT_LT(decision.metrics["srm"]["p_value"].get<double>(), 0.001);
}

TEST(ControllerTest, AFailedTreatmentIsRolledBack) {
  std::mt19937_64 random(6);
  Simulation run;
  run.controller.start();
  Decision decision = run.look(
      {window("baseline", 1000, 900, 0, 20, random), window("treatment", 10, 9, 0, 20, random)},
      {"treatment"});
  EXPECT_EQ(decision.action, Action::kRollback);
  EXPECT_EQ(decision.reason, "treatment 'treatment' failed: its replicas kept exiting");
}

TEST(ControllerTest, ManualCommandsWinAndAreDecisions) {
  Controller controller = Controller::create(plan()).value();
  controller.start();
  auto paused = controller.pause(kStart);
  ASSERT_TRUE(paused);
  EXPECT_TRUE(paused->manual);
  EXPECT_FALSE(controller.active());
  EXPECT_FALSE(controller.pause(kStart));
  ASSERT_TRUE(controller.resume_running(kStart));
  auto weight = controller.set_weight("treatment", 25, kStart);
  ASSERT_TRUE(weight);
  EXPECT_EQ(weight->weights, (Weights{{"baseline", 75}, {"treatment", 25}}));
  auto unknown = controller.set_weight("treatmnt", 5, kStart);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message(), "unknown variant 'treatmnt'");
  EXPECT_EQ(unknown.error().hint(), "did you mean 'treatment'?");
  EXPECT_FALSE(controller.set_weight("treatment", 101, kStart));
  auto rolled_back = controller.rollback("", kStart);
  ASSERT_TRUE(rolled_back);
  EXPECT_EQ(rolled_back->reason, "rolled back by hand");
  EXPECT_EQ(controller.weights(), (Weights{{"baseline", 100}, {"treatment", 0}}));
  // after a manual rollback the controller never advances again
  EXPECT_FALSE(controller.evaluate({}, kStart));
  auto again = controller.set_weight("treatment", 10, kStart);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message(), "the experiment has ended (rolled_back)");
}

TEST(ControllerTest, StepsThatDoNotFitAreRefused) {
  auto too_big = Controller::create(plan({10, 101}));
  ASSERT_FALSE(too_big);
  EXPECT_THAT(too_big.error().message(), HasSubstr("rollout step 101% is too large"));
  EXPECT_FALSE(Controller::create(plan({})));
}

TEST(ControllerTest, ResumeCarriesOnAtTheRecordedStepAndWeights) {
  auto controller =
      Controller::resume(plan(), State::kRunning, 2, {{"baseline", 50}, {"treatment", 50}});
  ASSERT_TRUE(controller);
  EXPECT_EQ(controller->step(), 2);
  EXPECT_TRUE(controller->active());
  EXPECT_EQ(controller->weights().at("treatment"), 50u);
}

// An A/A experiment looked at 20 times: a rollback is a false alarm. Over 1,000 runs the
// rate of false rollbacks stays at or below alpha.
TEST(ControllerTest, AnAaExperimentWithTwentyLooksRollsBackAtMostAlphaOfTheTime) {
  std::mt19937_64 random(20261202);
  const std::vector<std::uint32_t> steps(20, 50);
  int rollbacks = 0;
  constexpr int kRuns = 1000;
  for (int run_index = 0; run_index < kRuns; ++run_index) {
    Simulation run;
    run.controller = Controller::create(plan(steps)).value();
    run.controller.start();
    for (int look = 0; look < 20 && run.controller.active(); ++look) {
      std::binomial_distribution<std::uint64_t> errors(300, 0.01);
      Decision decision = run.look({window("baseline", 300, 300, errors(random), 20, random),
                                    window("treatment", 300, 300, errors(random), 20, random)});
      if (decision.action == Action::kRollback) ++rollbacks;
    }
  }
  EXPECT_LE(rollbacks, static_cast<int>(kRuns * 0.05)) << rollbacks << " false rollbacks";
}

// watch() between windows: a breach is rolled back as soon as the evidence suffices; a
// healthy treatment gets nothing.
TEST(ControllerTest, WatchRollsBackABreachBetweenWindowsAndLeavesAHealthyOneAlone) {
  std::mt19937_64 random(5);
  Controller controller = Controller::create(plan()).value();
  controller.start();
  std::vector<stats::VariantInput> healthy = {window("baseline", 500, 400, 1, 20, random),
                                              window("treatment", 500, 400, 1, 20, random)};
  EXPECT_FALSE(controller.watch({healthy, healthy, {}}, kStart));
  // The treatment's latency is not watched between windows: that needs a whole window.
  std::vector<stats::VariantInput> slow = {window("baseline", 500, 400, 1, 20, random),
                                           window("treatment", 500, 400, 1, 80, random)};
  EXPECT_FALSE(controller.watch({slow, slow, {}}, kStart));
  EXPECT_EQ(controller.state(), State::kRunning);
  std::vector<stats::VariantInput> failing = {window("baseline", 500, 400, 1, 20, random),
                                              window("treatment", 500, 400, 150, 20, random)};
  auto decision = controller.watch({failing, failing, {}}, kStart + 5s);
  ASSERT_TRUE(decision);
  EXPECT_EQ(decision->action, Action::kRollback);
  EXPECT_EQ(decision->metrics["guardrail"], "error_rate");
  EXPECT_EQ(controller.state(), State::kRolledBack);
  EXPECT_FALSE(controller.watch({failing, failing, {}}, kStart + 6s));  // it has ended
}

// A treatment that starts failing after a long healthy run: in the totals its errors are
// diluted below max_delta, in the current window they are not.
TEST(ControllerTest, ATreatmentThatStartsFailingLateIsCaughtInItsWindow) {
  std::mt19937_64 random(7);
  Controller controller = Controller::create(plan()).value();
  controller.start();
  std::vector<stats::VariantInput> window_now = {window("baseline", 600, 500, 1, 20, random),
                                                 window("treatment", 300, 250, 90, 20, random)};
  std::vector<stats::VariantInput> total = {window("baseline", 40'000, 5'000, 80, 20, random),
                                            window("treatment", 20'000, 2'500, 130, 20, random)};
  auto decision = controller.watch({window_now, total, {}, 3}, kStart);
  ASSERT_TRUE(decision);
  EXPECT_EQ(decision->action, Action::kRollback);
  EXPECT_EQ(decision->metrics["scope"], "in this window");
  EXPECT_THAT(decision->reason, HasSubstr("in this window: 0.3000 against 0.0017"));
  // The window's alpha: 0.05 / 2 * 6 / (pi^2 * 9).
  EXPECT_NEAR(decision->metrics["alpha"].get<double>(), 0.05 / 2 * 6 / (9.8696044 * 9), 1e-6);
}

// Steps 50 and 100: a healthy first window advances to the last, where the baseline's
// weight is 0.
void advance_to_the_last_step(Simulation& run, std::mt19937_64& random) {
  run.controller = Controller::create(plan({50, 100})).value();
  run.controller.start();
  ASSERT_EQ(run.look({window("baseline", 1000, 500, 0, 20, random),
                      window("treatment", 1000, 500, 0, 20, random)})
                .action,
            Action::kAdvance);
}

// A variant at weight 0 that still got a few users in the window (requests in flight when
// the weights changed) is no sample ratio mismatch: the check covers variants with weight.
TEST(ControllerTest, AZeroWeightVariantsStragglersAreNoSampleRatioMismatch) {
  std::mt19937_64 random(9);
  Simulation run;
  ASSERT_NO_FATAL_FAILURE(advance_to_the_last_step(run, random));
  ASSERT_EQ(run.controller.weights(), (Weights{{"baseline", 0}, {"treatment", 100}}));
  Decision decision = run.look(
      {window("baseline", 3, 3, 0, 20, random), window("treatment", 1000, 500, 0, 20, random)});
  EXPECT_EQ(decision.action, Action::kPromote) << decision.reason;
}

// More than stragglers at weight 0 (here: the proxy sent them elsewhere) is a mismatch.
TEST(ControllerTest, ManyUsersOfAZeroWeightVariantAreASampleRatioMismatch) {
  std::mt19937_64 random(10);
  Simulation run;
  ASSERT_NO_FATAL_FAILURE(advance_to_the_last_step(run, random));
  Decision decision = run.look(
      {window("baseline", 400, 200, 0, 20, random), window("treatment", 600, 300, 0, 20, random)});
  EXPECT_EQ(decision.action, Action::kHold);
  EXPECT_EQ(decision.reason,
            "sample ratio mismatch: 200 of 500 users reached 'baseline', whose weight is 0");
}

// At a last step of 100% the window has no baseline: the run's baseline stands in.
TEST(ControllerTest, AWindowWithoutBaselineTrafficComparesWithTheRunsBaseline) {
  std::mt19937_64 random(8);
  Controller controller = Controller::create(plan()).value();
  controller.start();
  std::vector<stats::VariantInput> window_now = {{.name = "baseline"},
                                                 window("treatment", 300, 250, 90, 20, random)};
  std::vector<stats::VariantInput> total = {window("baseline", 40'000, 5'000, 80, 20, random),
                                            window("treatment", 20'000, 2'500, 130, 20, random)};
  auto decision = controller.watch({window_now, total, {}, 2}, kStart);
  ASSERT_TRUE(decision);
  EXPECT_EQ(decision->metrics["scope"], "in this window");
  EXPECT_THAT(decision->reason, HasSubstr("in this window: 0.3000 against 0.0020"));
}

// Watching an A/A experiment every few seconds (100 looks) keeps false rollbacks at or
// below alpha: the interval is valid at every look.
TEST(ControllerTest, WatchingAnAaExperimentOftenRollsBackAtMostAlphaOfTheTime) {
  std::mt19937_64 random(20261203);
  int rollbacks = 0;
  constexpr int kRuns = 1000;
  for (int run_index = 0; run_index < kRuns; ++run_index) {
    Controller controller = Controller::create(plan({50})).value();
    controller.start();
    stats::Proportion totals[2] = {{0, 0}, {0, 0}};
    std::binomial_distribution<std::uint64_t> errors(60, 0.01);
    for (int look = 0; look < 100 && controller.active(); ++look) {
      std::vector<stats::VariantInput> total;
      for (int v = 0; v < 2; ++v) {
        totals[v].successes += errors(random);
        totals[v].trials += 60;
        total.push_back({.name = v == 0 ? "baseline" : "treatment",
                         .requests = totals[v].trials,
                         .users = totals[v].trials,
                         .errors = totals[v].successes});
      }
      if (auto decision = controller.watch({total, total, {}}, kStart + look * 1s);
          decision && decision->action == Action::kRollback) {
        ++rollbacks;
      }
    }
  }
  EXPECT_LE(rollbacks, static_cast<int>(kRuns * 0.05)) << rollbacks << " false rollbacks";
}

}  // namespace
}  // namespace graft::experiment
