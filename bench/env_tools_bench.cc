// The read-only environment tools on a 20,000-file environment, timed with the real binary
// (process start, reading conda-meta, the work, printing), interleaved, medians of 7 of wall
// and CPU time (user + system of the child):
//   graft env export -p A, graft list --explicit -p A   target <= 10 ms (micromamba 56 ms)
//   graft verify -p A, graft verify --fast -p A          against the floor
//       find A -type f -print0 | xargs -0 sha256sum >/dev/null  (hashing every file)
//   graft diff A B                                       B a clone of A
// A is made by env_fixture.h's make_environment: one package of 20,000 files + 50 user files.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/fs.h"
#include "env_fixture.h"

namespace fs = std::filesystem;
using namespace graft::bench;

namespace {

constexpr int kRuns = 7;

struct Command {
  std::string label;
  std::vector<std::string> argv;
  Timing timing;
};

// "<label>: wall X ms (cpu Y ms)" and, with a target or floor, how it compares.
void print(const Command& command, const Command* floor, double target_ms) {
  const double wall = median(command.timing.wall) * 1e3;
  const double cpu = median(command.timing.cpu) * 1e3;
  std::printf("%-28s wall %7.1f ms  cpu %7.1f ms", command.label.c_str(), wall, cpu);
  if (target_ms > 0) {
    std::printf("  %.2fx of the %.0f ms target", cpu / target_ms, target_ms);
  }
  if (floor != nullptr) {
    std::printf("  %.2fx the floor (cpu %.2fx)", wall / (median(floor->timing.wall) * 1e3),
                cpu / (median(floor->timing.cpu) * 1e3));
  }
  std::printf("\n");
}

}  // namespace

int main() {
  const fs::path graft = graft_binary();
  auto dir = graft::base::TempDir::create("graft-env-tools-bench-");
  if (!dir || !fs::exists(graft)) {
    std::fprintf(stderr, "need a temp dir and the graft binary at %s\n", graft.c_str());
    return 1;
  }
  if (!make_environment(dir->path(), graft)) return 1;
  const fs::path home = dir->path() / "home";
  const std::string a = (dir->path() / "envs/a").string();
  const std::string b = (dir->path() / "envs/b").string();
  if (!run({graft, "create", "--root-prefix", dir->path() / "root", "-p", b, "--clone", a, "-y"},
           home)) {
    return 1;
  }
  std::vector<Command> commands = {
      {"graft env export", {graft, "env", "export", "-p", a}, {}},
      {"graft list --explicit", {graft, "list", "--explicit", "-p", a}, {}},
      {"find | xargs sha256sum", {"sh", "-c", "find '" + a +
           "' -type f -print0 | xargs -0 sha256sum >/dev/null"}, {}},
      {"graft verify", {graft, "verify", "-p", a}, {}},
      {"graft verify --fast", {graft, "verify", "--fast", "-p", a}, {}},
      {"graft diff A B (clone)", {graft, "diff", a, b}, {}},
  };
  for (int i = 0; i < kRuns; ++i) {
    for (Command& command : commands) {
      command.timing.start();
      if (!run(command.argv, home)) return 1;
      command.timing.stop();
    }
  }
  std::printf("env tools, %d files + %d untracked, medians of %d:\n", kFiles, kUntracked, kRuns);
  print(commands[0], nullptr, 10);
  print(commands[1], nullptr, 10);
  print(commands[2], nullptr, 0);
  print(commands[3], &commands[2], 0);
  print(commands[4], &commands[2], 0);
  print(commands[5], nullptr, 0);
  return 0;
}
