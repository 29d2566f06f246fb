// A long-running child process (a service replica, a proxy under test): started in its own
// process group, so a stop reaches everything it started; killed by the kernel with SIGKILL
// when the thread that started it dies, even by SIGKILL (PR_SET_PDEATHSIG), so no child
// outlives graft; stopped gracefully (SIGTERM to the group, a grace period, then SIGKILL).
//
// run_process() in base/subprocess.h is for commands run to completion; this is for
// children that run until told to stop.
//
// Thread-safety: one Child is used by one thread at a time. The parent-death signal fires
// when the *thread* that called start() exits, so start children from a thread that lives
// as long as they should (the main thread, or a supervisor thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace graft::base {

struct ChildOptions {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH when it has no '/'
  // When set, the child's whole environment (otherwise it inherits ours).
  std::optional<std::map<std::string, std::string>> environment;
  std::filesystem::path working_directory;  // empty: ours
  // stdout and stderr are appended to this file (created 0644, parents must exist); empty:
  // both are inherited. stdin is /dev/null.
  std::filesystem::path log_path;
};

struct ChildExit {
  int exit_code = -1;  // the exit status, or 128 + signal number when killed
  int signal = 0;      // the signal that ended it, 0 when it exited
};

class Child {
 public:
  // Starts the child. Errors: kInvalidArgument (empty argv), kNotFound (argv[0] can not be
  // executed), kIo (the log file can not be opened, fork fails).
  [[nodiscard]] static Result<Child> start(const ChildOptions& options);

  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Kills the process group with SIGKILL and reaps the child when it still runs.
  ~Child();

  [[nodiscard]] pid_t pid() const { return pid_; }
  // The exit, once the child has ended (never blocks).
  [[nodiscard]] std::optional<ChildExit> poll();
  // Waits up to `timeout` for the child to end.
  [[nodiscard]] std::optional<ChildExit> wait_for(std::chrono::milliseconds timeout);
  // Sends `signal` to the child's process group (every process it started that did not
  // leave the group). No effect once the group is gone.
  void signal_group(int signal) const;
  // SIGTERM to the group, up to `grace` for the child to end, then SIGKILL to the group.
  // Returns how the child ended (also when it had ended before).
  ChildExit stop(std::chrono::milliseconds grace);

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  void reset();

  pid_t pid_ = -1;
  std::optional<ChildExit> exit_;
};

}  // namespace graft::base
