// Shared by the benchmarks that time the real `graft` binary on a big environment
// (clone_bench, env_tools_bench): where the binary is, running it, building the environment
// the way users build one, and timing children by wall and CPU time.
//
// Header-only (each benchmark is one executable); single-threaded use.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/subprocess.h"

namespace graft::bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline constexpr int kFiles = 20000;     // files of the one package
inline constexpr int kDirectories = 200;  // directories they are spread over
inline constexpr int kUntracked = 50;     // user files no package owns

// The graft binary of this build tree: <build>/src/graft beside <build>/bench/.
inline fs::path graft_binary() {
  std::error_code error;
  return fs::read_symlink("/proc/self/exe", error).parent_path().parent_path() / "src" / "graft";
}

// Runs `argv` with HOME=`home` and no CONDARC, its output captured and dropped. False (with
// the child's stderr printed) when it cannot start or exits with a status other than 0.
inline bool run(std::vector<std::string> argv, const fs::path& home) {
  auto environment = graft::base::current_environment();
  environment["HOME"] = home.string();
  environment.erase("CONDARC");
  auto result = graft::base::run_process({.argv = std::move(argv), .environment = environment});
  if (!result || result->exit_code != 0) {
    std::fprintf(stderr, "failed: %s\n",
                 result ? result->stderr_text.c_str() : result.error().message().c_str());
    return false;
  }
  return true;
}

// Environment <dir>/envs/a made as users make one: `graft pack` of a kFiles-file package
// into a local channel, `graft index`, `graft create`, then kUntracked user files. HOME is
// <dir>/home, the root prefix <dir>/root.
inline bool make_environment(const fs::path& dir, const fs::path& graft) {
  const fs::path source = dir / "big-src";
  for (int i = 0; i < kFiles; ++i) {
    const fs::path file = source / "lib" / ("d" + std::to_string(i % kDirectories)) /
                          ("f" + std::to_string(i) + ".py");
    if (i < kDirectories) fs::create_directories(file.parent_path());
    std::ofstream(file) << "x = " << i << "\n";
  }
  const fs::path channel = dir / "channel";
  const fs::path home = dir / "home";
  if (!run({graft, "pack", source, "--name", "big", "--version", "1.0", "--noarch", "generic",
            "--output-dir", channel / "noarch"}, home) ||
      !run({graft, "index", channel}, home) ||
      !run({graft, "create", "--root-prefix", dir / "root", "-p", dir / "envs/a", "-c",
            "file://" + channel.string(), "big", "-y"}, home)) {
    return false;
  }
  for (int i = 0; i < kUntracked; ++i) {
    std::ofstream(dir / "envs/a" / ("user-" + std::to_string(i) + ".txt")) << "mine " << i << "\n";
  }
  return true;
}

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// User + system seconds of the children waited for so far (getrusage; other load on the
// machine disturbs it less than wall time).
inline double children_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Wall and CPU seconds of measured commands: start() before one, stop() after it.
struct Timing {
  std::vector<double> wall, cpu;  // seconds, one per measured run

  void start() {
    started_wall_ = Clock::now();
    started_cpu_ = children_cpu_seconds();
  }
  void stop() {
    wall.push_back(std::chrono::duration<double>(Clock::now() - started_wall_).count());
    cpu.push_back(children_cpu_seconds() - started_cpu_);
  }

 private:
  Clock::time_point started_wall_;
  double started_cpu_ = 0;
};

}  // namespace graft::bench
