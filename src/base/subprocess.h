// Runs a child process with argv (no shell), an optional environment and working
// directory, captured or inherited output, and an optional timeout.
// Thread-safety: run() may be called from several threads at once.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace graft::base {

enum class OutputMode { kCapture, kInherit, kDiscard };

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH when it has no '/'
  // When set, the child's whole environment (otherwise it inherits ours).
  std::optional<std::map<std::string, std::string>> environment;
  std::filesystem::path working_directory;  // empty: ours
  OutputMode stdout_mode = OutputMode::kCapture;
  OutputMode stderr_mode = OutputMode::kCapture;
  std::string stdin_data;  // written to the child's stdin, then closed
  std::chrono::milliseconds timeout{0};  // 0: none. On expiry: SIGTERM, 2 s, SIGKILL
};

struct ProcessResult {
  int exit_code = -1;      // the exit status, or 128 + signal number when killed
  int signal = 0;          // the signal that ended it, 0 when it exited
  bool timed_out = false;
  std::string stdout_text;
  std::string stderr_text;
};

// Starts the child and waits for it. Errors: kNotFound when argv[0] can not be executed,
// kIo when fork/pipe fail. A non-zero exit is not an error: inspect exit_code.
[[nodiscard]] Result<ProcessResult> run_process(const ProcessOptions& options);

// "KEY=value" strings for execve(): `environment` when set, else the current process's.
[[nodiscard]] std::vector<std::string> environment_entries(
    const std::optional<std::map<std::string, std::string>>& environment);

// The current process environment as a map.
[[nodiscard]] std::map<std::string, std::string> current_environment();

}  // namespace graft::base
