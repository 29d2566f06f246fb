// The command line itself: version, help, unknown commands.
#include <gtest/gtest.h>

#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

TEST(CliTest, VersionPrintsTheProjectVersion) {
  e2e::Run run = graft({"--version"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.rfind("graft ", 0), 0u) << run.out;
}

TEST(CliTest, UnknownCommandSuggestsTheClosestOne) {
  e2e::Run run = graft({"indx", "somewhere"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err,
            "graft: error: unknown command 'indx', did you mean 'index'?\n"
            "hint: run 'graft --help' to see the commands\n");
  EXPECT_EQ(run.out, "");
}

TEST(CliTest, UnknownCommandWithoutCloseMatch) {
  e2e::Run run = graft({"frobnicate"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err.rfind("graft: error: unknown command 'frobnicate'\n", 0), 0u) << run.err;
}

TEST(CliTest, NoCommandPrintsUsage) {
  e2e::Run run = graft({});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE((run.out + run.err).find("index"), std::string::npos) << run.out << run.err;
}

// Every parse error, of every verb: "graft: error: ...", a hint naming the verb's help, and
// exit 2 (CLI11's own codes were 104 to 114, with its own wording).
TEST(CliTest, ParseErrorsOfEveryVerbExitTwoWithGraftsWording) {
  const struct {
    std::vector<std::string> args;
    std::string error;  // the first line of stderr
    std::string hint;
  } cases[] = {
      {{"proxy", "-c", "route.yml", "--thredas", "2"},
       "graft: error: unknown option '--thredas' for 'graft proxy', did you mean '--threads'?",
       "hint: see 'graft proxy --help'"},
      {{"create", "-n", "x", "--dryrun"},
       "graft: error: unknown option '--dryrun' for 'graft create', did you mean '--dry-run'?",
       "hint: see 'graft create --help'"},
      {{"env", "export", "--no-build"},
       "graft: error: unknown option '--no-build' for 'graft env export', did you mean "
       "'--no-builds'?",
       "hint: see 'graft env export --help'"},
      {{"list", "--bogus"},
       "graft: error: unknown option '--bogus' for 'graft list'",
       "hint: see 'graft list --help'"},
      {{"-q", "list", "-x"},
       "graft: error: unknown option '-x' for 'graft list'",
       "hint: see 'graft list --help'"},
      {{"env", "list", "a", "b"},
       "graft: error: unexpected argument 'a' for 'graft env list'",
       "hint: see 'graft env list --help'"},
      {{"index"}, "graft: error: 'CHANNEL_DIR' is required", "hint: see 'graft index --help'"},
      {{"proxy", "-c"}, "graft: error: '--config' needs a value", "hint: see 'graft proxy --help'"},
      {{"route", "status", "--json", "--admin"},
       "graft: error: '--admin' needs a value",
       "hint: see 'graft route status --help'"},
      {{"env"}, "graft: error: 'graft env' needs a command", "hint: see 'graft env --help'"},
      {{"pack", "d", "--name", "x", "--version", "1", "--format", "zip"},
       "graft: error: --format must be one of conda, tar.bz2, got 'zip'",
       "hint: see 'graft pack --help'"},
      {{"proxy", "-c", "r.yml", "--cpu-affinity", "all"},
       "graft: error: --cpu-affinity must be one of auto, none, got 'all'",
       "hint: see 'graft proxy --help'"},
  };
  for (const auto& c : cases) {
    e2e::Run run = graft(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.args[0] << ": " << run.err;
    EXPECT_EQ(run.err, c.error + "\n" + c.hint + "\n") << c.args[0];
    EXPECT_EQ(run.out, "") << c.args[0];
  }
}

TEST(CliTest, HelpAndVersionStillExitZero) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"create", "--help"}, {"env", "list", "-h"}}) {
    e2e::Run run = graft(args);
    EXPECT_EQ(run.exit_code, 0) << args[0] << run.err;
    EXPECT_NE(run.out.find("Usage:"), std::string::npos) << run.out;
  }
}

// Numbers out of range never reach the program as a wrapped-around count or a negative
// duration: the parse fails, naming the flag and the range.
TEST(CliTest, NumbersOutOfRangeNameTheFlagAndTheRange) {
  const struct {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{"proxy", "-c", "r.yml", "--threads", "-1"},
       "--threads must be a whole number from 1 to 256, got '-1'"},
      {{"proxy", "-c", "r.yml", "--threads", "100000"},
       "--threads must be a whole number from 1 to 256, got '100000'"},
      {{"proxy", "-c", "r.yml", "--grace", "1e99"},
       "--grace must be a number from 0 to 86400, got '1e99'"},
      {{"proxy", "-c", "r.yml", "--grace", "nan"},
       "--grace must be a number from 0 to 86400, got 'nan'"},
      {{"proxy", "-c", "r.yml", "--grace", "-inf"},
       "--grace must be a number from 0 to 86400, got '-inf'"},
      {{"index", "ch", "--threads", "0"},
       "--threads must be a whole number from 1 to 256, got '0'"},
      {{"pack", "d", "--name", "x", "--version", "1", "--build-number", "-2"},
       "--build-number must be a whole number from 0 to 2147483647, got '-2'"},
      {{"pack", "d", "--name", "x", "--version", "1", "--compression-level", "99"},
       "--compression-level must be a whole number from 1 to 22, got '99'"},
      {{"install", "-n", "x", "--revision", "-1"},
       "--revision must be a whole number from 0 to 2147483647, got '-1'"},
  };
  for (const auto& c : cases) {
    e2e::Run run = graft(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.args[0] << ": " << run.err;
    EXPECT_EQ(run.err.substr(0, run.err.find('\n')), "graft: error: " + c.error);
  }
}

}  // namespace
}  // namespace graft::e2e
