#include "experiment/dashboard.h"

#include <algorithm>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "experiment/dashboard_files.h"
#include "proxy/server.h"

namespace graft::experiment {
namespace {

using Json = nlohmann::json;

const proxy::AdminRoute* find_route(const std::vector<proxy::AdminRoute>& routes,
                                    const std::string& path) {
  auto found = std::find_if(routes.begin(), routes.end(),
                            [&](const proxy::AdminRoute& route) { return route.path == path; });
  return found == routes.end() ? nullptr : &*found;
}

std::string header(const proxy::AdminResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

std::string file_text(std::string_view name) {
  for (const EmbeddedFile& file : dashboard_files()) {
    if (file.name == name) return std::string(file.bytes);
  }
  return "<missing " + std::string(name) + ">";
}

TEST(DashboardAssets, ThePageAndEveryAssetItLoadsArePublicWithAStrictPolicy) {
  const std::vector<proxy::AdminRoute> routes = dashboard_asset_routes();
  const std::string page = file_text("index.html");
  ASSERT_TRUE(page.starts_with("<!DOCTYPE html>")) << page.substr(0, 100);
  // Every src= and href= of the page is served here, publicly, as a GET.
  const std::regex reference(R"((src|href)="([^"]+)\")");
  std::set<std::string> referenced;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), reference);
       it != std::sregex_iterator(); ++it) {
    referenced.insert("/" + (*it)[2].str());
  }
  EXPECT_EQ(referenced,
            (std::set<std::string>{"/uplot.css", "/dashboard.css", "/uplot.js", "/dashboard.js"}));
  referenced.insert("/");
  for (const std::string& path : referenced) {
    const proxy::AdminRoute* route = find_route(routes, path);
    ASSERT_NE(route, nullptr) << path;
    EXPECT_EQ(route->method, "GET") << path;
    EXPECT_EQ(route->access, proxy::AdminAccess::kPublic) << path;
    const proxy::AdminResponse response = route->handler("", "");
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_NE(header(response, "Content-Security-Policy").find("frame-ancestors 'none'"),
              std::string::npos)
        << path;
    EXPECT_EQ(header(response, "X-Content-Type-Options"), "nosniff") << path;
  }
  EXPECT_EQ(find_route(routes, "/")->handler("", "").content_type, "text/html; charset=utf-8");
  EXPECT_EQ(find_route(routes, "/dashboard.js")->handler("", "").content_type,
            "text/javascript; charset=utf-8");
  EXPECT_EQ(find_route(routes, "/dashboard.js")->handler("", "").body, file_text("dashboard.js"));
}

// Nothing is fetched from elsewhere: the page and its script name no other host (the SVG
// namespace is a name, not a request), and the token never goes into a URL.
TEST(DashboardAssets, NameNoOtherHostAndKeepTheTokenOutOfUrls) {
  for (const char* name : {"index.html", "dashboard.js", "dashboard.css"}) {
    std::string text = file_text(name);
    for (auto at = text.find("http://www.w3.org/2000/svg"); at != std::string::npos;
         at = text.find("http://www.w3.org/2000/svg")) {
      text.erase(at, 26);
    }
    EXPECT_EQ(text.find("http://"), std::string::npos) << name;
    EXPECT_EQ(text.find("https://"), std::string::npos) << name;
    EXPECT_EQ(text.find("//cdn"), std::string::npos) << name;
  }
  const std::string script = file_text("dashboard.js");
  EXPECT_NE(script.find("headers.Authorization = \"Bearer \" + view.token"), std::string::npos);
  EXPECT_EQ(script.find("?token"), std::string::npos);
  EXPECT_EQ(script.find("innerHTML"), std::string::npos);
}

ExperimentSpec spec() {
  ExperimentSpec spec{.name = "ctr"};
  spec.route.sticky = {.source = route::StickySource::kHeader, .name = "X-User-Id"};
  spec.route.salt = "written";
  spec.variants = {{.name = "baseline", .env = "prod"}, {.name = "treatment", .env = "cand"}};
  spec.rollout.steps = {10, 50, 100};
  return spec;
}

TEST(Dashboard, LiveDataNeedsTheTokenAndTellsWhatTheRunIs) {
  const ExperimentSpec experiment = spec();
  Dashboard dashboard(experiment, base::real_clock());
  const std::vector<proxy::AdminRoute> routes = dashboard.routes();
  const proxy::AdminRoute* live = find_route(routes, "/experiment/live");
  ASSERT_NE(live, nullptr);
  EXPECT_EQ(live->access, proxy::AdminAccess::kToken);
  const proxy::AdminResponse response = live->handler("", "");
  EXPECT_EQ(header(response, "Cache-Control"), "no-store");
  const Json body = Json::parse(response.body);
  EXPECT_EQ(body["about"]["name"], "ctr");
  EXPECT_EQ(body["about"]["steps"], Json::array({10, 50, 100}));
  EXPECT_EQ(body["about"]["sticky"], "header:X-User-Id");
  EXPECT_EQ(body["about"]["variants"][1]["env"], "cand");
  EXPECT_EQ(body["series"]["variants"].size(), 2u);
  EXPECT_TRUE(body["series"]["t"].empty());
}

// watch() reads the running proxy's own salt (a resumed run keeps its recorded one) and
// samples until stop().
TEST(Dashboard, WatchesTheRunningProxy) {
  ExperimentSpec experiment = spec();
  route::RouteConfig config = experiment.route;
  config.listen = {.host = "127.0.0.1", .port = 0};
  config.admin = {.host = "127.0.0.1", .port = 0};
  config.salt = "recorded";
  config.variants = {
      {.name = "baseline", .upstreams = {{.host = "127.0.0.1", .port = 9}}, .weight = 90},
      {.name = "treatment", .upstreams = {{.host = "127.0.0.1", .port = 9}}, .weight = 10}};
  auto server = proxy::Server::start({.config = config, .threads = 1});
  ASSERT_TRUE(server.has_value()) << server.error().message();
  Dashboard dashboard(experiment, base::real_clock(), {.interval = std::chrono::milliseconds(50)});
  const std::vector<proxy::AdminRoute> routes = dashboard.routes();
  dashboard.watch(**server);
  const Json body = Json::parse(find_route(routes, "/experiment/live")->handler("", "").body);
  EXPECT_EQ(body["about"]["salt"], "recorded");
  dashboard.stop();
  dashboard.stop();  // idempotent
  (*server)->stop();
}

}  // namespace
}  // namespace graft::experiment
