#include "cli/route_admin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"

namespace graft::cli {
namespace {

using Json = nlohmann::json;

// A one-shot HTTP server on 127.0.0.1: answers the next request with `response` and
// records what it received.
class FakeAdmin {
 public:
  explicit FakeAdmin(std::string response) : response_(std::move(response)) {
    socket_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(::bind(socket_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(socket_, 1), 0);
    ::getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve_one(); });
  }
  ~FakeAdmin() {
    thread_.join();
    ::close(socket_);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Valid after the client call returned.
  const std::string& request() const { return request_; }

 private:
  void serve_one() {
    int client = ::accept(socket_, nullptr, nullptr);
    if (client < 0) return;
    char buffer[4096];
    while (true) {
      ssize_t got = ::read(client, buffer, sizeof(buffer));
      if (got <= 0) break;
      request_.append(buffer, static_cast<std::size_t>(got));
      std::size_t head_end = request_.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      std::size_t length_at = request_.find("Content-Length: ");
      std::size_t body_length =
          length_at == std::string::npos ? 0 : std::stoul(request_.substr(length_at + 16));
      if (request_.size() >= head_end + 4 + body_length) break;
    }
    (void)::write(client, response_.data(), response_.size());
    ::close(client);
  }

  std::string response_;
  std::string request_;
  int socket_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string http_reply(int status, const std::string& reason, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(CallAdmin, SendsMethodPathBodyAndBearerToken) {
  FakeAdmin admin(http_reply(200, "OK", R"({"baseline": 80, "treatment": 20})"));
  Result<Json> reply = call_admin({.address = admin.address(), .token = "s3cret"}, "PUT",
                                  "/weights", R"({"treatment":20})");
  ASSERT_TRUE(reply) << reply.error().message();
  EXPECT_EQ(format_weights(*reply), "baseline=80 treatment=20");
  EXPECT_EQ(admin.request().rfind("PUT /weights HTTP/1.1\r\n", 0), 0u) << admin.request();
  EXPECT_NE(admin.request().find("Authorization: Bearer s3cret\r\n"), std::string::npos);
  EXPECT_NE(admin.request().find("\r\n\r\n{\"treatment\":20}"), std::string::npos);
}

TEST(CallAdmin, NoTokenNoAuthorizationHeader) {
  FakeAdmin admin(http_reply(200, "OK", "{}"));
  ASSERT_TRUE(call_admin({.address = admin.address()}, "GET", "/status"));
  EXPECT_EQ(admin.request().find("Authorization"), std::string::npos);
}

TEST(CallAdmin, ErrorRepliesCarryTheExperimentsHint) {
  FakeAdmin admin(http_reply(404, "Not Found",
                             R"({"error": "the experiment has no variant 'treatmnt'", )"
                             R"("hint": "did you mean 'treatment'?"})"));
  Result<Json> reply = call_admin({.address = admin.address()}, "POST", "/experiment/swap", "{}");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().hint(), "did you mean 'treatment'?");
}

TEST(CallAdmin, ErrorRepliesCarryTheProxysMessage) {
  FakeAdmin admin(http_reply(
      400, "Bad Request", R"({"error": "unknown variant 'treatmnt', did you mean 'treatment'?"})"));
  Result<Json> reply = call_admin({.address = admin.address()}, "PUT", "/weights", "{}");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(reply.error().message(),
            "the admin API at " + admin.address() +
                " refused PUT /weights: unknown variant 'treatmnt', did you mean 'treatment'?");
}

TEST(CallAdmin, UnauthorizedHintsAtTheTokenFile) {
  FakeAdmin admin(http_reply(401, "Unauthorized", R"({"error": "missing or wrong bearer token"})"));
  Result<Json> reply = call_admin({.address = admin.address()}, "POST", "/rollback");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().message(), "the admin API at " + admin.address() +
                                         " refused POST /rollback: missing or wrong bearer token");
  EXPECT_EQ(reply.error().hint(), "pass --token-file with the proxy's admin token");
}

TEST(CallAdmin, NonJsonSuccessIsCorrupt) {
  FakeAdmin admin(http_reply(200, "OK", "hello"));
  Result<Json> reply = call_admin({.address = admin.address()}, "GET", "/status");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code(), ErrorCode::kCorrupt);
}

TEST(CallAdmin, ConnectionRefusedSaysSoAndHintsAtTheProxy) {
  int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(probe);  // nothing listens on this port now
  const std::string target = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  Result<Json> reply = call_admin({.address = target}, "GET", "/status");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(reply.error().message(),
            "could not reach the admin API at " + target + ": connection refused");
  EXPECT_EQ(reply.error().hint(),
            "is `graft proxy -c route.yml` running? (or pass --admin HOST:PORT)");
}

TEST(ParseWeightAssignments, Table) {
  EXPECT_EQ(*parse_weight_assignments({"baseline=80", "treatment=20"}),
            (Json{{"baseline", 80}, {"treatment", 20}}));
  EXPECT_EQ(*parse_weight_assignments({"t=0"}), (Json{{"t", 0}}));
  const std::pair<std::vector<std::string>, std::string> errors[] = {
      {{"treatment"},
       "'treatment' is not a valid weight: expected NAME=WEIGHT with WEIGHT "
       "from 0 to 1000000, e.g. treatment=20"},
      {{"=5"},
       "'=5' is not a valid weight: expected NAME=WEIGHT with WEIGHT from 0 to "
       "1000000, e.g. treatment=20"},
      {{"t=-5"},
       "'t=-5' is not a valid weight: expected NAME=WEIGHT with WEIGHT from 0 to "
       "1000000, e.g. treatment=20"},
      {{"t=1000001"},
       "'t=1000001' is not a valid weight: expected NAME=WEIGHT with WEIGHT "
       "from 0 to 1000000, e.g. treatment=20"},
      {{"t=1", "t=2"}, "variant 't' is given twice"},
  };
  for (const auto& [arguments, message] : errors) {
    Result<Json> weights = parse_weight_assignments(arguments);
    ASSERT_FALSE(weights) << message;
    EXPECT_EQ(weights.error().message(), message);
    EXPECT_EQ(weights.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(FormatStatus, Golden) {
  const Json status = Json::parse(R"({
    "generation": 3, "baseline": "baseline",
    "variants": [
      {"name": "baseline", "weight": 90, "share_percent": 90.0, "healthy": true,
       "upstreams": [{"address": "127.0.0.1:9001", "healthy": true, "requests": 900},
                     {"address": "127.0.0.1:9003", "healthy": false, "requests": 12}]},
      {"name": "treatment-long-name", "weight": 10, "share_percent": 10.0, "healthy": false,
       "upstreams": [{"address": "127.0.0.1:9002", "healthy": false, "requests": 88}]}],
    "mirror": {"variant": "shadow", "percent": 5},
    "counters": {"requests": 1000, "connections": 4}})");
  Result<std::string> table = format_status(status);
  ASSERT_TRUE(table) << table.error().message();
  EXPECT_EQ(*table,
            "variant               weight    share  health   requests  upstreams\n"
            "baseline                  90   90.00%  up            912  127.0.0.1:9001 (up), "
            "127.0.0.1:9003 (down)\n"
            "treatment-long-name       10   10.00%  down           88  127.0.0.1:9002 (down)\n"
            "mirror: 5% of requests copied to 'shadow'\n"
            "generation 3, 1000 requests, 4 open connections\n");
}

TEST(FormatStatus, WrongShapeIsCorrupt) {
  Result<std::string> table = format_status(Json{{"variants", {{{"weight", 1}}}}});
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(table.error().hint(), "use --json to see it as sent");
}

TEST(ResolveAdminTarget, DefaultsFlagsAndConfig) {
  auto directory = base::TempDir::create("graft-route-admin-");
  ASSERT_TRUE(directory);
  const auto config = directory->path() / "route.yml";
  ASSERT_TRUE(
      base::write_file_atomic(config,
                              "listen: 0.0.0.0:8080\nadmin: 0.0.0.0:9999\ntoken_file: admin.token\n"
                              "variants: {b: {upstreams: [h:1], weight: 1}}\n"));
  ASSERT_TRUE(base::write_file_atomic(directory->path() / "admin.token", "  tok-1\n"));

  EXPECT_EQ(resolve_admin_target({})->address, "127.0.0.1:8081");
  EXPECT_EQ(resolve_admin_target({})->token, "");

  Result<AdminTarget> from_config = resolve_admin_target({.config_path = config.string()});
  ASSERT_TRUE(from_config) << from_config.error().message();
  EXPECT_EQ(from_config->address, "127.0.0.1:9999") << "wildcard host -> loopback";
  EXPECT_EQ(from_config->token, "tok-1") << "token_file relative to the config, trimmed";

  Result<AdminTarget> flags =
      resolve_admin_target({.admin = "[::1]:7000", .config_path = config.string()});
  ASSERT_TRUE(flags);
  EXPECT_EQ(flags->address, "[::1]:7000");

  ASSERT_TRUE(base::write_file_atomic(directory->path() / "empty.token", "\n"));
  const std::string empty = (directory->path() / "empty.token").string();
  Result<AdminTarget> bad = resolve_admin_target({.token_file = empty});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "the admin token file '" + empty + "' is empty");

  Result<AdminTarget> bad_address = resolve_admin_target({.admin = "localhost"});
  ASSERT_FALSE(bad_address);
  EXPECT_EQ(bad_address.error().message(),
            "'localhost' is not a valid address: expected host:port");
}

}  // namespace
}  // namespace graft::cli
