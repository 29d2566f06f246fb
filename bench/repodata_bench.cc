// repodata_bench: how fast graft turns repodata.json into PackageRecords, against Python's
// json.load of the same file (what conda does first), measured in the same run.
//
//   repodata_bench [repodata.json]   (default: the corpus' pytorch linux-64, 1.3 MB)
//
// graft: parse_repodata() repeated until >= 100 MB went through; MB/s = bytes / time.
// python: `python3 -c 'import json,sys; json.load(open(sys.argv[1]))' FILE`, run
// kPythonRuns times, minus the start-up of `python3 -c ''` run as often, interleaved (mean
// of each: the kernel accounts child CPU time in ticks, so single runs are coarse; the mean
// is not biased). Times are CPU times (ours: CLOCK_PROCESS_CPUTIME_ID; the child's: getrusage
// RUSAGE_CHILDREN user+system), so a machine busy with other work skews neither side;
// graft's wall time is printed too. Targets (ARCHITECTURE.md): >= 1 GB/s and >= 10x python.
// For scale, the same loop over simdjson's DOM parse alone (no records built) is printed: it
// is what "simdjson class" means on this machine.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <sys/resource.h>
#include <string>
#include <vector>

#include <simdjson.h>

#include "base/fs.h"
#include "base/subprocess.h"
#include "conda/repodata.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kMegabyte = 1e6;
constexpr std::size_t kMinimumBytes = 100'000'000;
constexpr int kPythonRuns = 30;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

double children_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Mean CPU time of `runs` runs of each of `commands` (interleaved), in seconds; empty
// when a run fails.
std::vector<double> mean_cpu_times(const std::vector<std::vector<std::string>>& commands,
                                   int runs) {
  std::vector<double> totals(commands.size(), 0.0);
  for (int i = 0; i < runs; ++i) {
    for (std::size_t c = 0; c < commands.size(); ++c) {
      const double start = children_cpu_seconds();
      auto result = graft::base::run_process({.argv = commands[c]});
      if (!result || result->exit_code != 0) {
        std::fprintf(stderr, "'%s' failed: %s\n", commands[c][0].c_str(),
                     result ? result->stderr_text.c_str() : result.error().message().c_str());
        return {};
      }
      totals[c] += children_cpu_seconds() - start;
    }
  }
  for (double& total : totals) total /= runs;
  return totals;
}

struct GraftFigures {
  std::size_t iterations = 0;
  double cpu_seconds = 0;
  double wall_seconds = 0;
  double megabytes_per_second = 0;
};

// Parses `bytes` until kMinimumBytes went through; false when a parse fails.
bool measure_graft(const std::string& bytes, const graft::conda::RepodataSource& source,
                   std::size_t records, GraftFigures& figures) {
  std::size_t total = 0;
  const auto start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  while (total < kMinimumBytes) {
    auto repodata = graft::conda::parse_repodata(bytes, source);
    if (!repodata || repodata->records.size() != records) return false;
    total += bytes.size();
    ++figures.iterations;
  }
  figures.wall_seconds = seconds_since(start);
  figures.cpu_seconds = process_cpu_seconds() - cpu_start;
  figures.megabytes_per_second = static_cast<double>(total) / kMegabyte / figures.cpu_seconds;
  return true;
}

// simdjson's DOM parse of `bytes` alone, repeated like measure_graft: MB/s of CPU time.
double measure_simdjson(const std::string& bytes) {
  simdjson::dom::parser parser;
  std::size_t total = 0;
  const double cpu_start = process_cpu_seconds();
  while (total < kMinimumBytes) {
    simdjson::dom::element root;
    if (parser.parse(bytes.data(), bytes.size(), true).get(root)) return 0;
    total += bytes.size();
  }
  return static_cast<double>(total) / kMegabyte / (process_cpu_seconds() - cpu_start);
}

void print_figures(const std::string& path, std::size_t size, std::size_t records,
                   const GraftFigures& graft_figures, double with_json, double startup) {
  const double python_seconds = std::max(with_json - startup, 1e-6);
  const double python_mbps = static_cast<double>(size) / kMegabyte / python_seconds;
  std::printf("file: %s (%.2f MB, %zu records)\n", path.c_str(),
              static_cast<double>(size) / kMegabyte, records);
  std::printf(
      "graft parse_repodata: %zu parses in %.3f s CPU (%.3f s wall) = %.0f MB/s (%.3f ms per "
      "parse)\n",
      graft_figures.iterations, graft_figures.cpu_seconds, graft_figures.wall_seconds,
      graft_figures.megabytes_per_second,
      1e3 * graft_figures.cpu_seconds / static_cast<double>(graft_figures.iterations));
  std::printf("python3 json.load:    %.3f ms CPU (%.3f ms run - %.3f ms start-up) = %.0f MB/s\n",
              1e3 * python_seconds, 1e3 * with_json, 1e3 * startup, python_mbps);
  std::printf("ratio graft/python:   %.1fx (targets: >= 1000 MB/s, >= 10x)\n",
              graft_figures.megabytes_per_second / python_mbps);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1]
                                    : std::string(GRAFT_CONFORMANCE_DIR) +
                                          "/rattler/channels/pytorch/linux-64/repodata.json";
  auto bytes = graft::base::read_file(path);
  if (!bytes) {
    std::fprintf(stderr, "repodata_bench: %s\n", bytes.error().message().c_str());
    return 1;
  }
  const graft::conda::RepodataSource source{
      .subdir_url = "https://conda.anaconda.org/pytorch/linux-64", .display_name = path};

  // Warm-up, and a sanity check that the parse is real.
  auto first = graft::conda::parse_repodata(*bytes, source);
  if (!first) {
    std::fprintf(stderr, "repodata_bench: %s\n", first.error().message().c_str());
    return 1;
  }
  const std::size_t records = first->records.size();

  GraftFigures graft_figures;
  if (!measure_graft(*bytes, source, records, graft_figures)) return 1;

  const std::vector<double> python =
      mean_cpu_times({{"python3", "-c", "import json,sys; json.load(open(sys.argv[1]))", path},
                      {"python3", "-c", ""}},
                     kPythonRuns);
  if (python.empty()) return 1;
  print_figures(path, bytes->size(), records, graft_figures, python[0], python[1]);
  std::printf("simdjson DOM parse alone (no records): %.0f MB/s\n", measure_simdjson(*bytes));
  return 0;
}
