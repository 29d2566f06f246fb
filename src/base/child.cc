#include "base/child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <thread>

#include "base/fs.h"
#include "base/strings.h"
#include "base/subprocess.h"

namespace graft::base {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string single_quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// argv[0] as execve() wants it: kept when it names a path, else the first executable of
// that name on `path_variable` (looked up before fork: the child may not allocate).
std::string resolve_program(const std::string& program, const std::string& path_variable) {
  if (program.find('/') != std::string::npos) return program;
  for (std::string_view directory : split(path_variable, ':')) {
    std::string candidate =
        (directory.empty() ? std::string(".") : std::string(directory)) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

std::string path_variable(const ChildOptions& options) {
  if (options.environment) {
    auto found = options.environment->find("PATH");
    return found == options.environment->end() ? std::string() : found->second;
  }
  const char* path = std::getenv("PATH");
  return path == nullptr ? std::string("/usr/local/bin:/usr/bin:/bin") : std::string(path);
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (std::string& entry : strings) result.push_back(entry.data());
  result.push_back(nullptr);
  return result;
}

ChildExit decode(int status) {
  if (WIFSIGNALED(status)) return {.exit_code = 128 + WTERMSIG(status), .signal = WTERMSIG(status)};
  return {.exit_code = WEXITSTATUS(status), .signal = 0};
}

// In the forked child: only async-signal-safe calls until execve. Reports errno through
// `report` (close-on-exec) when something fails.
[[noreturn]] void become_child(const char* program, char* const* argv, char* const* envp,
                               const char* directory, int log_fd, pid_t parent, int report) {
  auto die = [report](int error) {
    ssize_t ignored = ::write(report, &error, sizeof error);
    (void)ignored;
    ::_exit(127);
  };
  if (::setpgid(0, 0) != 0) die(errno);
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die(errno);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0) die(errno);
  if (log_fd >= 0 && (::dup2(log_fd, STDOUT_FILENO) < 0 || ::dup2(log_fd, STDERR_FILENO) < 0)) {
    die(errno);
  }
  if (directory != nullptr && ::chdir(directory) != 0) die(errno);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::execve(program, argv, envp);
  die(errno);
  ::_exit(127);
}

}  // namespace

Result<Child> Child::start(const ChildOptions& options) {
  if (options.argv.empty()) return fail(ErrorCode::kInvalidArgument, "no command to run");
  const std::string program = resolve_program(options.argv[0], path_variable(options));
  if (program.empty()) {
    return fail(ErrorCode::kNotFound,
                "cannot run " + single_quoted(options.argv[0]) + ": not found on PATH");
  }
  int log_fd = -1;
  if (!options.log_path.empty()) {
    log_fd = ::open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      return fail(ErrorCode::kIo, "cannot open " + single_quoted(options.log_path.string()) + ": " +
                                      errno_text(errno));
    }
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    if (log_fd >= 0) ::close(log_fd);
    return fail(ErrorCode::kIo, "cannot create a pipe: " + errno_text(errno));
  }
  std::vector<std::string> argv_strings = options.argv;
  std::vector<std::string> env_strings = environment_entries(options.environment);
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<char*> envp = pointers(env_strings);
  const std::string directory = options.working_directory.string();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    become_child(program.c_str(), argv.data(), envp.data(),
                 directory.empty() ? nullptr : directory.c_str(), log_fd, parent, report[1]);
  }
  const int fork_error = errno;
  ::close(report[1]);
  if (log_fd >= 0) ::close(log_fd);
  if (pid < 0) {
    ::close(report[0]);
    return fail(ErrorCode::kIo,
                "cannot start " + single_quoted(options.argv[0]) + ": " + errno_text(fork_error));
  }
  // Also the parent sets the group, so a signal sent right after start() reaches it.
  ::setpgid(pid, pid);
  int child_error = 0;
  ssize_t got;
  do {
    got = ::read(report[0], &child_error, sizeof child_error);
  } while (got < 0 && errno == EINTR);
  ::close(report[0]);
  Child child(pid);
  if (got == static_cast<ssize_t>(sizeof child_error)) {
    (void)child.wait_for(std::chrono::seconds(5));
    return fail(child_error == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                "cannot run " + single_quoted(options.argv[0]) + ": " + errno_text(child_error));
  }
  return child;
}

Child::Child(Child&& other) noexcept : pid_(other.pid_), exit_(other.exit_) {
  other.pid_ = -1;
}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    reset();
    pid_ = other.pid_;
    exit_ = other.exit_;
    other.pid_ = -1;
  }
  return *this;
}

Child::~Child() {
  reset();
}

void Child::reset() {
  if (pid_ > 0) (void)stop(std::chrono::milliseconds(0));
  pid_ = -1;
}

std::optional<ChildExit> Child::poll() {
  if (exit_ || pid_ <= 0) return exit_;
  int status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(pid_, &status, WNOHANG);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == pid_) exit_ = decode(status);
  if (reaped < 0) exit_ = ChildExit{};  // not our child any more (reaped elsewhere)
  return exit_;
}

std::optional<ChildExit> Child::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  auto pause = std::chrono::microseconds(200);
  while (!poll()) {
    if (SteadyClock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
  }
  return exit_;
}

void Child::signal_group(int signal) const {
  if (pid_ > 0) ::kill(-pid_, signal);
}

ChildExit Child::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return exit_.value_or(ChildExit{});
  if (!poll() && grace.count() > 0) {
    signal_group(SIGTERM);
    (void)wait_for(grace);
  }
  // The leader may be gone while others of its group still run: the group always gets it.
  signal_group(SIGKILL);
  if (!exit_) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_ = decode(status);
  }
  return *exit_;
}

}  // namespace graft::base
