// The fixture of the end-to-end experiment tests (experiment_test.cc, browser_test.cc): real
// environments holding a small "model" package, replicas that are small Python services
// started inside them, and helpers to start an experiment, follow it and check that no
// process outlives a test.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/http_client.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace std::chrono_literals;

// A model service: reads its behaviour from the environment's model package.
inline constexpr const char* kServe = R"PY(import json, os, random, sys, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
prefix = os.environ["CONDA_PREFIX"]
cfg = json.load(open(os.path.join(prefix, "share", "model", "config.json")))
port = int(sys.argv[sys.argv.index("--port") + 1])
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def do_GET(self):
        if self.path == "/health":
            code, body = 200, b"ok"
        else:
            time.sleep(cfg["delay_ms"] / 1000.0)
            code = 500 if random.random() < cfg["fail_rate"] else 200
            body = json.dumps({"model": cfg["version"], "p_click": cfg["p_click"]}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
)PY";

struct Model {
  std::string version;
  double fail_rate = 0;
  int delay_ms = 2;
  double p_click = 0.1;
};

class ExperimentTest : public ChannelTest {
 protected:
  void SetUp() override {
    ChannelTest::SetUp();
    write(dir_ / "serve.py", kServe);
  }

  void TearDown() override {
    // Whatever happened, no process of this test outlives it.
    for (const std::string& name : started_) {
      if (auto status = status_of(name);
          status && status->contains("controller") && (*status)["controller"].is_object()) {
        ::kill(static_cast<pid_t>((*status)["controller"]["pid"].get<std::int64_t>()), SIGKILL);
      }
    }
    wait_for_no_replicas(10s);
    // An experiment that has ended may still be finishing (its linger, stopping replicas,
    // closing the registry): wait for every graft process of this test, so the scratch
    // directory is not removed under it (a remove racing its last writes left it behind).
    wait_for_none(
        [dir = dir_.string()](const fs::path&, const std::string& cmdline) {
          return cmdline.find(GRAFT_BINARY) != std::string::npos &&
                 cmdline.find(dir) != std::string::npos;
        },
        15s);
  }

  // Environment `env` holding model version `model`.
  void make_env(const std::string& env, const Model& model) {
    const Json config = {{"version", model.version},
                         {"fail_rate", model.fail_rate},
                         {"delay_ms", model.delay_ms},
                         {"p_click", model.p_click}};
    add_noarch_package(channel_, "model", model.version,
                       {{"share/model/config.json", config.dump() + "\n"}});
    e2e::Run created = verb({"create", "-n", env, "model=" + model.version});
    ASSERT_EQ(created.exit_code, 0) << created.err;
  }

  // `extra_route`: more lines of the route block ("  token_file: admin.token\n").
  fs::path spec(const std::string& name, const std::string& extra_rollout,
                const std::string& analysis, const std::string& steps = "[50, 100]",
                const std::string& interval = "2s", const std::string& extra_route = "") {
    const fs::path path = dir_ / (name + ".yml");
    write(path, "name: " + name + R"(
route:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  sticky: header:X-User-Id
  salt: )" + name + "\n" +
                    extra_route + R"(variants:
  baseline:
    env: prod
    command: python3 serve.py --port {port}
    health: /health
  treatment:
    env: cand
    command: python3 serve.py --port {port}
    health: /health
rollout:
  steps: )" + steps +
                    R"(
  interval: )" + interval +
                    R"(
  min_requests: 30
  ready_timeout: 30s
  stop_grace: 2s
)" + extra_rollout + R"(analysis:
)" + analysis + R"(record:
  code: .
  dataset: "clicks@2026-12-01"
)");
    return path;
  }

  e2e::Run exp(std::vector<std::string> words) {
    words.insert(words.begin(), "exp");
    words.insert(words.end(), {"--root-prefix", root_.string()});
    return graft(words, dir_, {"HOME=" + home_.string()});
  }

  // Starts the experiment in the background; returns the proxy's URL. `token`: the admin
  // API's bearer token, when the spec has a token_file.
  std::string start(const fs::path& spec_path, const std::string& name,
                    const std::string& token = "") {
    e2e::Run started = exp({"start", spec_path.string(), "--detach"});
    started_.insert(name);
    EXPECT_EQ(started.exit_code, 0) << started.out << started.err;
    auto status = status_of(name);
    if (!status || !(*status)["controller"].is_object()) return "";
    base::HttpRequest request{
        .url = "http://" + (*status)["controller"]["admin"].get<std::string>() + "/experiment"};
    if (!token.empty()) request.headers.push_back({"Authorization", "Bearer " + token});
    auto live = base::http_request(request);
    if (!live || live->status != 200) return "";
    return "http://" + Json::parse(live->body)["listen"].get<std::string>() + "/predict";
  }

  std::optional<Json> status_of(const std::string& name) {
    e2e::Run run = exp({"status", name, "--json"});
    if (run.exit_code != 0) return std::nullopt;
    return Json::parse(run.out, nullptr, false);
  }

  // Load until the experiment ends (or `limit`), then its final status.
  Json run_load(const std::string& url, const std::string& name,
                std::vector<std::string> extra = {}, std::chrono::seconds limit = 45s) {
    std::vector<std::string> words = {"load",    url,   "--users",    "300",
                                      "--rate",  "200", "--duration", std::to_string(limit.count()),
                                      "--until", name};
    words.insert(words.end(), extra.begin(), extra.end());
    e2e::Run load = exp(words);
    EXPECT_EQ(load.exit_code, 0) << load.err;
    load_output_ = load.out;
    return wait_ended(name, 20s);
  }

  Json wait_ended(const std::string& name, std::chrono::seconds limit) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    Json last;
    while (std::chrono::steady_clock::now() < give_up) {
      if (auto status = status_of(name)) {
        last = *status;
        const std::string state = last["state"];
        if (state != "starting" && state != "running" && state != "paused" &&
            last["controller"].is_null()) {
          return last;
        }
      }
      std::this_thread::sleep_for(200ms);
    }
    ADD_FAILURE() << "experiment '" << name << "' did not end: " << last.dump();
    return last;
  }

  // The pids of processes (/proc/PID) whose command line (arguments joined by NULs)
  // satisfies `match`.
  static std::set<pid_t> processes(
      const std::function<bool(const fs::path& proc, const std::string& cmdline)>& match) {
    std::set<pid_t> found;
    for (const auto& entry : fs::directory_iterator("/proc")) {
      const std::string pid = entry.path().filename();
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream in(entry.path() / "cmdline");
      std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (match(entry.path(), cmdline)) found.insert(std::stoi(pid));
    }
    return found;
  }

  // Whether every process `match` finds has gone within `limit`; those still there then are
  // killed.
  static bool wait_for_none(
      const std::function<bool(const fs::path& proc, const std::string& cmdline)>& match,
      std::chrono::seconds limit) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (!processes(match).empty()) {
      if (std::chrono::steady_clock::now() > give_up) {
        for (pid_t pid : processes(match)) ::kill(pid, SIGKILL);
        return false;
      }
      std::this_thread::sleep_for(100ms);
    }
    return true;
  }

  // The replicas this test started: serve.py running in its scratch directory.
  std::set<pid_t> replicas() const { return processes(replica_match()); }

  bool wait_for_no_replicas(std::chrono::seconds limit) const {
    return wait_for_none(replica_match(), limit);
  }

  std::function<bool(const fs::path&, const std::string&)> replica_match() const {
    return [dir = dir_](const fs::path& proc, const std::string& cmdline) {
      std::error_code ec;
      return cmdline.find("serve.py") != std::string::npos &&
             fs::read_symlink(proc / "cwd", ec) == dir;
    };
  }

  // The variant each of 60 users is served by (X-Graft-Variant).
  static std::map<std::string, std::string> variants_of_users(const std::string& url) {
    std::map<std::string, std::string> out;
    for (int i = 1; i <= 60; ++i) {
      const std::string user = "user-" + std::to_string(i);
      auto response = base::http_request({.url = url, .headers = {{"X-User-Id", user}}});
      out[user] = response ? response->header("X-Graft-Variant") : "(no response)";
    }
    return out;
  }

  static std::vector<std::string> actions(const Json& status) {
    std::vector<std::string> out;
    for (const Json& d : status["decisions"]) out.push_back(d["action"]);
    return out;
  }

  std::set<std::string> started_;
  std::string load_output_;
};

inline constexpr const char* kGuardrails = R"(  alpha: 0.05
  guardrails:
    error_rate: {max_delta: 0.02}
    latency_p99_ms: {max_ratio: 1.5}
)";

}  // namespace graft::e2e
