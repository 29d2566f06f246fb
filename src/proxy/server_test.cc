// Integration tests of the data plane: a real Server on 127.0.0.1:0 in front of in-process
// upstreams. Every wait is bounded by a deadline.
#include "proxy/server.h"

#include <sched.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "proxy/test_support.h"
#include "route/holder.h"

namespace graft::proxy {
namespace {

using testing::Client;
using testing::get;
using testing::Response;
using testing::TestUpstream;

route::RouteConfig base_config(std::vector<route::VariantConfig> variants) {
  route::RouteConfig config;
  config.listen = {.host = "127.0.0.1", .port = 0};
  config.admin = {.host = "127.0.0.1", .port = 0};
  config.variants = std::move(variants);
  config.health.interval = std::chrono::milliseconds(50);
  config.health.timeout = std::chrono::milliseconds(500);
  config.health.fails = 2;
  config.health.passes = 2;
  config.timeouts.header = std::chrono::milliseconds(300);
  config.timeouts.read = std::chrono::milliseconds(2000);
  config.limits.max_header_bytes = 4096;
  config.limits.max_body_bytes = 1 << 20;
  return config;
}

route::VariantConfig variant(std::string name, const TestUpstream& upstream, std::uint32_t weight) {
  return {.name = std::move(name),
          .upstreams = {{.host = "127.0.0.1", .port = upstream.port()}},
          .weight = weight};
}

std::unique_ptr<Server> start(route::RouteConfig config, std::size_t threads = 2) {
  auto server = Server::start({.config = std::move(config),
                               .threads = threads,
                               .shutdown_grace = std::chrono::milliseconds(1000)});
  EXPECT_TRUE(server.has_value()) << server.error().message();
  return server ? std::move(*server) : nullptr;
}

// Polls `condition` every 10 ms for up to `limit`.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto give_up = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < give_up) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

class ProxyTest : public ::testing::Test {
 protected:
  TestUpstream baseline_{"baseline"};
  TestUpstream treatment_{"treatment"};
};

TEST_F(ProxyTest, GivesEveryWorkerTheSameNumberOfConnectionsAndSumsTheirCounts) {
  auto server = start(base_config({variant("baseline", baseline_, 100)}), 4);
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 40; ++i) {
    clients.push_back(std::make_unique<Client>(server->port()));
    ASSERT_TRUE(clients.back()->connected());
  }
  for (int round = 0; round < 3; ++round) {
    for (auto& client : clients) ASSERT_EQ(client->request(get("/")).status, 200);
  }
  // A request is counted just after its last byte is sent: wait for the last one.
  nlohmann::json status;
  EXPECT_TRUE(eventually([&] {
    status = nlohmann::json::parse(server->status_json());
    return status["counters"]["requests"] == 120;
  })) << status.dump();
  EXPECT_EQ(status["counters"]["connections"], 40);
  ASSERT_EQ(status["workers"].size(), 4u);
  for (const auto& worker : status["workers"]) {
    EXPECT_EQ(worker["connections"], 10) << status.dump();
    EXPECT_EQ(worker["requests"], 30) << status.dump();
  }
  std::string metrics = server->metrics_text();
  EXPECT_NE(metrics.find("graft_proxy_requests_total{status=\"200\",variant=\"baseline\"} 120"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("graft_proxy_request_duration_seconds_count{variant=\"baseline\"} 120"),
            std::string::npos)
      << metrics;
}

// The CPU lists ("Cpus_allowed_list") of this process's threads.
std::vector<std::string> thread_cpu_lists() {
  std::vector<std::string> lists;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream status(task.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("Cpus_allowed_list:", 0) == 0)
        lists.push_back(line.substr(line.find('\t') + 1));
    }
  }
  return lists;
}

TEST_F(ProxyTest, PinsEachWorkerToItsOwnCpuWhenAsked) {
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  std::vector<std::string> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(std::to_string(cpu));
  }
  if (cpus.size() < 2) GTEST_SKIP() << "needs 2 CPUs to tell a pinned worker from the rest";
  std::size_t threads = 2;
  auto server = Server::start({.config = base_config({variant("baseline", baseline_, 100)}),
                               .threads = threads,
                               .pin_workers = true});
  ASSERT_TRUE(server.has_value()) << server.error().message();
  Client client((*server)->port());
  ASSERT_EQ(client.request(get("/")).status, 200);
  std::vector<std::string> lists = thread_cpu_lists();
  for (std::size_t i = 0; i < threads; ++i) {
    EXPECT_EQ(std::count(lists.begin(), lists.end(), cpus[i]), 1) << "CPU " << cpus[i];
  }
}

TEST_F(ProxyTest, SplitsTrafficByWeightAndTagsResponses) {
  auto server = start(
      base_config({variant("baseline", baseline_, 50), variant("treatment", treatment_, 50)}));
  ASSERT_TRUE(server);
  Client client(server->port());
  std::map<std::string, int> seen;
  for (int i = 0; i < 400; ++i) {
    Response response = client.request(get("/"));
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.body, response.headers["x-graft-variant"]);
    EXPECT_EQ(response.headers["x-request-id"].size(), 32u);
    ++seen[response.body];
  }
  EXPECT_GT(seen["baseline"], 140);
  EXPECT_GT(seen["treatment"], 140);
}

TEST_F(ProxyTest, StickyUsersKeepTheirVariant) {
  auto config =
      base_config({variant("baseline", baseline_, 50), variant("treatment", treatment_, 50)});
  config.sticky = {.source = route::StickySource::kHeader, .name = "X-User-Id"};
  auto server = start(std::move(config));
  ASSERT_TRUE(server);
  Client client(server->port());
  std::set<std::string> variants_used;
  for (int user = 0; user < 30; ++user) {
    std::string first;
    for (int repeat = 0; repeat < 5; ++repeat) {
      Response response = client.request(get("/", {"X-User-Id: user-" + std::to_string(user)}));
      ASSERT_EQ(response.status, 200);
      if (repeat == 0) first = response.body;
      EXPECT_EQ(response.body, first) << "user " << user;
    }
    variants_used.insert(first);
  }
  EXPECT_EQ(variants_used.size(), 2u);
}

TEST_F(ProxyTest, OverrideHeaderPicksTheVariant) {
  auto server = start(
      base_config({variant("baseline", baseline_, 100), variant("treatment", treatment_, 0)}));
  ASSERT_TRUE(server);
  Client client(server->port());
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(client.request(get("/", {"X-Graft-Variant: treatment"})).body, "treatment");
    EXPECT_EQ(client.request(get("/")).body, "baseline");
  }
}

TEST_F(ProxyTest, ForwardsRequestIdAndGeneratesOne) {
  auto server = start(base_config({variant("baseline", baseline_, 100)}));
  ASSERT_TRUE(server);
  Client client(server->port());
  Response response = client.request(get("/", {"X-Request-Id: abc-123"}));
  EXPECT_EQ(response.headers["x-request-id"], "abc-123");
  EXPECT_EQ(baseline_.last_header("x-request-id"), "abc-123");
  EXPECT_EQ(baseline_.last_header("x-forwarded-for"), "127.0.0.1");
  response = client.request(get("/"));
  EXPECT_EQ(baseline_.last_header("x-request-id"), response.headers["x-request-id"]);
  EXPECT_EQ(response.headers["x-model-version"], "model-baseline");
}

TEST_F(ProxyTest, FailsOverToTheBaselineAndRecovers) {
  auto server = start(
      base_config({variant("baseline", baseline_, 0), variant("treatment", treatment_, 100)}));
  ASSERT_TRUE(server);
  Client client(server->port());
  EXPECT_EQ(client.request(get("/")).body, "treatment");
  treatment_.health_status = 500;
  ASSERT_TRUE(eventually([&] { return client.request(get("/")).body == "baseline"; }));
  EXPECT_NE(server->status_json().find("\"failovers\":"), std::string::npos);
  EXPECT_NE(server->metrics_text().find("graft_proxy_failovers_total{variant=\"treatment\"}"),
            std::string::npos);
  treatment_.health_status = 200;
  EXPECT_TRUE(eventually([&] { return client.request(get("/")).body == "treatment"; }));
}

TEST_F(ProxyTest, RetriesAConnectFailureOnAnotherUpstream) {
  TestUpstream doomed("doomed");
  std::uint16_t dead_port = doomed.port();
  doomed.stop();
  auto config = base_config({});
  config.variants.push_back({.name = "baseline",
                             .upstreams = {{.host = "127.0.0.1", .port = dead_port},
                                           {.host = "127.0.0.1", .port = baseline_.port()}},
                             .weight = 100});
  config.health.interval = std::chrono::seconds(60);
  config.health.fails = 100;  // keep the dead upstream "healthy" so retries are exercised
  auto server = start(std::move(config));
  ASSERT_TRUE(server);
  for (int i = 0; i < 10; ++i) {
    Client client(server->port());
    EXPECT_EQ(client.request(get("/")).status, 200) << i;
  }
  EXPECT_NE(server->metrics_text().find("graft_proxy_upstream_retries_total"), std::string::npos);
}

// A listener of another process with SO_REUSEPORT (as graft's own workers use): without
// the check, a second proxy joins its group and silently takes half the traffic.
TEST_F(ProxyTest, RefusesToStartOnAnAddressAnotherProcessListensOn) {
  int other = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(other, 0);
  int one = 1;
  ASSERT_EQ(setsockopt(other, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
  ASSERT_EQ(setsockopt(other, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one), 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(other, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(other, 16), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(other, reinterpret_cast<sockaddr*>(&address), &length), 0);
  std::uint16_t port = ntohs(address.sin_port);
  auto config = base_config({variant("baseline", baseline_, 100)});
  config.listen.port = port;
  auto refused = Server::start({.config = config, .threads = 2});
  ::close(other);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message(), "cannot listen on '127.0.0.1:" + std::to_string(port) +
                                           "': the address is already in use by another process");
  // A second graft proxy on the first one's address fails the same way.
  auto first = start(base_config({variant("baseline", baseline_, 100)}));
  ASSERT_TRUE(first);
  config.listen.port = first->port();
  auto second = Server::start({.config = config, .threads = 2});
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().message().find("already in use by another process"), std::string::npos);
  Client client(first->port());
  EXPECT_EQ(client.request(get("/")).status, 200);
}

// Connections left idle (silent new ones, keep-alive ones between requests) beyond
// max_connections: the idlest are closed to make room, so a real client is still served.
TEST_F(ProxyTest, IdleConnectionsMakeRoomForRealClients) {
  auto config = base_config({variant("baseline", baseline_, 100)});
  config.limits.max_connections = 20;
  config.timeouts.header = std::chrono::seconds(10);  // no deadline frees a slot here
  config.timeouts.first_byte = std::chrono::seconds(10);
  auto server = start(std::move(config), 1);
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 10; ++i) {
    idle.push_back(std::make_unique<Client>(server->port()));
    ASSERT_EQ(idle.back()->request(get("/")).status, 200);
  }
  for (int i = 0; i < 30; ++i) idle.push_back(std::make_unique<Client>(server->port()));
  for (int i = 0; i < 5; ++i) {
    Client real(server->port());
    EXPECT_EQ(real.request(get("/")).status, 200) << i;
  }
  nlohmann::json status = nlohmann::json::parse(server->status_json());
  EXPECT_LE(status["counters"]["connections"].get<int>(), 22) << status.dump();
  EXPECT_GE(status["counters"]["idle_closed"].get<int>(), 20) << status.dump();
  EXPECT_TRUE(idle.front()->wait_closed());  // the idlest went first
}

TEST_F(ProxyTest, ASilentConnectionGetsTheShortFirstByteDeadline) {
  auto config = base_config({variant("baseline", baseline_, 100)});
  config.timeouts.header = std::chrono::seconds(5);
  config.timeouts.first_byte = std::chrono::milliseconds(200);
  auto server = start(std::move(config), 1);
  ASSERT_TRUE(server);
  Client silent(server->port());
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.wait_closed());
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::milliseconds(1500));
  // A head begun in time gets the header timeout.
  Client slow(server->port());
  ASSERT_TRUE(slow.send("GET / HTTP/1.1\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(slow.request("Host: t\r\n\r\n").status, 200);
}

TEST_F(ProxyTest, AllUpstreamsDownGives502) {
  TestUpstream doomed("doomed");
  auto config = base_config({variant("baseline", doomed, 100)});
  doomed.stop();
  auto server = start(std::move(config));
  ASSERT_TRUE(server);
  Client client(server->port());
  Response response = client.request(get("/"));
  EXPECT_EQ(response.status, 502);
  EXPECT_TRUE(response.closed);
}

}  // namespace
}  // namespace graft::proxy
