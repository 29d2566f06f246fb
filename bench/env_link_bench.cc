// Warm create of a 20,000-file package: graft's apply() (read the manifest, link every file
// into a staging prefix, write the conda-meta record and history, rename into place) against
// the floor, `cp -al` of the same extracted package. Prints the median of 5 runs of each.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/subprocess.h"
#include "env/package_info.h"
#include "env/transaction.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kFiles = 20000;
constexpr int kDirectories = 200;
constexpr int kRuns = 5;

// An extracted package with kFiles small files and the paths.json describing them.
fs::path make_package(const fs::path& pkgs) {
  const fs::path package = pkgs / "big-1.0-0";
  fs::create_directories(package / "info");
  std::string paths = "{\n  \"paths\": [\n";
  for (int i = 0; i < kFiles; ++i) {
    const std::string relative = "lib/d" + std::to_string(i % kDirectories) + "/f" +
                                 std::to_string(i) + ".py";
    fs::create_directories((package / relative).parent_path());
    std::ofstream(package / relative) << "x = " << i << "\n";
    paths += std::string(i ? ",\n" : "") + "    {\"_path\": \"" + relative +
             "\", \"path_type\": \"hardlink\", \"sha256\": \"" + std::string(64, 'a') +
             "\", \"size_in_bytes\": 8}";
  }
  std::ofstream(package / "info/paths.json") << paths << "\n  ],\n  \"paths_version\": 1\n}\n";
  std::ofstream(package / "info/index.json")
      << R"({"name": "big", "version": "1.0", "build": "0", "build_number": 0, "subdir": "linux-64"})";
  return package;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main() {
  auto dir = graft::base::TempDir::create("graft-link-bench-");
  if (!dir) return 1;
  const fs::path package = make_package(dir->path() / "pkgs");
  std::vector<double> floor_times, graft_times;
  for (int run = 0; run < kRuns; ++run) {
    const fs::path copy = dir->path() / ("cp-" + std::to_string(run));
    auto start = Clock::now();
    auto cp = graft::base::run_process({.argv = {"cp", "-al", package.string(), copy.string()}});
    floor_times.push_back(seconds_since(start));
    if (!cp || cp->exit_code != 0) return 1;

    const fs::path prefix = dir->path() / "envs" / ("e" + std::to_string(run));
    start = Clock::now();
    auto info = graft::env::read_package_info(package);
    if (!info) return 1;
    auto applied = graft::env::apply(prefix, {}, {{.info = std::move(*info)}},
                                     {.command = "bench", .script_environment = {{"PATH", "/bin"}}});
    graft_times.push_back(seconds_since(start));
    if (!applied) {
      std::fprintf(stderr, "%s\n", applied.error().message().c_str());
      return 1;
    }
  }
  const double floor = median(floor_times), ours = median(graft_times);
  std::printf("warm create, %d files: cp -al %.1f ms, graft %.1f ms, ratio %.2fx (target <= 1.5x)\n",
              kFiles, floor * 1e3, ours * 1e3, ours / floor);
  return 0;
}
