// Clone of a 20,000-file environment: `graft create -p B --clone A -y` (the real binary:
// read A's records, find its untracked files, link every file from the package cache into
// a staging prefix, copy the untracked files, write conda-meta, rename into place) against
// the floor, `cp -al A C` of the same environment. Runs are interleaved; prints the medians
// of wall time and of CPU time (user + system of the child, from getrusage, which other
// load on the machine disturbs less) and their ratios (target <= 1.5x).
//
// A is made the way users make one: `graft pack` of a 20,000-file package into a local
// channel, `graft index`, `graft create`, then 50 untracked user files.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "base/fs.h"
#include "base/subprocess.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kFiles = 20000;
constexpr int kDirectories = 200;
constexpr int kUntracked = 50;
constexpr int kRuns = 7;

// The graft binary of this build tree: <build>/src/graft beside <build>/bench/.
fs::path graft_binary() {
  std::error_code error;
  return fs::read_symlink("/proc/self/exe", error).parent_path().parent_path() / "src" / "graft";
}

bool run(std::vector<std::string> argv, const fs::path& home) {
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

// Environment <dir>/envs/a: one package of kFiles files plus kUntracked user files.
bool make_environment(const fs::path& dir, const fs::path& graft) {
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

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Wall and CPU seconds of one measured command.
struct Timing {
  Clock::time_point wall;
  double cpu = 0;
};

double children_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

Timing start_timing() { return {Clock::now(), children_cpu_seconds()}; }

void stop_timing(const Timing& start, std::vector<double>& wall, std::vector<double>& cpu) {
  wall.push_back(std::chrono::duration<double>(Clock::now() - start.wall).count());
  cpu.push_back(children_cpu_seconds() - start.cpu);
}

}  // namespace

int main() {
  const fs::path graft = graft_binary();
  auto dir = graft::base::TempDir::create("graft-clone-bench-");
  if (!dir || !fs::exists(graft)) {
    std::fprintf(stderr, "need a temp dir and the graft binary at %s\n", graft.c_str());
    return 1;
  }
  if (!make_environment(dir->path(), graft)) return 1;
  const fs::path a = dir->path() / "envs/a";
  const fs::path home = dir->path() / "home";
  std::vector<double> floor_wall, floor_cpu, graft_wall, graft_cpu;
  for (int i = 0; i < kRuns; ++i) {
    const fs::path copy = dir->path() / "envs/cp";
    const fs::path clone = dir->path() / "envs/b";
    Timing start = start_timing();
    if (!run({"cp", "-al", a, copy}, home)) return 1;
    stop_timing(start, floor_wall, floor_cpu);
    start = start_timing();
    if (!run({graft, "create", "--root-prefix", dir->path() / "root", "-p", clone, "--clone", a,
              "-y"}, home)) {
      return 1;
    }
    stop_timing(start, graft_wall, graft_cpu);
    if (!graft::base::remove_tree(copy) || !graft::base::remove_tree(clone)) return 1;
  }
  for (const auto& [what, floor, ours] :
       {std::tuple{"wall", median(floor_wall), median(graft_wall)},
        std::tuple{"cpu ", median(floor_cpu), median(graft_cpu)}}) {
    std::printf("clone, %d files + %d untracked, %s: cp -al %.1f ms, graft create --clone "
                "%.1f ms, ratio %.2fx (target <= 1.5x)\n",
                kFiles, kUntracked, what, floor * 1e3, ours * 1e3, ours / floor);
  }
  return 0;
}
