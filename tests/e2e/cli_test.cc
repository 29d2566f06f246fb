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

}  // namespace
}  // namespace graft::e2e
