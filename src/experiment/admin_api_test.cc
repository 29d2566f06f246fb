// The experiment's admin routes against a fake experiment: bodies parsed into commands,
// errors mapped to status codes.
#include "experiment/admin_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace graft::experiment {
namespace {

using Json = nlohmann::ordered_json;

class FakeExperiment final : public ExperimentControl {
 public:
  Result<Decision> decide(const ManualCommand& command) override {
    commands.push_back(command);
    if (command.action == Action::kPromote) {
      return fail(ErrorCode::kConflict, "cannot promote: the experiment is paused");
    }
    return Decision{.action = command.action,
                    .reason = command.reason,
                    .manual = true,
                    .step = 1,
                    .weights = {{"baseline", 100 - command.weight}, {"t", command.weight}}};
  }
  Result<Json> status() override { return Json{{"name", "ctr"}}; }
  Result<Json> report() override { return fail(ErrorCode::kIo, "the registry is locked"); }
  Result<std::int64_t> feedback(std::string_view body) override {
    return static_cast<std::int64_t>(body.size());
  }
  Status start_swap(SwapRequest request) override {
    swaps.push_back(std::move(request));
    if (swaps.back().variant == "treatmnt") {
      return fail(Error(ErrorCode::kNotFound, "the experiment has no variant 'treatmnt'")
                      .with_hint("did you mean 'treatment'?"));
    }
    return ok();
  }

  std::vector<ManualCommand> commands;
  std::vector<SwapRequest> swaps;
};

class AdminApiTest : public ::testing::Test {
 protected:
  proxy::AdminResponse call(const std::string& method, const std::string& path,
                            std::string_view body = "") {
    for (const auto& route : routes_) {
      if (route.method == method && route.path == path) return route.handler(body, "");
    }
    ADD_FAILURE() << "no route " << method << " " << path;
    return {};
  }

  FakeExperiment fake_;
  std::vector<proxy::AdminRoute> routes_ = experiment_admin_routes(fake_);
};

TEST_F(AdminApiTest, WeightsBecomeASetWeightCommand) {
  auto response = call("PUT", "/weights", R"({"t": 20})");
  EXPECT_EQ(response.status, 200);
  ASSERT_EQ(fake_.commands.size(), 1u);
  EXPECT_EQ(fake_.commands[0].action, Action::kSetWeight);
  EXPECT_EQ(fake_.commands[0].variant, "t");
  EXPECT_EQ(fake_.commands[0].weight, 20u);
  EXPECT_EQ(Json::parse(response.body)["weights"]["t"], 20);
  EXPECT_EQ(Json::parse(response.body)["action"], "set_weight");
}

TEST_F(AdminApiTest, BadWeightBodiesAre400AndReachNothing) {
  for (const char* body : {"", "[]", R"({"t": -1})", R"({"t": 1, "b": 2})", R"({"t": "20"})"}) {
    auto response = call("PUT", "/weights", body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_NE(response.body.find("expected one variant and its weight in percent"),
              std::string::npos)
        << response.body;
  }
  EXPECT_TRUE(fake_.commands.empty());
}

TEST_F(AdminApiTest, RollbackTakesAnOptionalReason) {
  EXPECT_EQ(call("POST", "/rollback", R"({"reason": "p99 looks bad"})").status, 200);
  EXPECT_EQ(call("POST", "/experiment/rollback").status, 200);
  ASSERT_EQ(fake_.commands.size(), 2u);
  EXPECT_EQ(fake_.commands[0].reason, "p99 looks bad");
  EXPECT_EQ(fake_.commands[1].reason, "");
  EXPECT_EQ(fake_.commands[1].action, Action::kRollback);
}

TEST_F(AdminApiTest, ErrorsMapToStatusCodes) {
  auto refused = call("POST", "/experiment/promote");
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(Json::parse(refused.body)["error"], "cannot promote: the experiment is paused");
  EXPECT_EQ(call("GET", "/experiment/report").status, 503);
  EXPECT_EQ(call("GET", "/experiment").status, 200);
  auto unknown = call("POST", "/experiment/swap", R"({"variant": "treatmnt", "prefix": "/e"})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Json::parse(unknown.body)["hint"], "did you mean 'treatment'?");
}

TEST_F(AdminApiTest, SwapNeedsAVariantAndAPrefix) {
  EXPECT_EQ(call("POST", "/experiment/swap", R"({"variant": "t"})").status, 400);
  EXPECT_TRUE(fake_.swaps.empty());
  auto started = call("POST", "/experiment/swap",
                      R"({"variant": "t", "prefix": "/envs/v3", "command": "serve --v3"})");
  EXPECT_EQ(started.status, 202);
  ASSERT_EQ(fake_.swaps.size(), 1u);
  EXPECT_EQ(fake_.swaps[0].environment.prefix, "/envs/v3");
  EXPECT_EQ(fake_.swaps[0].command, "serve --v3");
}

TEST_F(AdminApiTest, FeedbackSaysHowManyWereAccepted) {
  auto response = call("POST", "/feedback", "abc");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(Json::parse(response.body)["accepted"], 3);
}

}  // namespace
}  // namespace graft::experiment
