#include "base/subprocess.h"

#include <gtest/gtest.h>

#include "base/fs.h"

namespace graft::base {
namespace {

TEST(SubprocessTest, CapturesOutputAndExitCode) {
  auto result = run_process({.argv = {"sh", "-c", "echo out; echo err >&2; exit 3"}});
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->stdout_text, "out\n");
  EXPECT_EQ(result->stderr_text, "err\n");
  EXPECT_FALSE(result->timed_out);
}

TEST(SubprocessTest, FeedsStdinAndHonoursEnvironmentAndCwd) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir);
  auto result = run_process({.argv = {"sh", "-c", "cat; echo \"$GREETING\"; pwd"},
                             .environment = std::map<std::string, std::string>{
                                 {"GREETING", "hello"}, {"PATH", "/usr/bin:/bin"}},
                             .working_directory = dir->path(),
                             .stdin_data = "input\n"});
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->stdout_text, "input\nhello\n" + fs::canonical(dir->path()).string() + "\n");
}

TEST(SubprocessTest, LargeOutputDoesNotDeadlock) {
  auto result = run_process({.argv = {"sh", "-c", "head -c 3000000 /dev/zero; head -c 200000 /dev/zero >&2"}});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->stdout_text.size(), 3000000u);
  EXPECT_EQ(result->stderr_text.size(), 200000u);
}

TEST(SubprocessTest, TimeoutKillsTheChild) {
  auto result = run_process({.argv = {"sleep", "30"}, .timeout = std::chrono::milliseconds(200)});
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->signal, 15);
  EXPECT_EQ(result->exit_code, 128 + 15);
}

TEST(SubprocessTest, MissingProgramIsNotFound) {
  auto result = run_process({.argv = {"graft-no-such-program-xyz"}});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(result.error().message(),
            "cannot run 'graft-no-such-program-xyz': No such file or directory");
}

}  // namespace
}  // namespace graft::base
