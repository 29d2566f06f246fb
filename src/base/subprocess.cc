#include "base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "base/fs.h"

extern char** environ;

namespace graft::base {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  int read = -1;
  int write = -1;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail(ErrorCode::kIo, "cannot create a pipe: " + errno_text(errno));
  return Pipe{fds[0], fds[1]};
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Sets up one child stream: capture into a pipe, inherit, or /dev/null.
Status plan_stream(posix_spawn_file_actions_t* actions, OutputMode mode, int target, Pipe* pipe) {
  if (mode == OutputMode::kInherit) return ok();
  if (mode == OutputMode::kDiscard) {
    posix_spawn_file_actions_addopen(actions, target, "/dev/null", O_WRONLY, 0);
    return ok();
  }
  GRAFT_ASSIGN_OR_RETURN(*pipe, make_pipe());
  posix_spawn_file_actions_adddup2(actions, pipe->write, target);
  return ok();
}

// Pumps stdin/stdout/stderr until the child closes its ends or the deadline passes.
void pump(Pipe& in, Pipe& out, Pipe& err, std::string_view input, ProcessResult* result,
          Clock::time_point deadline, bool has_deadline) {
  std::size_t written = 0;
  if (in.write >= 0 && input.empty()) close_fd(in.write);
  if (in.write >= 0) ::fcntl(in.write, F_SETFL, O_NONBLOCK);
  char buffer[65536];
  while (out.read >= 0 || err.read >= 0 || in.write >= 0) {
    pollfd fds[3];
    int count = 0;
    if (out.read >= 0) fds[count++] = {out.read, POLLIN, 0};
    if (err.read >= 0) fds[count++] = {err.read, POLLIN, 0};
    if (in.write >= 0) fds[count++] = {in.write, POLLOUT, 0};
    int wait_ms = -1;
    if (has_deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        result->timed_out = true;
        return;
      }
      wait_ms = static_cast<int>(left.count());
    }
    int ready = ::poll(fds, static_cast<nfds_t>(count), wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    for (int i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in.write) {
        ssize_t n = ::write(in.write, input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        if (n < 0 && errno != EAGAIN && errno != EINTR) written = input.size();
        if (written >= input.size()) close_fd(in.write);
        continue;
      }
      ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      int& fd = fds[i].fd == out.read ? out.read : err.read;
      std::string& sink = fds[i].fd == out.read ? result->stdout_text : result->stderr_text;
      if (n <= 0) {
        close_fd(fd);
      } else {
        sink.append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
}

int decode_status(int status, ProcessResult* result) {
  if (WIFSIGNALED(status)) {
    result->signal = WTERMSIG(status);
    return 128 + result->signal;
  }
  return WEXITSTATUS(status);
}

// Reaps the child. After a timeout it gets SIGTERM and 2 s to finish, its output still
// collected (a graceful shutdown message is not lost), then SIGKILL.
int wait_child(pid_t pid, Pipe& in, Pipe& out, Pipe& err, ProcessResult* result) {
  int status = 0;
  if (result->timed_out) {
    ::kill(pid, SIGTERM);
    auto grace = Clock::now() + std::chrono::seconds(2);
    pump(in, out, err, {}, result, grace, true);
    result->timed_out = true;
    while (Clock::now() < grace) {
      if (::waitpid(pid, &status, WNOHANG) == pid) return decode_status(status, result);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid, SIGKILL);
  }
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return decode_status(status, result);
}

}  // namespace

Result<ProcessResult> run_process(const ProcessOptions& options) {
  if (options.argv.empty()) return fail(ErrorCode::kInvalidArgument, "no command to run");
  // Writing a child's stdin after it exited must fail with EPIPE, not kill us.
  static const bool sigpipe_ignored = [] { return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)sigpipe_ignored;
  Pipe in, out, err;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  auto cleanup = [&] {
    posix_spawn_file_actions_destroy(&actions);
    for (int* fd : {&in.read, &in.write, &out.read, &out.write, &err.read, &err.write}) close_fd(*fd);
  };
  Status planned = plan_stream(&actions, options.stdout_mode, STDOUT_FILENO, &out);
  if (planned) planned = plan_stream(&actions, options.stderr_mode, STDERR_FILENO, &err);
  if (planned) {
    auto made = make_pipe();
    if (made) {
      in = *made;
      posix_spawn_file_actions_adddup2(&actions, in.read, STDIN_FILENO);
    } else {
      planned = fail(made.error());
    }
  }
  if (planned && !options.working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.working_directory.c_str());
  }
  if (!planned) {
    cleanup();
    return fail(planned.error());
  }
  std::vector<std::string> env_strings = environment_entries(options.environment);
  std::vector<char*> env_pointers;
  for (std::string& entry : env_strings) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  std::vector<std::string> argv_strings = options.argv;
  std::vector<char*> argv_pointers;
  for (std::string& arg : argv_strings) argv_pointers.push_back(arg.data());
  argv_pointers.push_back(nullptr);

  pid_t pid = 0;
  int spawned = ::posix_spawnp(&pid, argv_pointers[0], &actions, nullptr, argv_pointers.data(),
                               env_pointers.data());
  close_fd(in.read);
  close_fd(out.write);
  close_fd(err.write);
  if (spawned != 0) {
    cleanup();
    return fail(spawned == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                "cannot run '" + options.argv[0] + "': " + errno_text(spawned));
  }
  ProcessResult result;
  bool has_deadline = options.timeout.count() > 0;
  auto deadline = Clock::now() + options.timeout;
  if (!has_deadline) deadline = Clock::time_point::max();
  pump(in, out, err, options.stdin_data, &result, deadline, has_deadline);
  result.exit_code = wait_child(pid, in, out, err, &result);
  cleanup();
  return result;
}

std::vector<std::string> environment_entries(
    const std::optional<std::map<std::string, std::string>>& environment) {
  std::vector<std::string> strings;
  if (!environment) {
    for (char** entry = environ; *entry != nullptr; ++entry) strings.emplace_back(*entry);
    return strings;
  }
  for (const auto& [key, value] : *environment) strings.push_back(key + "=" + value);
  return strings;
}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return environment;
}

}  // namespace graft::base
