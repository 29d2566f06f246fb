#include "experiment/traffic.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "proxy/access_log.h"
#include "route/table.h"

namespace graft::experiment {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string line_of(std::string_view id, std::string_view variant, int status, double latency_ms,
                    std::string user, std::chrono::system_clock::time_point at) {
  return proxy::format_access_log_line({.time = at,
                                        .request_id = id,
                                        .method = "GET",
                                        .path = "/predict",
                                        .status = status,
                                        .variant = variant,
                                        .upstream = "127.0.0.1:9001",
                                        .latency_ms = latency_ms,
                                        .user = user});
}

const std::chrono::system_clock::time_point kAt{std::chrono::milliseconds(1'764'000'000'123)};

TEST(AccessLine, ReadsWhatTheProxyWrites) {
  const std::string user = route::format_user_hash(0x9f2c00000000abcdULL);
  auto parsed = parse_access_line(line_of("r-1", "treatment", 503, 12.345, user, kAt));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->request_id, "r-1");
  EXPECT_EQ(parsed->variant, "treatment");
  EXPECT_EQ(parsed->status, 503);
  EXPECT_EQ(parsed->latency.count(), 12'345);
  EXPECT_EQ(parsed->user_hash, 0x9f2c00000000abcdULL);
  EXPECT_EQ(registry::to_micros(parsed->at), 1'764'000'000'123'000);
  // No sticky key: no user.
  auto anonymous = parse_access_line(line_of("r-2", "baseline", 200, 1, "", kAt));
  ASSERT_TRUE(anonymous.has_value());
  EXPECT_FALSE(anonymous->user_hash.has_value());
}

// The baseline served it because the treatment had no healthy upstream: the treatment's
// proxy-side failure.
TEST(AccessLine, AFailoverIsAFailureOfTheVariantItWasRoutedTo) {
  std::string line = line_of("r-3", "baseline", 200, 3, "", kAt);
  line.insert(line.rfind('}'), ",\"failover_from\":\"treatment\"");
  auto parsed = parse_access_line(line);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->variant, "treatment");
  EXPECT_EQ(parsed->status, 503);
}

TEST(AccessLine, RejectsWhatIsNotAnAccessLine) {
  EXPECT_THAT(parse_access_line("not json").error().message(), HasSubstr("not a JSON object"));
  EXPECT_THAT(parse_access_line(R"({"ts":"2026-11-21T21:32:31.123Z","variant":"a","status":200,)"
                                R"("latency_ms":1})")
                  .error()
                  .message(),
              HasSubstr("'request_id'"));
  EXPECT_THAT(parse_access_line(R"({"ts":"yesterday","request_id":"x","variant":"a",)"
                                R"("status":200,"latency_ms":1})")
                  .error()
                  .message(),
              HasSubstr("RFC 3339"));
  EXPECT_FALSE(parse_access_line(R"({"ts":"2026-11-21T21:32:31Z","request_id":"x",)"
                                 R"("variant":"a","status":200,"latency_ms":-1})")
                   .has_value());
}

TEST(Rfc3339, ParsesFractionsAndRejectsNonsense) {
  EXPECT_EQ(registry::to_micros(parse_rfc3339("1970-01-01T00:00:01Z").value()), 1'000'000);
  EXPECT_EQ(registry::to_micros(parse_rfc3339("1970-01-01T00:00:00.000250Z").value()), 250);
  EXPECT_EQ(registry::to_micros(parse_rfc3339("2000-03-01T00:00:00Z").value()),
            951'868'800'000'000);
  EXPECT_FALSE(parse_rfc3339("2026-02-30T00:00:00Z").has_value());
  EXPECT_FALSE(parse_rfc3339("2026-01-01 00:00:00").has_value());
  EXPECT_FALSE(parse_rfc3339("2026-01-01T00:00:00.Z").has_value());
}

TEST(Feedback, OneObjectAnArrayOrJsonLines) {
  const registry::Time now = registry::from_micros(42);
  auto single = parse_feedback(R"({"request_id": "a", "value": 1})", now).value();
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].request_id, "a");
  EXPECT_EQ(single[0].at, now);
  auto lines = parse_feedback(
                   "{\"request_id\": \"a\", \"value\": 1}\n\n"
                   "{\"request_id\": \"b\", \"value\": 0.5, \"at\": \"1970-01-01T00:00:01Z\"}\n",
                   now)
                   .value();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_DOUBLE_EQ(lines[1].value, 0.5);
  EXPECT_EQ(registry::to_micros(lines[1].at), 1'000'000);
  EXPECT_EQ(
      parse_feedback(R"([{"request_id": "a", "value": 1}, {"request_id": "b", "value": 2}])", now)
          .value()
          .size(),
      2u);
  auto bad =
      parse_feedback("{\"request_id\": \"a\", \"value\": 1}\n{\"request_id\": \"b\"}\n", now);
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message(), HasSubstr("feedback line 2: 'value' is missing"));
  EXPECT_FALSE(parse_feedback("", now).has_value());
}

TEST(AccessLogTail, ReturnsCompleteLinesAndFollowsRotation) {
  auto dir = base::TempDir::create("graft-tail-test-").value();
  const auto path = dir.path() / "access.jsonl";
  AccessLogTail tail(path);
  EXPECT_TRUE(tail.read().value().empty());  // not there yet
  { std::ofstream(path, std::ios::app) << "one\ntw"; }
  EXPECT_EQ(tail.read().value(), std::vector<std::string>{"one"});
  { std::ofstream(path, std::ios::app) << "o\nthree\n"; }
  EXPECT_EQ(tail.read().value(), (std::vector<std::string>{"two", "three"}));
  EXPECT_TRUE(tail.read().value().empty());
  // Rotated: a new file under the same name is read from its start.
  std::filesystem::rename(path, dir.path() / "access.jsonl.1");
  { std::ofstream(path) << "four\n"; }
  EXPECT_EQ(tail.read().value(), std::vector<std::string>{"four"});
}

TEST(AnalyzeOffline, CountsUsersErrorsLatenciesAndJoinsOutcomes) {
  OfflineInput input;
  auto request = [&](std::string id, std::string variant, std::optional<std::uint64_t> user,
                     int status, std::int64_t latency_us) {
    input.requests.push_back({.request_id = std::move(id),
                              .variant = std::move(variant),
                              .user_hash = user,
                              .at = registry::from_micros(0),
                              .status = status,
                              .latency = registry::Duration(latency_us)});
  };
  request("b1", "baseline", 1, 200, 1000);
  request("b2", "baseline", 1, 200, 3000);
  request("b3", "baseline", 2, 500, 2000);
  request("t1", "treatment", 3, 200, 5000);
  request("t2", "treatment", std::nullopt, 502, 7000);
  request("t2", "treatment", 4, 200, 9000);  // a repeated id counts once
  input.feedback = {{.request_id = "b1", .value = 1},
                    {.request_id = "b2", .value = 1},
                    {.request_id = "b3", .value = 0},
                    {.request_id = "t1", .value = 1},
                    {.request_id = "zz", .value = 1}};
  auto result = analyze_offline(input);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->unjoined, 1u);
  const stats::Report& report = result->report;
  ASSERT_EQ(report.variants.size(), 2u);
  EXPECT_EQ(report.variants[0].name, "baseline");
  EXPECT_EQ(report.variants[0].requests, 3u);
  EXPECT_EQ(report.variants[0].users, 2u);
  EXPECT_EQ(report.variants[0].errors, 1u);
  EXPECT_DOUBLE_EQ(*report.variants[0].latency.p50_ms, 2.0);  // nearest rank of 1, 2, 3
  EXPECT_EQ(report.variants[0].outcome_users, 2u);            // user 1 (sum 2), user 2 (0)
  EXPECT_DOUBLE_EQ(report.variants[0].outcome_mean, 1.0);
  EXPECT_EQ(report.variants[1].requests, 2u);
  EXPECT_EQ(report.variants[1].users, 2u);  // user 3 and one anonymous request
  EXPECT_EQ(report.variants[1].errors, 1u);
  EXPECT_EQ(report.variants[1].outcome_users, 1u);

  OfflineInput one{.requests = {input.requests[0]}};
  EXPECT_THAT(analyze_offline(one).error().message(), HasSubstr("one variant only"));
  EXPECT_THAT(analyze_offline({}).error().message(), HasSubstr("no requests"));
  input.baseline = "control";
  input.order = {"control", "treatment"};
  EXPECT_THAT(analyze_offline(input).error().message(), HasSubstr("'control' has no requests"));
}

}  // namespace
}  // namespace graft::experiment
