// The admin API, hot weight changes under load, mirroring, the access log and /metrics.
#include "proxy/admin.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "proxy/server.h"
#include "proxy/test_support.h"
#include "route/holder.h"

namespace graft::proxy {
namespace {

using testing::Client;
using testing::get;
using testing::Response;
using testing::TestUpstream;

class AdminTest : public ::testing::Test {
 protected:
  route::RouteConfig config() {
    route::RouteConfig config;
    config.listen = {.host = "127.0.0.1", .port = 0};
    config.admin = {.host = "127.0.0.1", .port = 0};
    config.variants = {{.name = "baseline",
                        .upstreams = {{.host = "127.0.0.1", .port = baseline_.port()}},
                        .weight = 80},
                       {.name = "treatment",
                        .upstreams = {{.host = "127.0.0.1", .port = treatment_.port()}},
                        .weight = 20}};
    config.sticky = {.source = route::StickySource::kHeader, .name = "X-User-Id"};
    config.salt = "s1";
    return config;
  }

  std::unique_ptr<Server> start(route::RouteConfig config, std::filesystem::path path = {}) {
    auto server = Server::start({.config = std::move(config),
                                 .config_path = std::move(path),
                                 .threads = 2,
                                 .shutdown_grace = std::chrono::milliseconds(500)});
    EXPECT_TRUE(server.has_value()) << server.error().message();
    return server ? std::move(*server) : nullptr;
  }

  // A scratch directory, removed with the fixture.
  std::filesystem::path scratch() {
    if (!scratch_) scratch_ = base::TempDir::create("graft-proxy-test-").value();
    return scratch_->path();
  }

  TestUpstream baseline_{"baseline"};
  TestUpstream treatment_{"treatment"};
  std::optional<base::TempDir> scratch_;
};

// `headers`: whole lines without CRLF; a Host line there replaces the default one.
Response admin(std::uint16_t port, std::string method, std::string path, std::string body = "",
               std::string token = "", std::vector<std::string> headers = {}) {
  Client client(port);
  bool has_host = std::any_of(headers.begin(), headers.end(),
                              [](const std::string& line) { return line.rfind("Host:", 0) == 0; });
  if (!has_host) headers.push_back("Host: 127.0.0.1:" + std::to_string(port));
  std::string request =
      method + " " + path + " HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  for (const std::string& line : headers) request += line + "\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  return client.request(request + "\r\n" + body);
}

TEST_F(AdminTest, WeightsStatusAndRollback) {
  auto server = start(config());
  ASSERT_TRUE(server);
  Response weights = admin(server->admin_port(), "GET", "/weights");
  EXPECT_EQ(nlohmann::json::parse(weights.body),
            (nlohmann::json{{"baseline", 80}, {"treatment", 20}}));
  Response put = admin(server->admin_port(), "PUT", "/weights", R"({"treatment": 50})");
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(nlohmann::json::parse(put.body)["baseline"], 50);
  Response bad = admin(server->admin_port(), "PUT", "/weights", R"({"tretment": 5})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("did you mean 'treatment'"), std::string::npos) << bad.body;
  EXPECT_EQ(admin(server->admin_port(), "PUT", "/weights", "[1]").status, 400);
  EXPECT_EQ(admin(server->admin_port(), "POST", "/rollback").status, 200);
  auto status = nlohmann::json::parse(admin(server->admin_port(), "GET", "/status").body);
  EXPECT_EQ(status["variants"][0]["share_percent"], 100.0);
  EXPECT_EQ(status["variants"][1]["weight"], 0);
  EXPECT_EQ(status["variants"][1]["upstreams"][0]["healthy"], true);
  EXPECT_EQ(admin(server->admin_port(), "GET", "/nope").status, 404);
  EXPECT_EQ(admin(server->admin_port(), "DELETE", "/weights").status, 405);
}

TEST_F(AdminTest, AddedRoutesComeBeforeTheBuiltInOnes) {
  std::string seen;
  std::vector<AdminRoute> routes;
  routes.push_back({.method = "POST",
                    .path = "/feedback",
                    .handler = [&seen](std::string_view body, std::string_view query) {
                      seen = std::string(body) + "|" + std::string(query);
                      return AdminResponse{202, "application/json", "{\"accepted\":1}\n"};
                    }});
  routes.push_back(
      {.method = "POST", .path = "/rollback", .handler = [](std::string_view, std::string_view) {
         return AdminResponse{409, "application/json", "{\"error\":\"ended\"}\n"};
       }});
  routes.push_back({.method = "GET",
                    .path = "/boom",
                    .handler = [](std::string_view, std::string_view) -> AdminResponse {
                      throw std::runtime_error("kaput");
                    }});
  auto server = Server::start({.config = config(), .threads = 1, .admin_routes = routes});
  ASSERT_TRUE(server.has_value()) << server.error().message();
  const std::uint16_t port = (*server)->admin_port();
  Response posted = admin(port, "POST", "/feedback?source=test", R"({"request_id":"a"})");
  EXPECT_EQ(posted.status, 202);
  EXPECT_EQ(seen, R"({"request_id":"a"}|source=test)");
  EXPECT_EQ(admin(port, "GET", "/feedback").status, 405);
  EXPECT_EQ(admin(port, "POST", "/rollback").status, 409);  // the experiment's, not the proxy's
  Response boom = admin(port, "GET", "/boom");
  EXPECT_EQ(boom.status, 500);
  EXPECT_NE(boom.body.find("kaput"), std::string::npos) << boom.body;
  Response unknown = admin(port, "GET", "/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("/feedback"), std::string::npos) << unknown.body;
}

TEST_F(AdminTest, SetUpstreamsMovesAVariantToNewReplicasInOneSwap) {
  auto server = start(config());
  ASSERT_TRUE(server);
  TestUpstream standby("treatment-v2");
  Client client(server->port());
  // Pooled: this keep-alive connection and the proxy's upstream connection stay open.
  EXPECT_EQ(client.request(get("/", {"X-Graft-Variant: treatment"})).body, "treatment");
  ASSERT_TRUE(server->set_upstreams("treatment", {{.host = "127.0.0.1", .port = standby.port()}}));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(client.request(get("/", {"X-Graft-Variant: treatment"})).body, "treatment-v2");
  }
  EXPECT_EQ(client.request(get("/", {"X-Graft-Variant: baseline"})).body, "baseline");
  auto status = nlohmann::json::parse(server->status_json());
  EXPECT_EQ(status["variants"][1]["upstreams"][0]["address"], standby.address());
  EXPECT_FALSE(server->set_upstreams("nope", {{.host = "127.0.0.1", .port = 1}}));
  EXPECT_FALSE(server->set_upstreams("treatment", {}));
  EXPECT_EQ(client.request(get("/", {"X-Graft-Variant: treatment"})).body, "treatment-v2");
}

TEST_F(AdminTest, TokenIsRequiredWhenConfigured) {
  auto dir = scratch();
  { std::ofstream(dir / "admin.token") << "s3cret\n"; }
  auto cfg = config();
  cfg.token_file = "admin.token";
  auto server = start(cfg, dir / "route.yml");
  ASSERT_TRUE(server);
  EXPECT_EQ(admin(server->admin_port(), "GET", "/status").status, 401);
  EXPECT_EQ(admin(server->admin_port(), "GET", "/status", "", "wrong").status, 401);
  EXPECT_EQ(admin(server->admin_port(), "GET", "/status", "", "s3cret").status, 200);
  // With a token, any name may reach the API, but a foreign Origin still may not change.
  const std::uint16_t port = server->admin_port();
  EXPECT_EQ(admin(port, "GET", "/status", "", "s3cret", {"Host: proxy.internal:8081"}).status, 200);
  EXPECT_EQ(admin(port, "POST", "/rollback", "", "s3cret", {"Origin: https://evil.example"}).status,
            403);
}

// A public route (a dashboard's static page) is served without the token, with its own
// headers; the data routes beside it still need the token. Without a token configured, the
// public route keeps the loopback-and-Host checks.
TEST_F(AdminTest, PublicRoutesNeedNoTokenAndKeepTheirHeaders) {
  auto dir = scratch();
  { std::ofstream(dir / "admin.token") << "s3cret\n"; }
  std::vector<AdminRoute> routes;
  routes.push_back({.method = "GET",
                    .path = "/",
                    .handler =
                        [](std::string_view, std::string_view) {
                          return AdminResponse{200,
                                               "text/html; charset=utf-8",
                                               "<!DOCTYPE html>",
                                               {{"Content-Security-Policy", "default-src 'self'"}}};
                        },
                    .access = AdminAccess::kPublic});
  routes.push_back(
      {.method = "GET", .path = "/data", .handler = [](std::string_view, std::string_view) {
         return AdminResponse{200, "application/json", "{}"};
       }});
  auto cfg = config();
  cfg.token_file = (dir / "admin.token").string();
  auto server = Server::start({.config = cfg, .threads = 1, .admin_routes = routes});
  ASSERT_TRUE(server.has_value()) << server.error().message();
  const std::uint16_t port = (*server)->admin_port();
  Response page = admin(port, "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "<!DOCTYPE html>");
  EXPECT_EQ(page.headers["content-security-policy"], "default-src 'self'");
  EXPECT_EQ(admin(port, "GET", "/data").status, 401);
  EXPECT_EQ(admin(port, "GET", "/data", "", "s3cret").status, 200);
  EXPECT_EQ(admin(port, "POST", "/").status, 401);  // only a GET is public
  EXPECT_EQ(admin(port, "GET", "/status").status, 401);

  auto open = Server::start({.config = config(), .threads = 1, .admin_routes = routes});
  ASSERT_TRUE(open.has_value()) << open.error().message();
  const std::uint16_t open_port = (*open)->admin_port();
  EXPECT_EQ(admin(open_port, "GET", "/").status, 200);
  EXPECT_EQ(admin(open_port, "GET", "/", "", "", {"Host: rebound.example"}).status, 403);
}

// Without a token, a page in a browser must not reach the admin API: not through another
// name (DNS rebinding), and not with a cross-site change.
TEST_F(AdminTest, RefusesForeignHostsAndCrossSiteChanges) {
  auto server = start(config());
  ASSERT_TRUE(server);
  const std::uint16_t port = server->admin_port();
  const std::string own = "127.0.0.1:" + std::to_string(port);
  auto status_with_host = [&](const std::string& host) {
    return admin(port, "GET", "/status", "", "", {"Host: " + host}).status;
  };
  EXPECT_EQ(status_with_host(own), 200);
  EXPECT_EQ(status_with_host("localhost:" + std::to_string(port)), 200);
  EXPECT_EQ(status_with_host("[::1]:" + std::to_string(port)), 200);
  EXPECT_EQ(status_with_host("rebound.example:" + std::to_string(port)), 403);
  EXPECT_EQ(status_with_host("127.0.0.1:" + std::to_string(port + 1)), 403);
  EXPECT_EQ(status_with_host("127.0.0.1"), 403);
  Response rebound = admin(port, "GET", "/status", "", "", {"Host: evil.example"});
  EXPECT_EQ(nlohmann::json::parse(rebound.body)["error"],
            "the Host 'evil.example' does not name this admin API: use '" + own + "'");

  Response cross_site = admin(port, "POST", "/rollback", "", "", {"Origin: http://evil.example"});
  EXPECT_EQ(cross_site.status, 403);
  EXPECT_EQ(nlohmann::json::parse(cross_site.body)["error"],
            "the Origin 'http://evil.example' is not this admin API's own: changes from other "
            "sites are refused");
  EXPECT_EQ(admin(port, "PUT", "/weights", R"({"treatment": 0})", "", {"Origin: null"}).status,
            403);
  EXPECT_EQ(nlohmann::json::parse(admin(port, "GET", "/weights").body)["treatment"], 20);
  // A foreign Origin may read (the browser keeps the answer from the page); the admin
  // API's own origin, a same-origin dashboard, may change.
  EXPECT_EQ(admin(port, "GET", "/weights", "", "", {"Origin: http://evil.example"}).status, 200);
  EXPECT_EQ(admin(port, "POST", "/rollback", "", "", {"Origin: http://" + own}).status, 200);
  EXPECT_EQ(nlohmann::json::parse(admin(port, "GET", "/weights").body)["treatment"], 0);
}

TEST_F(AdminTest, FiftyWeightChangesAndRollbackUnderLoadLoseNothing) {
  auto server = start(config());
  ASSERT_TRUE(server);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, total{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      Client client(server->port());
      for (int i = 0; !done && i < 20000; ++i) {
        Response response =
            client.request(get("/", {"X-User-Id: u" + std::to_string(t * 100000 + i)}));
        ++total;
        if (response.status != 200) ++failures;
      }
    });
  }
  for (int change = 0; change < 50; ++change) {
    ASSERT_TRUE(server->set_weights({{"treatment", static_cast<std::uint32_t>(change * 2)}}));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  server->rollback();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  int treatment_before = treatment_.requests.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  done = true;
  for (auto& thread : clients) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(total.load(), 100);
  EXPECT_EQ(treatment_.requests.load(), treatment_before);  // nothing after the rollback
}

TEST_F(AdminTest, AccessLogHasEveryField) {
  auto dir = scratch();
  auto cfg = config();
  cfg.access_log = (dir / "access.jsonl").string();
  auto server = start(cfg);
  ASSERT_TRUE(server);
  Client client(server->port());
  ASSERT_EQ(client.request(get("/path?q=1", {"X-User-Id: alice", "X-Request-Id: r-1"})).status,
            200);
  ASSERT_EQ(
      client.request("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello").status,
      200);
  server->stop();
  auto text = base::read_file(dir / "access.jsonl");
  ASSERT_TRUE(text.has_value());
  std::istringstream lines(*text);
  std::string line;
  std::vector<nlohmann::json> entries;
  while (std::getline(lines, line)) entries.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(entries.size(), 2u);
  const auto& first = entries[0];
  EXPECT_TRUE(std::regex_match(first["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  EXPECT_EQ(first["request_id"], "r-1");
  EXPECT_EQ(first["method"], "GET");
  EXPECT_EQ(first["path"], "/path");
  EXPECT_EQ(first["status"], 200);
  EXPECT_EQ(first["upstream"].get<std::string>().rfind("127.0.0.1:", 0), 0u);
  std::string variant = first["variant"];
  EXPECT_EQ(first["model_version"], "model-" + variant);
  EXPECT_EQ(first["user"].get<std::string>().size(), 16u);
  EXPECT_EQ(line.find("alice"), std::string::npos);
  EXPECT_GE(first["latency_ms"].get<double>(), first["upstream_latency_ms"].get<double>());
  EXPECT_EQ(entries[1]["bytes_in"], 5);
  EXPECT_GT(entries[1]["bytes_out"].get<int>(), 5);
  EXPECT_TRUE(entries[1]["user"].is_null());
}

TEST_F(AdminTest, MetricsParseAsPrometheusText) {
  auto server = start(config());
  ASSERT_TRUE(server);
  Client client(server->port());
  for (int i = 0; i < 10; ++i) ASSERT_EQ(client.request(get("/")).status, 200);
  Response metrics = admin(server->admin_port(), "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  std::regex sample(
      R"([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]+="[^"]*",?)*\})? [-+0-9.eEInfa]+( \d+)?)");
  std::istringstream lines(metrics.body);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
    ++samples;
  }
  EXPECT_GT(samples, 10);
  EXPECT_NE(metrics.body.find("graft_proxy_request_duration_seconds_bucket{variant="),
            std::string::npos);
  EXPECT_NE(metrics.body.find("graft_proxy_upstream_healthy{"), std::string::npos);
  EXPECT_NE(metrics.body.find("graft_proxy_mirror_dropped_total"), std::string::npos);
}

TEST_F(AdminTest, MirrorsACopyToTheShadow) {
  TestUpstream shadow("shadow");
  auto cfg = config();
  cfg.variants.push_back(
      {.name = "shadow", .upstreams = {{.host = "127.0.0.1", .port = shadow.port()}}, .weight = 0});
  cfg.mirror = route::MirrorConfig{.variant = "shadow", .percent = 100};
  auto server = start(cfg);
  ASSERT_TRUE(server);
  Client client(server->port());
  for (int i = 0; i < 20; ++i) {
    Response response =
        client.request("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
    EXPECT_EQ(response.body, "hi");
    EXPECT_NE(response.headers["x-graft-variant"], "shadow");
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (shadow.requests.load() < 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(shadow.requests.load(), 20);
}

TEST_F(AdminTest, ReloadRereadsTheFile) {
  auto dir = scratch();
  auto write_config = [&](int treatment_weight) {
    std::ofstream(dir / "route.yml")
        << "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nvariants:\n  baseline: {upstreams: ["
        << baseline_.address() << "], weight: " << 100 - treatment_weight
        << "}\n  treatment: {upstreams: [" << treatment_.address()
        << "], weight: " << treatment_weight << "}\n";
  };
  write_config(0);
  auto text = base::read_file(dir / "route.yml");
  auto parsed = route::parse_route_config(*text, "route.yml");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  auto server = start(*parsed, dir / "route.yml");
  ASSERT_TRUE(server);
  Client client(server->port());
  EXPECT_EQ(client.request(get("/")).body, "baseline");
  auto generation = [&] {
    return nlohmann::json::parse(server->status_json())["generation"].get<std::uint64_t>();
  };
  ASSERT_TRUE(server->set_percentages({{"baseline", 100}, {"treatment", 0}}));
  const std::uint64_t before = generation();
  write_config(100);
  EXPECT_EQ(admin(server->admin_port(), "POST", "/reload").status, 200);
  EXPECT_EQ(client.request(get("/")).body, "treatment");
  EXPECT_EQ(generation(), before + 1);  // generations only grow, also across reloads
  std::ofstream(dir / "route.yml") << "listen: [\n";
  Response broken = admin(server->admin_port(), "POST", "/reload");
  EXPECT_EQ(broken.status, 400);
  EXPECT_EQ(client.request(get("/")).body, "treatment");
}

}  // namespace
}  // namespace graft::proxy
