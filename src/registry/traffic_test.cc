#include "registry/traffic.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "registry/test_fixture.h"

namespace graft::registry {
namespace {

using std::chrono::microseconds;
using testing::seconds;

Assignment assignment(std::string request_id, std::string variant,
                      std::optional<std::uint64_t> user, std::int64_t second,
                      std::int32_t status = 200) {
  return {.request_id = std::move(request_id),
          .variant = std::move(variant),
          .user_hash = user,
          .at = seconds(second),
          .status = status,
          .latency = microseconds(1500)};
}

class TrafficLogTest : public testing::RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    id_ = create("ctr-v3");
    log_.emplace(*registry_);
  }

  void append(const std::vector<Assignment>& batch) {
    auto outcome = log_->append_assignments(id_, batch);
    ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
    ASSERT_EQ(outcome->written, static_cast<std::int64_t>(batch.size()));
  }

  ExperimentId id_ = 0;
  std::optional<TrafficLog> log_;
};

TEST_F(TrafficLogTest, AssignmentsRoundTripInTimeOrder) {
  const std::uint64_t big_hash = 0xFEDCBA9876543210u;  // above INT64_MAX
  append({assignment("r2", "treatment", big_hash, 11, 503), assignment("r1", "baseline", 7, 10),
          assignment("r3", "baseline", std::nullopt, 12)});
  auto rows = log_->assignments(id_, {seconds(0), seconds(100)});
  ASSERT_TRUE(rows.has_value()) << rows.error().message();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].request_id, "r1");
  EXPECT_EQ((*rows)[0].user_hash, 7u);
  EXPECT_EQ((*rows)[1].request_id, "r2");
  EXPECT_EQ((*rows)[1].variant, "treatment");
  EXPECT_EQ((*rows)[1].user_hash, big_hash);
  EXPECT_EQ((*rows)[1].at, seconds(11));
  EXPECT_EQ((*rows)[1].status, 503);
  EXPECT_EQ((*rows)[1].latency, microseconds(1500));
  EXPECT_FALSE((*rows)[2].user_hash.has_value());
  // The window is half-open: [10 s, 12 s) holds r1 and r2.
  EXPECT_EQ(log_->assignments(id_, {seconds(10), seconds(12)}).value().size(), 2u);
}

TEST_F(TrafficLogTest, ARepeatedRequestIdIsCountedNotWrittenTwice) {
  append({assignment("r1", "baseline", 1, 10)});
  auto outcome = log_->append_assignments(
      id_, std::vector{assignment("r1", "treatment", 2, 11), assignment("r2", "baseline", 3, 11),
                       assignment("r2", "baseline", 3, 11)});
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->written, 1);
  EXPECT_EQ(outcome->duplicates, 2);
  auto rows = log_->assignments(id_, {seconds(0), seconds(100)});
  ASSERT_EQ(rows.value().size(), 2u);
  EXPECT_EQ(rows.value()[0].variant, "baseline");  // the first row of r1 stays
}

TEST_F(TrafficLogTest, AnUnknownExperimentWritesNothing) {
  auto outcome = log_->append_assignments(id_ + 1, std::vector{assignment("r1", "b", 1, 1)});
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(outcome.error().message(),
            "no experiment with id " + std::to_string(id_ + 1) + " in the registry");
  auto feedback = log_->append_feedback(id_ + 1, std::vector<Feedback>{{"r1", 1.0, seconds(1)}});
  EXPECT_EQ(feedback.error().code(), ErrorCode::kNotFound);
}

TEST_F(TrafficLogTest, TrafficCountsRequestsUsersAndErrorsPerVariantInTheWindow) {
  append({assignment("a", "baseline", 1, 10), assignment("b", "baseline", 1, 11, 500),
          assignment("c", "baseline", 2, 12), assignment("d", "baseline", std::nullopt, 13),
          assignment("e", "treatment", 3, 14, 404), assignment("f", "baseline", 9, 20),
          assignment("g", "stray", 5, 15)});
  auto counts = log_->traffic(id_, {seconds(10), seconds(20)});
  ASSERT_TRUE(counts.has_value()) << counts.error().message();
  ASSERT_EQ(counts->size(), 3u);
  EXPECT_EQ((*counts)[0].variant, "baseline");
  EXPECT_EQ((*counts)[0].requests, 4);
  EXPECT_EQ((*counts)[0].users, 2);  // 1 and 2; a request without a user is none
  EXPECT_EQ((*counts)[0].errors, 1);
  EXPECT_EQ((*counts)[1].variant, "treatment");
  EXPECT_EQ((*counts)[1].requests, 1);
  EXPECT_EQ((*counts)[1].errors, 0);  // 404 is not a server error
  EXPECT_EQ((*counts)[2].variant, "stray");
  auto empty = log_->traffic(id_, {seconds(100), seconds(200)});
  ASSERT_EQ(empty.value().size(), 2u);  // both variants, with zeros
  EXPECT_EQ(empty.value()[1].variant, "treatment");
  EXPECT_EQ(empty.value()[1].requests, 0);
}

TEST_F(TrafficLogTest, FeedbackJoinsInTimeAndCountsLateAndUnknownIds) {
  append({assignment("r1", "baseline", 1, 100), assignment("r2", "baseline", 1, 101),
          assignment("r3", "treatment", 2, 102), assignment("r4", "treatment", std::nullopt, 103),
          assignment("r5", "treatment", 3, 500)});  // outside the window
  const std::vector<Feedback> posted{
      {"r1", 1.0, seconds(110)},   {"r2", 0.5, seconds(161)},  // 60 s after: still in time
      {"r3", 2.0, seconds(200)},                               // 98 s after: late
      {"r3", 4.0, seconds(150)},   {"r4", 3.0, seconds(104)},
      {"nope", 1.0, seconds(120)},  // unknown, in the window
      {"gone", 1.0, seconds(900)},  // unknown, after it
      {"r5", 1.0, seconds(501)}};   // its request is outside
  ASSERT_EQ(log_->append_feedback(id_, posted).value_or(0), 8);
  auto join = log_->join_feedback(
      id_, {.attribution = std::chrono::seconds(60), .requests = {seconds(100), seconds(200)}});
  ASSERT_TRUE(join.has_value()) << join.error().message();
  EXPECT_EQ(join->joined, 4);
  EXPECT_EQ(join->late, 1);
  EXPECT_EQ(join->unknown, 1);
  ASSERT_EQ(join->variants.size(), 2u);
  const auto& baseline = join->variants.at("baseline");
  ASSERT_EQ(baseline.size(), 1u);  // r1 and r2 are one user's
  EXPECT_EQ(baseline[0].user_hash, 1u);
  EXPECT_DOUBLE_EQ(baseline[0].sum, 1.5);
  EXPECT_EQ(baseline[0].count, 2);
  const auto& treatment = join->variants.at("treatment");
  ASSERT_EQ(treatment.size(), 2u);  // user 2, and r4 without a user
  EXPECT_FALSE(treatment[0].user_hash.has_value());
  EXPECT_DOUBLE_EQ(treatment[0].sum, 3.0);
  EXPECT_EQ(treatment[1].user_hash, 2u);
  EXPECT_DOUBLE_EQ(treatment[1].sum, 4.0);
}

TEST_F(TrafficLogTest, FeedbackPostedBeforeItsRequestIsWrittenJoinsLater) {
  ASSERT_TRUE(log_->append_feedback(id_, std::vector<Feedback>{{"r1", 1.0, seconds(11)}}));
  const FeedbackWindow window{.attribution = std::chrono::seconds(60),
                              .requests = {seconds(0), seconds(100)}};
  EXPECT_EQ(log_->join_feedback(id_, window).value().unknown, 1);
  append({assignment("r1", "treatment", 5, 10)});
  auto join = log_->join_feedback(id_, window);
  ASSERT_TRUE(join.has_value());
  EXPECT_EQ(join->unknown, 0);
  EXPECT_EQ(join->joined, 1);
}

TEST_F(TrafficLogTest, EachPostedValueListsWhatItJoined) {
  append({assignment("r1", "treatment", 5, 10)});
  ASSERT_TRUE(log_->append_feedback(
      id_, std::vector<Feedback>{
               {"r1", 1.0, seconds(20)}, {"x", 2.0, seconds(21)}, {"r1", 3.0, seconds(100)}}));
  auto rows = log_->feedback(id_, std::chrono::seconds(30));
  ASSERT_TRUE(rows.has_value()) << rows.error().message();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].status, JoinStatus::kJoined);
  EXPECT_EQ((*rows)[0].variant, "treatment");
  EXPECT_EQ((*rows)[0].user_hash, 5u);
  EXPECT_DOUBLE_EQ((*rows)[0].feedback.value, 1.0);
  EXPECT_EQ((*rows)[1].status, JoinStatus::kUnknown);
  EXPECT_EQ((*rows)[1].feedback.request_id, "x");
  EXPECT_EQ((*rows)[1].variant, "");
  EXPECT_EQ((*rows)[2].status, JoinStatus::kLate);
  EXPECT_EQ((*rows)[2].feedback.at, seconds(100));
}

TEST_F(TrafficLogTest, ABatchOf100kRowsIsWrittenWhole) {
  constexpr int kRows = 100'000;
  std::vector<Assignment> batch;
  batch.reserve(kRows);
  for (int i = 0; i < kRows; ++i) {
    batch.push_back({.request_id = "req-" + std::to_string(i),
                     .variant = i % 10 == 0 ? "treatment" : "baseline",
                     .user_hash = static_cast<std::uint64_t>(i % 5000),
                     .at = seconds(1000) + microseconds(i),
                     .status = i % 100 == 0 ? 502 : 200,
                     .latency = microseconds(i % 977)});
  }
  append(batch);
  auto counts = log_->traffic(id_, {seconds(1000), seconds(2000)});
  ASSERT_TRUE(counts.has_value());
  EXPECT_EQ((*counts)[0].requests, 90'000);
  EXPECT_EQ((*counts)[1].requests, 10'000);
  EXPECT_EQ((*counts)[0].users, 4500);  // hashes not divisible by 10
  EXPECT_EQ((*counts)[1].users, 500);
  EXPECT_EQ((*counts)[0].errors, 0);
  EXPECT_EQ((*counts)[1].errors, 1000);
  auto rows = log_->assignments(id_, {seconds(1000), seconds(2000)});
  ASSERT_EQ(rows.value().size(), static_cast<std::size_t>(kRows));
  EXPECT_EQ(rows.value()[54321].request_id, "req-54321");
  EXPECT_EQ(rows.value()[54321].latency, microseconds(54321 % 977));
}

}  // namespace
}  // namespace graft::registry
