#include "base/child.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "base/fs.h"

namespace graft::base {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Gone, or a zombie nobody has reaped yet (an orphan's new parent may be slow to reap).
bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close_paren = text.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < text.size() &&
         text[close_paren + 2] == 'Z';
}

bool gone_within(pid_t pid, milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!process_gone(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

// Waits until `path` holds a complete first line; returns it.
std::string first_line(const std::filesystem::path& path) {
  for (int i = 0; i < 500; ++i) {
    auto text = read_file(path);
    if (text && text->find('\n') != std::string::npos) return text->substr(0, text->find('\n'));
    std::this_thread::sleep_for(milliseconds(10));
  }
  return {};
}

class ChildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("graft-child-test-");
    ASSERT_TRUE(dir) << dir.error().message();
    dir_ = std::move(*dir);
  }
  std::filesystem::path log() const { return dir_.path() / "child.log"; }
  TempDir dir_ = TempDir::create("graft-child-test-").value();
};

TEST_F(ChildTest, AppendsOutputToTheLogAndReportsTheExitCode) {
  auto child =
      Child::start({.argv = {"sh", "-c", "echo out; echo err >&2; exit 3"}, .log_path = log()});
  ASSERT_TRUE(child) << child.error().message();
  auto exit = child->wait_for(seconds(10));
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_EQ(exit->signal, 0);
  EXPECT_EQ(read_file(log()).value_or(""), "out\nerr\n");
}

TEST_F(ChildTest, RunsInItsOwnProcessGroupWithTheGivenEnvironmentAndDirectory) {
  auto child =
      Child::start({.argv = {"sh", "-c", "echo \"$GREETING $(pwd)\""},
                    .environment = std::map<std::string, std::string>{{"GREETING", "hello"},
                                                                      {"PATH", "/usr/bin:/bin"}},
                    .working_directory = dir_.path(),
                    .log_path = log()});
  ASSERT_TRUE(child) << child.error().message();
  EXPECT_EQ(::getpgid(child->pid()), child->pid());
  ASSERT_TRUE(child->wait_for(seconds(10)));
  EXPECT_EQ(read_file(log()).value_or(""), "hello " + dir_.path().string() + "\n");
}

TEST_F(ChildTest, StopEndsTheWholeProcessGroupWithSigterm) {
  auto child = Child::start({.argv = {"sh", "-c", "sleep 30 & echo $!; wait"}, .log_path = log()});
  ASSERT_TRUE(child) << child.error().message();
  const pid_t grandchild = std::stoi(first_line(log()));
  EXPECT_FALSE(child->poll());
  ChildExit exit = child->stop(seconds(5));
  EXPECT_EQ(exit.signal, SIGTERM);
  EXPECT_EQ(exit.exit_code, 128 + SIGTERM);
  EXPECT_TRUE(gone_within(grandchild, seconds(5)));
}

TEST_F(ChildTest, StopKillsAfterTheGracePeriodWhenSigtermIsIgnored) {
  auto child =
      Child::start({.argv = {"sh", "-c", "trap '' TERM; echo ready; sleep 30"}, .log_path = log()});
  ASSERT_TRUE(child) << child.error().message();
  ASSERT_EQ(first_line(log()), "ready");
  auto started = std::chrono::steady_clock::now();
  ChildExit exit = child->stop(milliseconds(300));
  EXPECT_EQ(exit.signal, SIGKILL);
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(300));
}

TEST_F(ChildTest, AProgramThatCanNotBeRunIsNotFound) {
  auto missing = Child::start({.argv = {"graft-no-such-program"}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message(), "cannot run 'graft-no-such-program': not found on PATH");
  auto not_executable = Child::start({.argv = {(dir_.path() / "absent").string()}});
  ASSERT_FALSE(not_executable);
  EXPECT_EQ(not_executable.error().code(), ErrorCode::kNotFound);
}

TEST_F(ChildTest, TheDestructorKillsARunningChild) {
  pid_t pid = 0;
  {
    auto child = Child::start({.argv = {"sleep", "30"}});
    ASSERT_TRUE(child) << child.error().message();
    pid = child->pid();
  }
  EXPECT_TRUE(gone_within(pid, seconds(5)));
}

// The parent is killed with SIGKILL (no destructor runs): the kernel kills the child.
TEST_F(ChildTest, NoChildOutlivesItsParent) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t parent = ::fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    ::close(pipe_fds[0]);
    auto child = Child::start({.argv = {"sleep", "30"}});
    pid_t pid = child ? child->pid() : -1;
    ssize_t ignored = ::write(pipe_fds[1], &pid, sizeof pid);
    (void)ignored;
    ::pause();
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  pid_t grandchild = -1;
  ASSERT_EQ(::read(pipe_fds[0], &grandchild, sizeof grandchild),
            static_cast<ssize_t>(sizeof grandchild));
  ::close(pipe_fds[0]);
  ASSERT_GT(grandchild, 0);
  ::kill(parent, SIGKILL);
  int status = 0;
  ::waitpid(parent, &status, 0);
  EXPECT_TRUE(gone_within(grandchild, seconds(5)));
}

}  // namespace
}  // namespace graft::base
