// Protecting environments end to end: `env freeze` / `env unfreeze` (CEP 22
// conda-meta/frozen) and every command that must refuse a frozen environment, and
// `env config vars set|list|unset` in conda's conda-meta/state format, applied by `run`.
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ProtectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir();
    root_ = dir_ / "root";
    channel_ = dir_ / "channel";
    add_noarch_package(channel_, "lib", "1.0", {{"share/lib/v", "1"}});
    add_noarch_package(channel_, "lib", "2.0", {{"share/lib/v", "2"}});
    add_noarch_package(channel_, "extra", "1.0", {{"share/extra", "x"}});
    ASSERT_EQ(run({"create", "-n", "base-line", "lib=1.0", "-y"}, true).exit_code, 0);
    prefix_ = root_ / "envs/base-line";
  }

  // graft ARGS with --root-prefix (and the channel for solving verbs).
  e2e::Run run(std::vector<std::string> args, bool channel = false) {
    const std::size_t verb_words = args[0] == "env" ? (args[1] == "config" ? 4 : 2) : 1;
    args.insert(args.begin() + verb_words, {"--root-prefix", root_.string()});
    if (channel) args.insert(args.end(), {"-c", channel_.string(), "--override-channels"});
    return graft(args, dir_);
  }

  // Every conda-meta file's bytes, to prove a refusal wrote nothing.
  std::map<std::string, std::string> conda_meta() {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(prefix_ / "conda-meta")) {
      files[entry.path().filename().string()] = read(entry.path());
    }
    return files;
  }

  fs::path dir_, root_, channel_, prefix_;
};

TEST_F(ProtectTest, AFrozenEnvironmentRefusesEveryChangeAndLeavesCondaMetaAlone) {
  e2e::Run frozen = run({"env", "freeze", "-n", "base-line", "--message", "baseline of exp-7"});
  ASSERT_EQ(frozen.exit_code, 0) << frozen.err;
  EXPECT_THAT(frozen.out, HasSubstr("froze environment 'base-line'"));
  EXPECT_EQ(read(prefix_ / "conda-meta/frozen"), "{\"message\":\"baseline of exp-7\"}\n");
  const auto before = conda_meta();
  const std::vector<std::pair<std::vector<std::string>, bool>> commands = {
      {{"install", "-n", "base-line", "extra", "-y"}, true},
      {{"update", "-n", "base-line", "lib", "-y"}, true},
      {{"remove", "-n", "base-line", "lib", "-y"}, false},
      {{"env", "config", "vars", "set", "-n", "base-line", "K=V"}, false},
      {{"env", "config", "vars", "unset", "-n", "base-line", "K"}, false},
      {{"env", "remove", "-n", "base-line", "-y"}, false}};
  for (const auto& [command, channel] : commands) {
    e2e::Run refused = run(command, channel);
    const std::string name = command[0] + " " + command[1] + " " + command[2];
    EXPECT_EQ(refused.exit_code, 1) << name << "\n" << refused.out << refused.err;
    EXPECT_THAT(refused.err, HasSubstr("graft: error: environment '" + prefix_.string() +
                                       "' is frozen: baseline of exp-7\n"))
        << name;
    EXPECT_THAT(refused.err, HasSubstr("--override-frozen")) << name;
    EXPECT_EQ(conda_meta(), before) << name;
    if (command[0] == "env" && command[1] == "config") {
      // Kept on purpose (issue 13 item 15): conda 26 sets variables of a frozen environment.
      EXPECT_THAT(refused.err,
                  HasSubstr("\nhint: graft refuses to change the variables of a frozen "
                            "environment (CEP 22; conda allows it): pass --override-frozen to "
                            "change them anyway, or run 'graft env unfreeze' first\n"))
          << name;
    }
  }
  EXPECT_EQ(read(prefix_ / "share/lib/v"), "1");
}

TEST_F(ProtectTest, OverrideFrozenChangesItAndUnfreezeLiftsTheMark) {
  ASSERT_EQ(run({"env", "freeze", "-p", prefix_.string()}).exit_code, 0);
  e2e::Run set =
      run({"env", "config", "vars", "set", "-n", "base-line", "SEED=7", "--override-frozen"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(read(prefix_ / "conda-meta/state"), R"({
  "env_vars": {
    "SEED": "7"
  }
})");
  e2e::Run installed =
      run({"install", "-n", "base-line", "extra", "-y", "--override-frozen"}, true);
  ASSERT_EQ(installed.exit_code, 0) << installed.err;
  EXPECT_EQ(read(prefix_ / "share/extra"), "x");
  EXPECT_TRUE(fs::exists(prefix_ / "conda-meta/frozen")) << "an override does not unfreeze";

  e2e::Run unfrozen = run({"env", "unfreeze", "-n", "base-line"});
  ASSERT_EQ(unfrozen.exit_code, 0) << unfrozen.err;
  EXPECT_EQ(unfrozen.out, "unfroze environment 'base-line': it can be changed again\n");
  EXPECT_FALSE(fs::exists(prefix_ / "conda-meta/frozen"));
  EXPECT_EQ(run({"update", "-n", "base-line", "lib", "-y"}, true).exit_code, 0);
  EXPECT_EQ(read(prefix_ / "share/lib/v"), "2");
  EXPECT_EQ(run({"env", "unfreeze", "-n", "base-line"}).out,
            "environment 'base-line' was not frozen\n");
}

TEST_F(ProtectTest, FreezingAnUnknownEnvironmentIsAnError) {
  e2e::Run missing = run({"env", "freeze", "-n", "base-lin"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("environment 'base-lin' does not exist"));
  EXPECT_FALSE(fs::exists(root_ / "envs/base-lin"));
}

TEST_F(ProtectTest, EnvConfigVarsWriteCondasStateAndRunAppliesThem) {
  e2e::Run set = run({"env", "config", "vars", "set", "-n", "base-line", "MODEL=bert", "LR=0.1",
                      "URL=http://x/?a=b"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  if (!conformance_dir().empty()) {
    EXPECT_EQ(set.out, oracle_output("s1_vars_set", dir_));  // conda prints nothing
  }
  EXPECT_EQ(set.out, "");
  EXPECT_EQ(read(prefix_ / "conda-meta/state"),
            R"({
  "env_vars": {
    "MODEL": "bert",
    "LR": "0.1",
    "URL": "http://x/?a=b"
  }
})");
  EXPECT_EQ(run({"env", "config", "vars", "list", "-n", "base-line"}).out,
            "MODEL = bert\nLR = 0.1\nURL = http://x/?a=b\n");

  e2e::Run unset = run({"env", "config", "vars", "unset", "-n", "base-line", "LR", "NOPE"});
  ASSERT_EQ(unset.exit_code, 0) << unset.err;
  EXPECT_EQ(unset.err,
            "graft: warning: variable 'NOPE' is not set in '" + prefix_.string() + "'\n");
  EXPECT_EQ(read(prefix_ / "conda-meta/state"),
            R"({
  "env_vars": {
    "MODEL": "bert",
    "LR": "***unset***",
    "URL": "http://x/?a=b"
  }
})");
  EXPECT_EQ(run({"env", "config", "vars", "list", "-n", "base-line", "--json"}).out,
            "{\n  \"MODEL\": \"bert\",\n  \"URL\": \"http://x/?a=b\"\n}\n");
  e2e::Run ran = run({"run", "-n", "base-line", "--", "sh", "-c", "echo $MODEL ${LR-none}"});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "bert none\n");
}

TEST_F(ProtectTest, BadAssignmentsChangeNothing) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"K", "'K' is not a valid variable assignment: expected KEY=VALUE"},
      {"=V", "'=V' is not a valid variable assignment: the name is empty"}};
  for (const auto& [word, message] : cases) {
    e2e::Run bad = run({"env", "config", "vars", "set", "-n", "base-line", "OK=1", word});
    EXPECT_EQ(bad.exit_code, 2) << word;
    EXPECT_THAT(bad.err, HasSubstr("graft: error: " + message + "\n"));
  }
  EXPECT_FALSE(fs::exists(prefix_ / "conda-meta/state"));
}

}  // namespace
}  // namespace graft::e2e
