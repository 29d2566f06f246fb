// Authentication and rate limits through a real Server on 127.0.0.1:0: 401 with
// WWW-Authenticate, 429 with Retry-After, the /metrics counters and stickiness by subject.
#include "proxy/guard.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "base/hmac.h"
#include "proxy/auth_testing.h"
#include "proxy/server.h"
#include "proxy/test_support.h"
#include "route/table.h"

namespace graft::proxy {
namespace {

using nlohmann::json;
using testing::Client;
using testing::get;
using testing::Response;
using testing::TestUpstream;

const std::string kSecret = "graft-test-secret-0123456789abcdef-0123456789";

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string token_for(const std::string& subject, std::int64_t expires_in = 600) {
  return testing::sign_token({{"alg", "HS256"}, {"typ", "JWT"}},
                             {{"sub", subject}, {"exp", now_seconds() + expires_in}}, kSecret);
}

std::string bearer(const std::string& token) {
  return "Authorization: Bearer " + token;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class GuardTest : public ::testing::Test {
 protected:
  GuardTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("graft-guard-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    write("jwt.secret", kSecret + "\n");
    write("clients.keys", "mobile " + kSecret + "\n");
  }
  ~GuardTest() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  route::RouteConfig config(std::uint32_t treatment_weight = 0) {
    route::RouteConfig config;
    config.listen = {.host = "127.0.0.1", .port = 0};
    config.admin = {.host = "127.0.0.1", .port = 0};
    config.variants = {{.name = "baseline",
                        .upstreams = {{.host = "127.0.0.1", .port = baseline_.port()}},
                        .weight = 100 - treatment_weight},
                       {.name = "treatment",
                        .upstreams = {{.host = "127.0.0.1", .port = treatment_.port()}},
                        .weight = treatment_weight}};
    config.auth = route::AuthConfig{
        .jwt = {.algorithms = {route::JwtAlgorithm::kHs256}, .key_file = "jwt.secret"}};
    return config;
  }

  Server& start(route::RouteConfig config) {
    auto started = Server::start({.config = std::move(config),
                                  .config_path = dir_ / "route.yml",
                                  .threads = 2,
                                  .shutdown_grace = std::chrono::milliseconds(500)});
    EXPECT_TRUE(started) << started.error().message();
    server_ = started ? std::move(*started) : nullptr;
    return *server_;
  }

  std::filesystem::path dir_;
  TestUpstream baseline_{"baseline"};
  TestUpstream treatment_{"treatment"};
  std::unique_ptr<Server> server_;
};

TEST_F(GuardTest, JwtFailuresGet401WithAChallengeAndAreCounted) {
  Server& server = start(config());
  Response missing = Client(server.port()).request(get("/"));
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.headers["www-authenticate"], "Bearer realm=\"graft\"");
  Response expired = Client(server.port()).request(get("/", {bearer(token_for("alice", -120))}));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.headers["www-authenticate"],
            "Bearer realm=\"graft\", error=\"invalid_token\", error_description=\"the token has "
            "expired\"");
  Response basic = Client(server.port()).request(get("/", {"Authorization: Basic YTpi"}));
  EXPECT_EQ(basic.status, 401);
  Response good = Client(server.port()).request(get("/", {bearer(token_for("alice"))}));
  EXPECT_EQ(good.status, 200);
  EXPECT_EQ(good.body, "baseline");
  EXPECT_EQ(baseline_.requests.load(), 1);  // refused requests never reach an upstream
  std::string metrics = server.metrics_text();
  EXPECT_TRUE(contains(metrics,
                       "graft_proxy_rejections_total{reason=\"missing_credentials\","
                       "variant=\"none\"} 1"))
      << metrics;
  EXPECT_TRUE(
      contains(metrics, "graft_proxy_rejections_total{reason=\"expired\",variant=\"none\"} 1"));
  EXPECT_TRUE(
      contains(metrics, "graft_proxy_rejections_total{reason=\"malformed\",variant=\"none\"} 1"));
  EXPECT_FALSE(contains(metrics, token_for("alice").substr(0, 20)));
}

TEST_F(GuardTest, RateLimitGives429WithRetryAfterPerSubjectAndCountsPerVariant) {
  route::RouteConfig limited = config();
  limited.rate_limit =
      route::RateLimitConfig{.key = route::RateKeySource::kSubject, .rate = 1.0 / 3600, .burst = 2};
  Server& server = start(limited);
  Client alice(server.port());
  std::string alice_token = token_for("alice");
  EXPECT_EQ(alice.request(get("/", {bearer(alice_token)})).status, 200);
  EXPECT_EQ(alice.request(get("/", {bearer(alice_token)})).status, 200);
  Response refused = alice.request(get("/", {bearer(alice_token)}));
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.headers["retry-after"], "3600");
  // Another subject from the same address has its own bucket.
  EXPECT_EQ(Client(server.port()).request(get("/", {bearer(token_for("bob"))})).status, 200);
  std::string metrics = server.metrics_text();
  EXPECT_TRUE(contains(metrics,
                       "graft_proxy_rejections_total{reason=\"rate_limited\","
                       "variant=\"baseline\"} 1"))
      << metrics;
  EXPECT_TRUE(contains(metrics, "graft_proxy_rate_limit_buckets 2")) << metrics;
  EXPECT_TRUE(
      contains(metrics, "graft_proxy_requests_total{status=\"429\",variant=\"baseline\"} 1"))
      << metrics;
}

TEST_F(GuardTest, RateLimitByAddressWithoutAuth) {
  route::RouteConfig limited = config();
  limited.auth.reset();
  limited.rate_limit =
      route::RateLimitConfig{.key = route::RateKeySource::kAddress, .rate = 1.0 / 60, .burst = 1};
  Server& server = start(limited);
  EXPECT_EQ(Client(server.port()).request(get("/")).status, 200);
  Response refused = Client(server.port()).request(get("/"));
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.headers["retry-after"], "60");
}

// Keys of any length get their own bucket (long ones are kept as a hash).
TEST_F(GuardTest, RateLimitByHeaderKeepsLongKeysApart) {
  route::RouteConfig limited = config();
  limited.auth.reset();
  limited.rate_limit = route::RateLimitConfig{
      .key = route::RateKeySource::kHeader, .header = "X-Api-Key", .rate = 1.0 / 60, .burst = 1};
  auto guard = Guard::create(limited, dir_);
  ASSERT_TRUE(guard && *guard);
  auto at = std::chrono::steady_clock::now();
  auto decide = [&](const std::string& key) {
    std::string text = "GET / HTTP/1.1\r\nHost: t\r\nX-Api-Key: " + key + "\r\n\r\n";
    RequestHead head;
    std::size_t scan = 0;
    EXPECT_EQ(parse_request(text, 8192, &scan, &head), ParseStatus::kComplete);
    return (*guard)->limit(head, "", "10.0.0.1", "baseline", at).allowed;
  };
  std::string long_a = std::string(1000, 'k') + "a";
  std::string long_b = std::string(1000, 'k') + "b";
  EXPECT_TRUE(decide(long_a));
  EXPECT_TRUE(decide(long_b));
  EXPECT_FALSE(decide(long_a));
  EXPECT_TRUE(decide("short"));
  EXPECT_FALSE(decide("short"));
}

TEST_F(GuardTest, TheSubjectIsTheStickyKey) {
  route::RouteConfig sticky = config(50);
  sticky.sticky = {.source = route::StickySource::kSubject, .name = "sub"};
  sticky.salt = "exp-1";
  Server& server = start(sticky);
  auto table = route::RouteTable::create(sticky);
  ASSERT_TRUE(table);
  int treated = 0;
  for (int user = 0; user < 20; ++user) {
    std::string subject = "user-" + std::to_string(user);
    std::string expected =
        table->variants()[table->variant_of_bucket(table->bucket_of_hash(table->key_hash(subject)))]
            .name;
    treated += expected == "treatment" ? 1 : 0;
    Client client(server.port());
    for (int i = 0; i < 3; ++i) {
      Response response = client.request(get("/", {bearer(token_for(subject))}));
      ASSERT_EQ(response.status, 200);
      EXPECT_EQ(response.headers["x-graft-variant"], expected) << subject;
    }
  }
  EXPECT_GT(treated, 0);  // both variants were exercised
  EXPECT_LT(treated, 20);
}

TEST_F(GuardTest, SignedRequestsVerifyTheBodyEvenWhenItArrivesLater) {
  route::RouteConfig signed_config = config();
  signed_config.auth =
      route::AuthConfig{.scheme = route::AuthScheme::kHmac, .hmac = {.keys_file = "clients.keys"}};
  Server& server = start(signed_config);
  std::string body = "{\"order\": 42}";
  std::string timestamp = std::to_string(now_seconds());
  std::string signature = base::hex_encode(
      base::HmacSha256(kSecret).sign(string_to_sign("POST", "/echo", timestamp, body)));
  std::string head =
      "POST /echo HTTP/1.1\r\nHost: test\r\nX-Graft-Key-Id: mobile\r\n"
      "X-Graft-Timestamp: " +
      timestamp + "\r\nX-Graft-Signature: " + signature +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  Client client(server.port());
  ASSERT_TRUE(client.send(head));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Response response = client.request(body, "POST");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, body);
  // The same signature over another body.
  std::string tampered = head + "{\"order\": 43}";
  Response refused = Client(server.port()).request(tampered, "POST");
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.headers["www-authenticate"],
            "Graft-HMAC-SHA256 realm=\"graft\", error=\"bad_signature\", "
            "error_description=\"the signature does not verify\"");
  std::string chunked =
      "POST /echo HTTP/1.1\r\nHost: test\r\nX-Graft-Key-Id: mobile\r\n"
      "Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n";
  EXPECT_EQ(Client(server.port()).request(chunked, "POST").status, 411);
  std::string too_large =
      "POST /echo HTTP/1.1\r\nHost: test\r\nX-Graft-Key-Id: mobile\r\n"
      "Content-Length: 70000\r\n\r\n" +
      std::string(100, 'x');
  EXPECT_EQ(Client(server.port()).request(too_large, "POST").status, 413);
  EXPECT_TRUE(
      contains(server.metrics_text(),
               "graft_proxy_rejections_total{reason=\"bad_signature\",variant=\"none\"} 1"));
}

TEST_F(GuardTest, BadKeyFilesStopTheStart) {
  write("jwt.secret", "short\n");
  auto started =
      Server::start({.config = config(), .config_path = dir_ / "route.yml", .threads = 1});
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().message(),
            "key file 'jwt.secret' holds an HS256 secret of 5 bytes: use at least 32 random bytes");
  std::filesystem::remove(dir_ / "jwt.secret");
  started = Server::start({.config = config(), .config_path = dir_ / "route.yml", .threads = 1});
  ASSERT_FALSE(started);
  EXPECT_TRUE(contains(started.error().message(),
                       "cannot read JWT key file '" + (dir_ / "jwt.secret").string() + "'"))
      << started.error().message();
}

}  // namespace
}  // namespace graft::proxy
