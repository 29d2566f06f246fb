// Careless input through the real binary: condarc values of the wrong type, huge names and
// specs, paths that JSON must escape, and exceptions no verb expected. Each gets a clear
// "graft: error:" line, quickly, and never a crash or invalid JSON.
#include <chrono>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Far above what a refused input costs (well under a second), far below what a huge input
// cost before it was bounded (57 s for a 50 MB name).
constexpr auto kFast = std::chrono::seconds(20);

class InputTest : public ChannelTest {
 protected:
  void SetUp() override {
    ChannelTest::SetUp();
    add_noarch_package(channel_, "tool", "1.0", {{"share/tool/a.txt", "a\n"}});
  }

  // `graft words...` with this test's HOME (and, unless `plain`, as verb() runs them), with
  // how long the run took.
  e2e::Run timed(const std::vector<std::string>& words, Clock::duration& took,
                 bool plain = false) const {
    const auto start = Clock::now();
    e2e::Run run = plain ? graft(words, dir_, {"HOME=" + home_.string()}) : verb(words);
    took = Clock::now() - start;
    return run;
  }

  // `graft words...` succeeds for each of `commands`, printing JSON that parses; the last
  // output parsed.
  nlohmann::json expect_json(const std::vector<std::vector<std::string>>& commands) const {
    nlohmann::json parsed;
    for (const std::vector<std::string>& words : commands) {
      e2e::Run run = graft(words, dir_, {"HOME=" + home_.string()});
      EXPECT_EQ(run.exit_code, 0) << words[0] << ": " << run.err;
      parsed = nlohmann::json::parse(run.out, nullptr, false);
      EXPECT_FALSE(parsed.is_discarded()) << words[0] << ": " << run.out;
    }
    return parsed;
  }
};

TEST_F(InputTest, CondarcValuesOfTheWrongTypeNameFileLineAndKey) {
  const fs::path rc = home_ / ".condarc";
  const struct {
    std::string text;
    std::string error;
  } cases[] = {
      {"channels: 5\n", ":1: 'channels' must be a list of strings, got a number"},
      {"channels: []\npkgs_dirs: 7\n", ":2: 'pkgs_dirs' must be a list of strings, got a number"},
      {"always_copy: maybe\n", ":1: 'always_copy' must be true or false, got maybe"},
      {"channel_alias: \"\"\n",
       ":1: 'channel_alias' must be a URL such as https://conda.anaconda.org, got ''"},
  };
  for (const auto& c : cases) {
    write(rc, c.text);
    e2e::Run run = verb({"create", "-n", "x", "tool"});
    EXPECT_EQ(run.exit_code, 2) << c.text << run.err;
    EXPECT_EQ(run.err.substr(0, run.err.find('\n')), "graft: error: " + rc.string() + c.error);
    EXPECT_FALSE(fs::exists(root_ / "envs/x")) << c.text;
  }
}

TEST_F(InputTest, AHugeDependencyInEnvironmentYmlFailsFastWithAShortMessage) {
  write(dir_ / "environment.yml",
        "name: x\ndependencies:\n  - " + std::string(10'000'000, 'n') + "\n");
  Clock::duration took{};
  e2e::Run run = timed({"env", "create", "--root-prefix", root_.string(), "-f",
                        (dir_ / "environment.yml").string(), "-y"},
                       took, /*plain=*/true);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_LT(took, kFast);
  EXPECT_LT(run.err.size(), 1000u) << run.err.substr(0, 1000);
  EXPECT_EQ(run.err.substr(0, run.err.find('\n')),
            "graft: error: " + (dir_ / "environment.yml").string() +
                ":3: the line is 10000004 bytes long, the limit is 65536");
}

TEST_F(InputTest, AHugeSpecInAFileOrOnTheCommandLineFailsFastWithAShortMessage) {
  write(dir_ / "specs.txt", "tool\n" + std::string(50'000'000, 's') + "\n");
  Clock::duration took{};
  e2e::Run run = timed({"create", "-n", "x", "--file", (dir_ / "specs.txt").string()}, took);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_LT(took, kFast);
  EXPECT_LT(run.err.size(), 1000u) << run.err.substr(0, 1000);
  EXPECT_NE(run.err.find("it is 50000000 bytes long, the limit is 4096"), std::string::npos)
      << run.err;

  // An argument is at most 128 KiB (the kernel's limit), still 30 times the limit.
  run = timed({"create", "-n", "x", std::string(100'000, 'c')}, took);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_LT(run.err.size(), 1000u) << run.err.substr(0, 1000);
  EXPECT_NE(run.err.find("it is 100000 bytes long, the limit is 4096"), std::string::npos)
      << run.err;
  run = graft({std::string(100'000, 'v')});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_LT(run.err.size(), 1000u) << run.err.substr(0, 1000);
}

TEST_F(InputTest, AHugeDependencyInRepodataFailsFastWithAShortMessage) {
  const fs::path repodata = channel_ / "noarch/repodata.json";
  auto json = nlohmann::json::parse(read(repodata));
  for (auto& [file, record] : json["packages.conda"].items()) {
    record["depends"] = {std::string(50'000'000, 'd')};
  }
  write(repodata, json.dump());
  Clock::duration took{};
  e2e::Run run = timed({"create", "-n", "x", "tool"}, took);
  EXPECT_NE(run.exit_code, 0);
  EXPECT_LT(took, kFast);
  EXPECT_LT(run.err.size(), 2000u) << run.err.substr(0, 2000);
  EXPECT_FALSE(fs::exists(root_ / "envs/x"));
}

// Paths holding '"' and '\' come out of every JSON output as valid JSON with the path intact.
TEST_F(InputTest, JsonOutputsEscapePaths) {
  const fs::path prefix = dir_ / "we\"ird\\env";
  e2e::Run create = verb({"create", "-p", prefix.string(), "tool", "--json"});
  ASSERT_EQ(create.exit_code, 0) << create.err;
  nlohmann::json created = nlohmann::json::parse(create.out, nullptr, false);
  ASSERT_FALSE(created.is_discarded()) << create.out;
  EXPECT_EQ(created["prefix"], prefix.string());
  EXPECT_EQ(created["success"], true);

  const nlohmann::json listed =
      expect_json({{"env", "list", "--json", "--root-prefix", root_.string()}});
  EXPECT_NE(std::find(listed["envs"].begin(), listed["envs"].end(), prefix.string()),
            listed["envs"].end())
      << listed.dump();

  expect_json({{"list", "-p", prefix.string(), "--json"},
               {"verify", "-p", prefix.string(), "--json"},
               {"env", "export", "-p", prefix.string(), "--json"},
               {"info", "--json"},
               {"search", "tool", "--json", "-c", channel_.string()},
               {"env", "remove", "-p", prefix.string(), "--dry-run", "--json", "-y"}});
}

// A path is bytes: one that is not UTF-8 comes out as U+FFFD, never as invalid JSON or a
// json library exception.
TEST_F(InputTest, JsonOutputsSurvivePathsThatAreNotUtf8) {
  const fs::path prefix = dir_ / "caf\xe9";
  e2e::Run create = verb({"create", "-p", prefix.string(), "tool", "--json"});
  ASSERT_EQ(create.exit_code, 0) << create.err;
  nlohmann::json created = nlohmann::json::parse(create.out, nullptr, false);
  ASSERT_FALSE(created.is_discarded()) << create.out;
  EXPECT_EQ(created["prefix"], (dir_ / "caf\xef\xbf\xbd").string());
  expect_json({{"env", "list", "--json", "--root-prefix", root_.string()},
               {"verify", "-p", prefix.string(), "--json"},
               {"env", "export", "-p", prefix.string(), "--json"}});
}

// An exception no code path expected (std::filesystem throwing for a working directory
// that is gone) ends as "graft: error:" and exit 1, not an abort.
TEST_F(InputTest, AnUnexpectedExceptionIsAnErrorNotACrash) {
  const fs::path gone = dir_ / "gone";
  fs::create_directories(gone);
  write(dir_ / "specs.txt", "tool\n");
  // sh enters the directory, removes it, and execs graft with the rest of its arguments.
  base::ProcessOptions options;
  options.argv = {"/bin/sh", "-c", "cd \"$0\" && rmdir \"$0\" && exec \"$@\"", gone.string(),
                  GRAFT_BINARY};
  for (const std::string& word :
       args({"create", "-n", "x", "--file", (dir_ / "specs.txt").string()})) {
    options.argv.push_back(word);
  }
  auto environment = base::current_environment();
  environment["HOME"] = home_.string();
  options.environment = environment;
  options.timeout = std::chrono::minutes(1);
  auto ran = base::run_process(options);
  ASSERT_TRUE(ran) << ran.error().message();
  EXPECT_EQ(ran->exit_code, 1) << ran->stderr_text;  // was 134: SIGABRT
  EXPECT_EQ(ran->stderr_text,
            "graft: error: filesystem error: cannot get current path: No such file or directory\n");
}

}  // namespace
}  // namespace graft::e2e
