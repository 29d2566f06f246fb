#include "registry/registry.h"

#include <gtest/gtest.h>

#include "base/hash.h"
#include "registry/test_fixture.h"

namespace graft::registry {
namespace {

using testing::RegistryTest;
using testing::sample_experiment;
using testing::seconds;

void expect_same_variant(const Variant& got, const Variant& want) {
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.env_name, want.env_name);
  EXPECT_EQ(got.prefix, want.prefix);
  EXPECT_EQ(got.environment, want.environment);
  EXPECT_EQ(got.environment_sha256, base::sha256_hex(want.environment));
  EXPECT_EQ(got.lock, want.lock);
  EXPECT_EQ(got.lock_sha256, base::sha256_hex(want.lock));
  EXPECT_EQ(got.command, want.command);
  EXPECT_EQ(got.replicas, want.replicas);
}

TEST_F(RegistryTest, AnExperimentRoundTripsWithItsVariantsInOrder) {
  const NewExperiment wanted = sample_experiment("ctr-v3");
  auto created = registry_->create_experiment(wanted);
  ASSERT_TRUE(created.has_value()) << created.error().message();
  auto record = registry_->load("ctr-v3");
  ASSERT_TRUE(record.has_value()) << record.error().message();
  const Experiment& got = record->experiment;
  EXPECT_EQ(got.id, created->id);
  EXPECT_EQ(got.name, "ctr-v3");
  EXPECT_EQ(got.spec, wanted.spec);
  EXPECT_EQ(got.state, ExperimentState::kStarting);
  EXPECT_EQ(got.step, -1);
  EXPECT_EQ(got.weights, wanted.weights);
  EXPECT_EQ(got.salt, "ctr-v3");
  EXPECT_EQ(got.created, seconds(1000));
  EXPECT_EQ(got.updated, seconds(1000));
  EXPECT_FALSE(got.controller.has_value());
  EXPECT_EQ(got.code.repository, "/src/recsys");
  EXPECT_EQ(got.code.commit, "0123abcd");
  EXPECT_TRUE(got.code.dirty);
  EXPECT_EQ(got.dataset, wanted.dataset);
  ASSERT_EQ(record->variants.size(), 2u);
  expect_same_variant(record->variants[0], wanted.variants[0]);
  expect_same_variant(record->variants[1], wanted.variants[1]);
  EXPECT_TRUE(record->steps.empty());
  EXPECT_TRUE(record->decisions.empty());
  // What create returned is what find reads back.
  auto found = registry_->find("ctr-v3");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->weights, created->weights);
  EXPECT_EQ(found->updated, created->updated);
}

TEST_F(RegistryTest, ANameIsRecordedOnce) {
  create("ctr-v3");
  auto again = registry_->create_experiment(sample_experiment("ctr-v3"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().message(), "experiment 'ctr-v3' already exists");
  EXPECT_EQ(again.error().hint(),
            "choose another name, or carry it on with 'graft exp resume ctr-v3'");
}

TEST_F(RegistryTest, AnExperimentNeedsAVariant) {
  NewExperiment empty = sample_experiment("bare");
  empty.variants.clear();
  auto created = registry_->create_experiment(empty);
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().message(),
            "experiment 'bare' has no variants: list at least the baseline");
  EXPECT_EQ(registry_->list().value().size(), 0u);
}

TEST_F(RegistryTest, AnUnknownNameSuggestsTheClosestOne) {
  create("ctr-v3");
  auto missing = registry_->find("ctr-v4");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message(), "unknown experiment 'ctr-v4', did you mean 'ctr-v3'?");
  EXPECT_EQ(registry_->load("zzz").error().message(), "unknown experiment 'zzz'");
}

TEST_F(RegistryTest, ListsExperimentsOldestFirst) {
  NewExperiment later = sample_experiment("b-later");
  later.created = seconds(2000);
  ASSERT_TRUE(registry_->create_experiment(later).has_value());
  create("a-earlier");  // created at 1000
  auto all = registry_->list();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "a-earlier");
  EXPECT_EQ((*all)[1].name, "b-later");
}

TEST_F(RegistryTest, DecisionsStepsAndStateChangeTogether) {
  const ExperimentId id = create("ctr-v3");
  ASSERT_TRUE(registry_->update(id,
                                {.state = ExperimentState::kRunning,
                                 .step = StepStart{.index = 0, .weight = 1},
                                 .weights = Weights{{"baseline", 99}, {"treatment", 1}}},
                                seconds(1010)));
  const Decision advance{.at = seconds(1040),
                         .action = Action::kAdvance,
                         .reason = "step 1 passed",
                         .metrics = R"({"srm":{"p_value":0.5}})"};
  ASSERT_TRUE(
      registry_->record_decision(id, advance,
                                 {.step = StepStart{.index = 1, .weight = 10},
                                  .weights = Weights{{"baseline", 90}, {"treatment", 10}}}));
  const Decision rollback{.at = seconds(1070),
                          .action = Action::kRollback,
                          .reason = "by hand",
                          .origin = DecisionOrigin::kManual};
  ASSERT_TRUE(
      registry_->record_decision(id, rollback,
                                 {.state = ExperimentState::kRolledBack,
                                  .weights = Weights{{"baseline", 100}, {"treatment", 0}}}));

  auto record = registry_->load("ctr-v3");
  ASSERT_TRUE(record.has_value()) << record.error().message();
  EXPECT_EQ(record->experiment.state, ExperimentState::kRolledBack);
  EXPECT_EQ(record->experiment.step, 1);
  EXPECT_EQ(record->experiment.weights, (Weights{{"baseline", 100}, {"treatment", 0}}));
  EXPECT_EQ(record->experiment.updated, seconds(1070));
  ASSERT_EQ(record->steps.size(), 2u);
  EXPECT_EQ(record->steps[0].index, 0);
  EXPECT_EQ(record->steps[0].weight, 1u);
  EXPECT_EQ(record->steps[0].started, seconds(1010));
  EXPECT_EQ(record->steps[0].ended, seconds(1040));
  EXPECT_EQ(record->steps[1].index, 1);
  EXPECT_EQ(record->steps[1].weight, 10u);
  EXPECT_EQ(record->steps[1].started, seconds(1040));
  EXPECT_EQ(record->steps[1].ended, seconds(1070));  // a final state ends the step
  ASSERT_EQ(record->decisions.size(), 2u);
  EXPECT_EQ(record->decisions[0].at, seconds(1040));
  EXPECT_EQ(record->decisions[0].action, Action::kAdvance);
  EXPECT_EQ(record->decisions[0].reason, "step 1 passed");
  EXPECT_EQ(record->decisions[0].metrics, advance.metrics);
  EXPECT_EQ(record->decisions[0].origin, DecisionOrigin::kController);
  EXPECT_EQ(record->decisions[1].action, Action::kRollback);
  EXPECT_EQ(record->decisions[1].metrics, "{}");
  EXPECT_EQ(record->decisions[1].origin, DecisionOrigin::kManual);
}

TEST_F(RegistryTest, LatestDecisionsAreTheLastOnesOldestFirst) {
  const ExperimentId id = create("ctr-v3");
  const Action actions[] = {Action::kHold,      Action::kPause, Action::kResume,
                            Action::kSetWeight, Action::kHold,  Action::kPromote};
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(registry_->record_decision(
        id, {.at = seconds(2000 + i), .action = actions[i], .reason = std::to_string(i)}));
  }
  auto latest = registry_->latest_decisions(id, 3);
  ASSERT_TRUE(latest.has_value());
  ASSERT_EQ(latest->size(), 3u);
  EXPECT_EQ((*latest)[0].reason, "3");
  EXPECT_EQ((*latest)[0].action, Action::kSetWeight);
  EXPECT_EQ((*latest)[2].reason, "5");
  EXPECT_EQ((*latest)[2].action, Action::kPromote);
  EXPECT_EQ(registry_->latest_decisions(id, 100).value().size(), 6u);
}

TEST_F(RegistryTest, AFailedDecisionChangesNothing) {
  const ExperimentId id = create("ctr-v3");
  auto bad = registry_->record_decision(
      id, {.at = seconds(1500), .action = Action::kHold, .metrics = "[1, 2"},
      {.state = ExperimentState::kPaused});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message(), "the metrics of a 'hold' decision are not a JSON object: [1, 2");
  auto unknown = registry_->record_decision(id + 99, {.at = seconds(1500)},
                                            {.state = ExperimentState::kPaused});
  EXPECT_EQ(unknown.error().code(), ErrorCode::kNotFound);
  auto record = registry_->load("ctr-v3");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->experiment.state, ExperimentState::kStarting);
  EXPECT_EQ(record->experiment.updated, seconds(1000));
  EXPECT_TRUE(record->decisions.empty());
}

TEST_F(RegistryTest, TheControllerIsSetAndCleared) {
  const ExperimentId id = create("ctr-v3");
  ASSERT_TRUE(registry_->set_controller(id, Controller{4242, "127.0.0.1:8081"}, seconds(1001)));
  auto running = registry_->find("ctr-v3");
  ASSERT_TRUE(running.has_value());
  ASSERT_TRUE(running->controller.has_value());
  EXPECT_EQ(running->controller->pid, 4242);
  EXPECT_EQ(running->controller->admin_address, "127.0.0.1:8081");
  EXPECT_EQ(running->updated, seconds(1001));
  ASSERT_TRUE(registry_->set_controller(id, std::nullopt, seconds(1002)));
  EXPECT_FALSE(registry_->find("ctr-v3")->controller.has_value());
  EXPECT_EQ(registry_->set_controller(id + 1, std::nullopt, seconds(1)).error().code(),
            ErrorCode::kNotFound);
}

TEST_F(RegistryTest, AVariantIsReplacedInPlace) {
  const ExperimentId id = create("ctr-v3");
  Variant swapped = sample_experiment("x").variants[0];
  swapped.env_name = "recsys-base-2";
  swapped.environment = "name: recsys-base-2\n";
  ASSERT_TRUE(registry_->replace_variant(id, swapped, seconds(1100)));
  auto record = registry_->load("ctr-v3");
  ASSERT_TRUE(record.has_value());
  ASSERT_EQ(record->variants.size(), 2u);
  expect_same_variant(record->variants[0], swapped);
  EXPECT_EQ(record->variants[1].name, "treatment");
  EXPECT_EQ(record->experiment.updated, seconds(1100));
  swapped.name = "nope";
  auto missing = registry_->replace_variant(id, swapped, seconds(1200));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(), "the experiment has no variant 'nope'");
}

TEST(RecordNames, StatesAndActionsRoundTripThroughTheirNames) {
  for (auto state :
       {ExperimentState::kStarting, ExperimentState::kRunning, ExperimentState::kPaused,
        ExperimentState::kRolledBack, ExperimentState::kPromoted, ExperimentState::kStopped,
        ExperimentState::kFailed}) {
    EXPECT_EQ(parse_state(state_name(state)).value(), state);
  }
  for (auto action : {Action::kHold, Action::kAdvance, Action::kRollback, Action::kPromote,
                      Action::kPause, Action::kResume, Action::kSetWeight, Action::kStop}) {
    EXPECT_EQ(parse_action(action_name(action)).value(), action);
  }
  EXPECT_EQ(parse_action("skip").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(state_name(ExperimentState::kRolledBack), "rolled_back");
  EXPECT_EQ(action_name(Action::kSetWeight), "set_weight");
  EXPECT_EQ(parse_action("promote").value(), Action::kPromote);
  EXPECT_EQ(parse_state("done").error().message(),
            "'done' is not an experiment state: use one of 'starting', 'running', 'paused', "
            "'rolled_back', 'promoted', 'stopped', 'failed'");
  EXPECT_TRUE(is_final(ExperimentState::kPromoted));
  EXPECT_FALSE(is_final(ExperimentState::kPaused));
  EXPECT_EQ(join_status_name(JoinStatus::kLate), "late");
}

TEST(RecordTimes, WallClockReadingsBecomeMicroseconds) {
  const auto wall = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1'500'999));
  EXPECT_EQ(to_micros(registry_time(wall)), 1500);
  EXPECT_EQ(from_micros(1500), registry_time(wall));
}

}  // namespace
}  // namespace graft::registry
