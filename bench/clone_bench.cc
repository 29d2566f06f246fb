// Clone of a 20,000-file environment: `graft create -p B --clone A -y` (the real binary:
// read A's records, find its untracked files, link every file from the package cache into
// a staging prefix, copy the untracked files, write conda-meta, rename into place) against
// the floor, `cp -al A C` of the same environment. Runs are interleaved; prints the medians
// of wall time and of CPU time (user + system of the child, from getrusage, which other
// load on the machine disturbs less) and their ratios (target <= 1.5x).
//
// A is made the way users make one: `graft pack` of a 20,000-file package into a local
// channel, `graft index`, `graft create`, then 50 untracked user files.
#include <cstdio>
#include <filesystem>
#include <tuple>

#include "base/fs.h"
#include "env_fixture.h"

namespace fs = std::filesystem;
using namespace graft::bench;

namespace {

constexpr int kRuns = 7;

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
  Timing floor, ours;
  for (int i = 0; i < kRuns; ++i) {
    const fs::path copy = dir->path() / "envs/cp";
    const fs::path clone = dir->path() / "envs/b";
    floor.start();
    if (!run({"cp", "-al", a, copy}, home)) return 1;
    floor.stop();
    ours.start();
    if (!run({graft, "create", "--root-prefix", dir->path() / "root", "-p", clone, "--clone", a,
              "-y"}, home)) {
      return 1;
    }
    ours.stop();
    if (!graft::base::remove_tree(copy) || !graft::base::remove_tree(clone)) return 1;
  }
  for (const auto& [what, floor_seconds, graft_seconds] :
       {std::tuple{"wall", median(floor.wall), median(ours.wall)},
        std::tuple{"cpu ", median(floor.cpu), median(ours.cpu)}}) {
    std::printf("clone, %d files + %d untracked, %s: cp -al %.1f ms, graft create --clone "
                "%.1f ms, ratio %.2fx (target <= 1.5x)\n",
                kFiles, kUntracked, what, floor_seconds * 1e3, graft_seconds * 1e3,
                graft_seconds / floor_seconds);
  }
  return 0;
}
