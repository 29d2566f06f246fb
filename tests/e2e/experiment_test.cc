// End-to-end: `graft exp` with real environments, real replicas (small Python services
// started inside those environments), the real proxy and the real load generator, all on
// loopback and bounded in time.
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/http_client.h"
#include "tests/e2e/experiment_fixture.h"

namespace graft::e2e {
namespace {

TEST_F(ExperimentTest, FailingTreatmentIsRolledBackForItsErrorRate) {
  make_env("prod", {.version = "1"});
  make_env("cand", {.version = "2", .fail_rate = 0.3});
  const std::string url = start(spec("errs", "", kGuardrails), "errs");
  ASSERT_FALSE(url.empty());
  Json status = run_load(url, "errs");
  EXPECT_EQ(status["state"], "rolled_back") << status.dump(2);
  ASSERT_FALSE(status["decisions"].empty());
  const Json& last = status["decisions"].back();
  EXPECT_EQ(last["action"], "rollback");
  EXPECT_NE(last["reason"].get<std::string>().find("error rate"), std::string::npos) << last;
  EXPECT_EQ(status["weights"]["treatment"], 0);
  EXPECT_TRUE(wait_for_no_replicas(10s)) << "replicas outlived the experiment";
  // The report was written, and every request was recorded.
  e2e::Run report = exp({"report", "errs", "--json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  Json parsed = Json::parse(report.out);
  EXPECT_GT(parsed["variants"]["treatment"]["errors"].get<int>(), 0);
  EXPECT_GT(parsed["variants"]["baseline"]["requests"].get<int>(), 30);
}

TEST_F(ExperimentTest, SlowTreatmentIsRolledBackOnTheLatencyGuardrail) {
  make_env("prod", {.version = "1", .delay_ms = 5});
  make_env("cand", {.version = "2", .delay_ms = 40});
  const std::string url = start(spec("slow", "", kGuardrails), "slow");
  ASSERT_FALSE(url.empty());
  Json status = run_load(url, "slow");
  EXPECT_EQ(status["state"], "rolled_back") << status.dump(2);
  ASSERT_FALSE(status["decisions"].empty());
  EXPECT_NE(status["decisions"].back()["reason"].get<std::string>().find("p99"), std::string::npos)
      << status["decisions"].back();
}

TEST_F(ExperimentTest, HealthyTreatmentIsPromotedAndAdoptedAsTheBaseline) {
  make_env("prod", {.version = "1"});
  make_env("cand", {.version = "2", .p_click = 0.2});
  const std::string url = start(spec("good", "", kGuardrails), "good");
  ASSERT_FALSE(url.empty());
  Json status = run_load(url, "good", {"--outcome", "p_click", "--experiment", "good"});
  EXPECT_EQ(status["state"], "promoted") << status.dump(2);
  EXPECT_EQ(actions(status), (std::vector<std::string>{"advance", "promote"}));
  // Outcomes were joined by request id.
  Json report = Json::parse(exp({"report", "good", "--json"}).out);
  EXPECT_GT(report["variants"]["treatment"]["outcome"]["users"].get<int>(), 0) << report.dump();

  e2e::Run adopted = exp({"promote", "good", "--adopt"});
  ASSERT_EQ(adopted.exit_code, 0) << adopted.err;
  // The old baseline is kept frozen under a dated name; the baseline equals the winner.
  e2e::Run list = graft({"env", "list", "--json", "--root-prefix", root_.string()}, dir_,
                        {"HOME=" + home_.string()});
  ASSERT_NE(list.out.find("prod@"), std::string::npos) << list.out;
  e2e::Run diff = graft({"diff", "prod", "cand", "--root-prefix", root_.string()}, dir_,
                        {"HOME=" + home_.string()});
  EXPECT_EQ(diff.exit_code, 0) << diff.out << diff.err;
  EXPECT_TRUE(fs::exists(root_ / "envs" / "prod" / "conda-meta" / "frozen"));
}

TEST_F(ExperimentTest, ForcedUsersGiveASampleRatioMismatchAndAHold) {
  make_env("prod", {.version = "1"});
  make_env("cand", {.version = "2"});
  const std::string url = start(spec("srm", "", "  alpha: 0.05\n", "[10, 100]"), "srm");
  ASSERT_FALSE(url.empty());
  // Beside normal traffic, every user is also forced into the treatment by the override
  // header while the split is 90/10: the treatment sees far more users than its weight.
  e2e::Run forced;
  std::thread tester([&] {
    forced = exp({"load", url, "--users", "300", "--rate", "100", "--duration", "5", "-H",
                  "X-Graft-Variant: treatment", "--seed", "2"});
  });
  e2e::Run load = exp({"load", url, "--users", "300", "--rate", "100", "--duration", "5"});
  tester.join();
  ASSERT_EQ(load.exit_code, 0) << load.err;
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  Json status = *status_of("srm");
  bool held_for_srm = false;
  for (const Json& d : status["decisions"]) {
    if (d["action"] == "hold" &&
        d["reason"].get<std::string>().find("sample ratio") != std::string::npos) {
      held_for_srm = true;
    }
  }
  EXPECT_TRUE(held_for_srm) << status.dump(2);
  EXPECT_EQ(status["state"], "running");
  e2e::Run stopped = exp({"stop", "srm"});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(wait_ended("srm", 20s)["state"], "stopped");
}

TEST_F(ExperimentTest, SwapUnderLoadFailsNoRequest) {
  make_env("prod", {.version = "1"});
  make_env("cand", {.version = "2"});
  make_env("cand2", {.version = "3"});
  // A long window: no decision during the test.
  const std::string url = start(spec("swap", "", kGuardrails, "[50]", "60s"), "swap");
  ASSERT_FALSE(url.empty());
  e2e::Run load;
  std::thread client([&] {
    load = exp({"load", url, "--users", "200", "--rate", "100", "--duration", "8", "--json"});
  });
  std::this_thread::sleep_for(2s);
  e2e::Run swapped = exp({"swap", "swap", "treatment", "--env", "cand2"});
  client.join();
  ASSERT_EQ(swapped.exit_code, 0) << swapped.err;
  ASSERT_EQ(load.exit_code, 0) << load.err;
  const Json summary = Json::parse(load.out);
  std::uint64_t errors = 0;
  for (const auto& [variant, figures] : summary["variants"].items()) {
    errors += figures["errors"].get<std::uint64_t>();
  }
  EXPECT_EQ(errors, 0u) << summary.dump(2);
  EXPECT_GT(summary["variants"]["treatment"]["requests"].get<int>(), 100) << summary.dump(2);
  const Json shown = Json::parse(exp({"show", "swap", "--json"}).out);
  EXPECT_EQ(shown["variants"][1]["env"], "cand2") << shown.dump(2);
  EXPECT_EQ(exp({"stop", "swap"}).exit_code, 0);
  EXPECT_EQ(wait_ended("swap", 20s)["state"], "stopped");
}

TEST_F(ExperimentTest, KilledExperimentResumesAtItsStepWithNoOrphans) {
  make_env("prod", {.version = "1"});
  make_env("cand", {.version = "2"});
  const std::string url = start(spec("kill", "", kGuardrails, "[20, 50, 100]"), "kill");
  ASSERT_FALSE(url.empty());
  // Pause, so that the step and weights stay put, then move the weight by hand.
  ASSERT_EQ(exp({"pause", "kill"}).exit_code, 0);
  ASSERT_EQ(exp({"set-weight", "kill", "treatment=30"}).exit_code, 0);
  Json before = *status_of("kill");
  ASSERT_TRUE(before["controller"].is_object());
  const std::map<std::string, std::string> assigned = variants_of_users(url);
  const auto pid = static_cast<pid_t>(before["controller"]["pid"].get<std::int64_t>());
  ASSERT_FALSE(replicas().empty());
  ::kill(pid, SIGKILL);
  // Every replica dies with it (parent-death signal).
  EXPECT_TRUE(wait_for_no_replicas(10s)) << "replicas outlived a SIGKILLed graft";

  e2e::Run resumed = exp({"resume", "kill", "--detach"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err << resumed.out;
  Json after = *status_of("kill");
  EXPECT_EQ(after["state"], "paused");
  EXPECT_EQ(after["step"], before["step"]);
  EXPECT_EQ(after["weights"], before["weights"]);
  EXPECT_EQ(after["weights"]["treatment"], 30);
  // The same users land on the same variants: the salt and weights are the recorded ones.
  auto live = base::http_request(
      {.url = "http://" + after["controller"]["admin"].get<std::string>() + "/experiment"});
  ASSERT_TRUE(live.has_value());
  const std::string new_url =
      "http://" + Json::parse(live->body)["listen"].get<std::string>() + "/predict";
  EXPECT_EQ(variants_of_users(new_url), assigned) << "a user changed variant across the resume";
  std::set<std::string> seen;
  for (const auto& [user, variant] : assigned) seen.insert(variant);
  EXPECT_EQ(seen.size(), 2u) << "both variants should have users at 30%";
  EXPECT_EQ(exp({"stop", "kill"}).exit_code, 0);
  EXPECT_EQ(wait_ended("kill", 20s)["state"], "stopped");
  EXPECT_TRUE(wait_for_no_replicas(10s));
}

TEST_F(ExperimentTest, ArchiveReproducesEveryEnvironment) {
  make_env("prod", {.version = "1"});
  make_env("cand", {.version = "2"});
  const std::string url = start(spec("arch", "", kGuardrails), "arch");
  ASSERT_FALSE(url.empty());
  ASSERT_EQ(exp({"stop", "arch"}).exit_code, 0);
  wait_ended("arch", 20s);
  e2e::Run archived = exp({"archive", "arch", "-o", (dir_ / "archive").string()});
  ASSERT_EQ(archived.exit_code, 0) << archived.err;
  for (const char* file : {"experiment.yml", "SHA256SUMS", "code.json", "dataset.txt",
                           "decisions.json", "variants/baseline/environment.yml",
                           "variants/baseline/explicit.txt", "variants/treatment/explicit.txt"}) {
    EXPECT_TRUE(fs::exists(dir_ / "archive" / file)) << file;
  }
  EXPECT_NE(read(dir_ / "archive" / "variants/treatment/explicit.txt").find("@EXPLICIT"),
            std::string::npos);
  // A fresh root reproduces both environments exactly.
  const fs::path other = dir_ / "other-root";
  e2e::Run reproduced =
      graft({"exp", "reproduce", (dir_ / "archive").string(), "--root-prefix", other.string()},
            dir_, {"HOME=" + home_.string()});
  ASSERT_EQ(reproduced.exit_code, 0) << reproduced.err;
  for (const auto& [original, copy] : {std::pair{"prod", "prod-repro"}, {"cand", "cand-repro"}}) {
    e2e::Run diff =
        graft({"diff", (root_ / "envs" / original).string(), (other / "envs" / copy).string()},
              dir_, {"HOME=" + home_.string()});
    EXPECT_EQ(diff.exit_code, 0) << original << ": " << diff.out << diff.err;
  }
  // A changed archive is refused.
  write(dir_ / "archive" / "dataset.txt", "changed\n");
  e2e::Run tampered = graft(
      {"exp", "reproduce", (dir_ / "archive").string(), "--root-prefix", (dir_ / "third").string()},
      dir_, {"HOME=" + home_.string()});
  EXPECT_NE(tampered.exit_code, 0);
  EXPECT_NE(tampered.err.find("does not match"), std::string::npos) << tampered.err;
}

TEST_F(ExperimentTest, CheckNamesTheProblemWithoutStartingAnything) {
  make_env("prod", {.version = "1"});
  const fs::path path = spec("chk", "", kGuardrails);
  e2e::Run missing = exp({"check", path.string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("'cand'"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("graft env list"), std::string::npos) << missing.err;
  make_env("cand", {.version = "2"});
  e2e::Run fine = exp({"check", path.string()});
  EXPECT_EQ(fine.exit_code, 0) << fine.err;
  write(dir_ / "bad.yml", read(path) + "extra: 1\n");
  e2e::Run bad = exp({"check", (dir_ / "bad.yml").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.yml:"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("unknown key 'extra'"), std::string::npos) << bad.err;
  EXPECT_TRUE(replicas().empty());
}

// `analyze` on a generated access log equals what scipy and statsmodels compute from the
// same requests (an independent implementation).
TEST_F(ExperimentTest, AnalyzeEqualsScipyOnAGeneratedLog) {
  if (std::system("/usr/bin/python3 -c 'import scipy, statsmodels' 2>/dev/null") != 0) {
    GTEST_SKIP() << "python3-scipy and python3-statsmodels are not installed (scripts/setup)";
  }
  const fs::path script = dir_ / "oracle.py";
  write(script, R"PY(import json, random, sys
import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest
random.seed(7)
log = open(sys.argv[1], "w")
lat = {"baseline": [], "treatment": []}
err = {"baseline": 0, "treatment": 0}
users = {"baseline": set(), "treatment": set()}
n = 0
for i in range(4000):
    v = "baseline" if random.random() < 0.7 else "treatment"
    u = random.randrange(1500)
    ms = round(random.lognormvariate(2.0 if v == "baseline" else 2.1, 0.4), 3)
    s = 500 if random.random() < (0.01 if v == "baseline" else 0.02) else 200
    lat[v].append(ms); err[v] += s >= 500; users[v].add(u)
    log.write(json.dumps({"ts": "2026-12-01T10:00:%02d.%03dZ" % (i % 60, i % 1000),
        "request_id": "r%d" % i, "method": "GET", "path": "/", "status": s, "variant": v,
        "upstream": None, "latency_ms": ms, "upstream_latency_ms": ms, "bytes_in": 0,
        "bytes_out": 10, "user": "%016x" % (u * 2654435761 % 2**64), "model_version": None}) + "\n")
log.close()
b, t = np.array(lat["baseline"]), np.array(lat["treatment"])
def rank(a, p):
    a = np.sort(a); k = max(1, int(np.ceil(p / 100 * len(a)))); return float(a[k - 1])
obs = [len(users["baseline"]), len(users["treatment"])]
chi2, srm_p = stats.chisquare(obs, [sum(obs) * 0.7, sum(obs) * 0.3])
z, z_p = proportions_ztest([err["treatment"], err["baseline"]], [len(t), len(b)])
u = stats.mannwhitneyu(t, b, alternative="two-sided", method="asymptotic", use_continuity=True)
print(json.dumps({"b_p99": rank(b, 99), "t_p50": rank(t, 50), "chi2": chi2, "srm_p": srm_p,
    "z_p": z_p, "mw_p": u.pvalue, "b_users": obs[0], "b_err": err["baseline"]}))
)PY");
  const fs::path log = dir_ / "access.jsonl";
  base::ProcessResult oracle =
      base::run_process({.argv = {"/usr/bin/python3", script.string(), log.string()}}).value();
  ASSERT_EQ(oracle.exit_code, 0) << oracle.stderr_text;
  const Json want = Json::parse(oracle.stdout_text);
  e2e::Run analyzed = graft(
      {"exp", "analyze", "--log", log.string(), "--weights", "baseline=70,treatment=30", "--json"},
      dir_);
  ASSERT_EQ(analyzed.exit_code, 0) << analyzed.err;
  const Json got = Json::parse(analyzed.out);
  auto near = [](double a, double b) {
    return std::abs(a - b) <= 1e-6 * std::max(1.0, std::abs(b));
  };
  EXPECT_EQ(got["variants"]["baseline"]["users"], want["b_users"]);
  EXPECT_EQ(got["variants"]["baseline"]["errors"], want["b_err"]);
  EXPECT_TRUE(near(got["variants"]["baseline"]["latency_ms"]["p99"], want["b_p99"])) << got;
  EXPECT_TRUE(near(got["variants"]["treatment"]["latency_ms"]["p50"], want["t_p50"])) << got;
  EXPECT_TRUE(near(got["srm"]["chi2"], want["chi2"])) << got["srm"] << want;
  EXPECT_TRUE(near(got["srm"]["p_value"], want["srm_p"])) << got["srm"] << want;
  EXPECT_TRUE(near(got["comparisons"]["treatment"]["error_rate"]["p_value"], want["z_p"]))
      << got["comparisons"] << want;
  EXPECT_TRUE(near(got["comparisons"]["treatment"]["latency"]["mann_whitney_p"], want["mw_p"]))
      << got["comparisons"] << want;
}

// `report --html`: one self-contained page with the verdict first, both variants' traffic
// and latencies, the decisions, the environment diff and the dataset.
TEST_F(ExperimentTest, HtmlReportShowsTheVerdictAndBothVariants) {
  make_env("prod", {.version = "1"});
  make_env("cand", {.version = "2", .delay_ms = 4, .p_click = 0.3});
  const std::string url = start(spec("page", "", kGuardrails), "page");
  ASSERT_FALSE(url.empty());
  Json status = run_load(url, "page", {"--outcome", "p_click"});
  const std::string state = status["state"];
  ASSERT_NE(state, "running") << status.dump(2);
  const fs::path page_path = dir_ / "report.html";
  e2e::Run written = exp({"report", "page", "--html", page_path.string()});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  EXPECT_EQ(written.out, "");
  const std::string page = read(page_path);
  ASSERT_TRUE(page.starts_with("<!DOCTYPE html>")) << page.substr(0, 200);
  // The verdict comes first, with the last decision's reason.
  const auto verdict = page.find("id=\"verdict\"");
  ASSERT_NE(verdict, std::string::npos);
  EXPECT_LT(verdict, page.find("id=\"traffic\""));
  EXPECT_NE(page.find("<b>" + state + "</b>"), std::string::npos) << state;
  // Both variants: traffic bars, one histogram each, a metrics row each.
  for (const char* variant : {"baseline", "treatment"}) {
    EXPECT_NE(page.find(std::string("<td class=\"l\">") + variant + "</td>"), std::string::npos)
        << variant;
    EXPECT_NE(page.find(std::string("<b>") + variant + "</b> <span class=\"muted\">"),
              std::string::npos)
        << variant;
    EXPECT_NE(page.find(std::string(" ") + variant + " "), std::string::npos) << variant;
  }
  std::size_t bars = 0;
  for (auto at = page.find("<rect"); at != std::string::npos; at = page.find("<rect", at + 1)) {
    ++bars;
  }
  EXPECT_GT(bars, 10u);
  // Every decision with its reason, the environment diff, the dataset.
  ASSERT_FALSE(status["decisions"].empty());
  for (const Json& decision : status["decisions"]) {
    // The reason up to its first character that HTML escapes.
    std::string reason = decision["reason"];
    reason = reason.substr(0, reason.find_first_of("&<>\"'"));
    EXPECT_NE(page.find("<td class=\"l\">" + reason), std::string::npos) << reason;
  }
  EXPECT_NE(page.find("<span class=\"del\">- model=1=0</span>"), std::string::npos);
  EXPECT_NE(page.find("<span class=\"add\">+ model=2=0</span>"), std::string::npos);
  EXPECT_NE(page.find("clicks@2026-12-01"), std::string::npos);
  // Nothing is fetched: the only URL is the SVG namespace.
  std::string stripped = page;
  for (auto at = stripped.find("http://www.w3.org/2000/svg"); at != std::string::npos;
       at = stripped.find("http://www.w3.org/2000/svg")) {
    stripped.erase(at, 26);
  }
  EXPECT_EQ(stripped.find("http"), std::string::npos);
  // A directory is not a file to write the page to.
  e2e::Run refused = exp({"report", "page", "--html", dir_.string()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("it is a directory"), std::string::npos) << refused.err;
  // BrowserTest.HtmlReportRendersTheVerdictAndBothVariants renders such a page in chromium.
}

}  // namespace
}  // namespace graft::e2e
