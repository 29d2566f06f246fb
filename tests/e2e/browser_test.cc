// Browser tests (ctest label `browser`): the live dashboard during a running experiment and
// the HTML report, in Debian's chromium driven by playwright-core (tests/browser/*.mjs; the
// repository's package.json, installed by scripts/setup with `npm ci`). When node,
// playwright-core or chromium is missing, they fail and say so: they never skip.
// Screenshots go to the test's output directory, build/tests/e2e/browser/<test>/, and the
// latest of each to build/screenshots/.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/http_client.h"
#include "base/subprocess.h"
#include "tests/e2e/experiment_fixture.h"

namespace graft::e2e {
namespace {

constexpr const char* kToken = "browser-test-token";
constexpr const char* kOutcome = "  outcome: {name: click, attribution: 60s}\n";

class BrowserTest : public ExperimentTest {
 protected:
  void TearDown() override {
    ExperimentTest::TearDown();
    // No browser outlives the test: every chromium of it has its profile in dir_.
    const std::string profile = "--user-data-dir=" + dir_.string();
    EXPECT_TRUE(wait_for_none(
        [&](const fs::path&, const std::string& cmdline) {
          return cmdline.find(profile) != std::string::npos;
        },
        10s))
        << "a chromium outlived the test";
  }

  // build/tests/e2e/browser/<Test>/, emptied.
  static fs::path output_dir() {
    const fs::path dir = fs::path(GRAFT_BROWSER_OUTPUT_DIR) /
                         ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
  }

  // Runs `node tests/browser/SCRIPT CONFIG` with the output directory and a fresh profile
  // added to `config`; fails the test with what it printed when it does not exit 0.
  void run_browser(const std::string& script, Json config, const fs::path& out) {
    const fs::path modules = fs::path(GRAFT_SOURCE_DIR) / "node_modules" / "playwright-core";
    ASSERT_TRUE(fs::exists(modules))
        << modules << " is missing: run scripts/setup (it runs npm ci at the repository root)";
    config["out"] = out.string();
    config["profile"] = (dir_ / ("chromium-" + script)).string();
    std::map<std::string, std::string> environment = base::current_environment();
    environment["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1";
    auto node = base::run_process(
        {.argv = {"node", (fs::path(GRAFT_SOURCE_DIR) / "tests" / "browser" / script).string(),
                  config.dump()},
         .environment = std::move(environment),
         .timeout = std::chrono::seconds(60)});
    ASSERT_TRUE(node.has_value()) << "node could not run (scripts/setup installs it): "
                                  << node.error().message();
    std::cout << node->stdout_text;
    ASSERT_EQ(node->exit_code, 0) << (node->timed_out ? "timed out after 60 s\n" : "")
                                  << node->stdout_text << node->stderr_text;
  }

  // Copies OUT/NAME to build/screenshots/NAME, the stable place the docs' images come from.
  static void publish(const fs::path& out, const std::string& name) {
    const fs::path shot = out / name;
    ASSERT_TRUE(fs::exists(shot)) << shot;
    EXPECT_GT(fs::file_size(shot), 20'000u) << "a blank screenshot? " << shot;
    fs::create_directories(GRAFT_SCREENSHOT_DIR);
    fs::copy_file(shot, fs::path(GRAFT_SCREENSHOT_DIR) / name,
                  fs::copy_options::overwrite_existing);
  }

  static base::HttpResponse admin_get(const std::string& admin, const std::string& path,
                                      const std::string& token = "") {
    base::HttpRequest request{.url = "http://" + admin + path};
    if (!token.empty()) request.headers.push_back({"Authorization", "Bearer " + token});
    auto response = base::http_request(request);
    EXPECT_TRUE(response.has_value()) << path;
    return response ? *response : base::HttpResponse{};
  }
};

// The page is served without the token (it is static, the same for everyone); the data
// behind it is not.
void expect_public_page_and_private_data(const std::string& admin) {
  base::HttpRequest page_request{.url = "http://" + admin + "/"};
  auto page = base::http_request(page_request);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->header("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  for (const char* data : {"/experiment/live", "/experiment", "/status", "/experiment/report"}) {
    auto refused = base::http_request({.url = "http://" + admin + data});
    ASSERT_TRUE(refused.has_value()) << data;
    EXPECT_EQ(refused->status, 401) << data << ": " << refused->body;
  }
}

TEST_F(BrowserTest, DashboardShowsBothVariantsLiveAndItsControlsSteerTheProxy) {
  make_env("prod", {.version = "1", .delay_ms = 2});
  make_env("cand", {.version = "2", .delay_ms = 5, .p_click = 0.2});
  write(dir_ / "admin.token", std::string(kToken) + "\n");
  // A long window: only the page's controls decide.
  const fs::path path = spec("dash", "", std::string(kGuardrails) + kOutcome, "[50, 100]", "60s",
                             "  token_file: admin.token\n");
  const std::string url = start(path, "dash", kToken);
  ASSERT_FALSE(url.empty());
  const std::string admin = (*status_of("dash"))["controller"]["admin"];
  expect_public_page_and_private_data(admin);
  EXPECT_EQ(admin_get(admin, "/experiment/live", kToken).status, 200);

  e2e::Run load;
  std::thread client([&] {
    load = exp({"load", url, "--users", "200", "--rate", "60", "--duration", "50", "--until",
                "dash", "--outcome", "p_click", "--experiment", "dash"});
  });
  const fs::path out = output_dir();
  run_browser("dashboard.mjs",
              {{"admin", "http://" + admin},
               {"token", kToken},
               {"name", "dash"},
               {"charts", GRAFT_UPLOT_BUNDLED ? "uPlot" : "SVG"}},
              out);
  const bool browser_failed = HasFatalFailure();
  if (browser_failed) exp({"stop", "dash"});  // the load ends with the experiment
  client.join();
  if (browser_failed) return;
  EXPECT_EQ(load.exit_code, 0) << load.err;

  // What the page did is what the experiment recorded.
  const Json status = wait_ended("dash", 20s);
  EXPECT_EQ(status["state"], "rolled_back") << status.dump(2);
  EXPECT_EQ(status["weights"]["treatment"], 0);
  EXPECT_EQ(actions(status),
            (std::vector<std::string>{"set_weight", "pause", "resume", "rollback"}));
  ASSERT_FALSE(status["decisions"].empty());
  EXPECT_EQ(status["decisions"].back()["reason"], "rolled back from the dashboard");
  EXPECT_TRUE(status["decisions"].back()["manual"].get<bool>());
  EXPECT_TRUE(wait_for_no_replicas(10s)) << "replicas outlived the experiment";
  publish(out, "dashboard.png");
}

TEST_F(BrowserTest, HtmlReportRendersTheVerdictAndBothVariants) {
  make_env("prod", {.version = "1"});
  make_env("cand", {.version = "2", .delay_ms = 4, .p_click = 0.3});
  const std::string url = start(spec("paper", "", std::string(kGuardrails) + kOutcome), "paper");
  ASSERT_FALSE(url.empty());
  const Json status = run_load(url, "paper", {"--outcome", "p_click", "--experiment", "paper"});
  const std::string state = status["state"];
  ASSERT_NE(state, "running") << status.dump(2);
  const fs::path page = dir_ / "report.html";
  e2e::Run written = exp({"report", "paper", "--html", page.string()});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  const fs::path out = output_dir();
  run_browser("report.mjs", {{"file", page.string()}, {"state", state}}, out);
  if (HasFatalFailure()) return;
  publish(out, "report.png");
}

}  // namespace
}  // namespace graft::e2e
