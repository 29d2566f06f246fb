// solve_bench: wall time of graft::solve::solve() on SAT-hard and real inputs.
//
//   solve_bench [--explain]
//
// - sudoku: the hardest-known puzzle on a generated correct encoding (729 packages);
//   ARCHITECTURE.md's solver notes put libsolv-based peers (micromamba 2.8.1) at ~60 ms;
// - sudoku floor: the same puzzle as a bare sat::Problem (libsolv through the sat adapter,
//   no conda model), measured in the same run: the peer's own cost on this machine now;
// - flawed sudoku: mamba's sudoku.json with the classic givens, unsatisfiable: time until
//   the explained error (--explain prints it);
// - numpy: `numpy` from conda-forge's numpy linux-64 repodata of the corpus;
// - pytorch: `pytorch` from rattler's pytorch linux-64 repodata (2,181 records, 276
//   pytorch builds). That channel names dependencies it does not hold (python, mkl,
//   numpy, ...), so a synthetic base channel provides each of them at every version
//   and build string any dependency spec of the channel mentions (no dependencies of its
//   own): the search over pytorch / python / cuda variants stays real.
// Each figure is the fastest of kRuns runs (the sudoku and its floor: of 3 interleaved
// rounds of kRuns), in ms, as wall time and as this process's CPU time (the steadier
// figure on a shared, loaded machine), and covers the whole solve: model, libsolv,
// explanation, ordering. Records are loaded once, outside the timing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <utility>

#include "base/fs.h"
#include "conda/repodata.h"
#include "solve/solver.h"
#include "solve/sudoku.h"
#include "solve/virtual_packages.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRuns = 7;
constexpr std::string_view kHardPuzzle =
    "800000000003600000070090200050007000000045700000100030001000068008500010090000400";
constexpr std::string_view kClassicPuzzle =
    "530070000600195000098000060800060003400803001700020006060000280000419005000080079";

double cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

// Fastest of kRuns runs of `run`, as {wall, cpu} in ms.
template <typename Run>
std::pair<double, double> fastest(Run run) {
  double best = 1e30;
  double best_cpu = 1e30;
  for (int i = 0; i < kRuns; ++i) {
    const auto start = Clock::now();
    const double cpu_start = cpu_ms();
    run();
    best_cpu = std::min(best_cpu, cpu_ms() - cpu_start);
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return {best, best_cpu};
}

// The sudoku through solve() and as a bare sat::Problem, interleaved, and their ratio.
void time_sudoku() {
  using namespace graft::solve;
  const Request request = sudoku_request(sudoku_channel("cell"), "cell", kHardPuzzle);
  const sat::Problem problem = sudoku_problem("cell", kHardPuzzle);
  std::pair<double, double> graft{1e30, 1e30};
  std::pair<double, double> bare{1e30, 1e30};
  std::size_t linked = 0;
  std::size_t installed = 0;
  for (int round = 0; round < 3; ++round) {
    auto g = fastest([&] {
      auto transaction = solve(request);
      linked = transaction ? transaction->link.size() : 0;
    });
    auto b = fastest([&] { installed = sat::solve_sat(problem).installed.size(); });
    graft = {std::min(graft.first, g.first), std::min(graft.second, g.second)};
    bare = {std::min(bare.first, b.first), std::min(bare.second, b.second)};
  }
  std::printf("%-14s %9.1f ms wall %9.1f ms cpu   %zu packages to link\n", "sudoku", graft.first,
              graft.second, linked);
  std::printf("%-14s %9.1f ms wall %9.1f ms cpu   %zu installed; sudoku / floor: %.2fx cpu\n",
              "sudoku floor", bare.first, bare.second, installed, graft.second / bare.second);
}

// Fastest of kRuns solves, in ms; prints the outcome of the last run.
void time_solve(const char* label, const graft::solve::Request& request, bool explain) {
  std::optional<graft::Result<graft::solve::Transaction>> last;
  auto [best, best_cpu] = fastest([&] { last = graft::solve::solve(request); });
  const auto& result = *last;
  std::string outcome = result ? std::to_string(result->link.size()) + " packages to link"
                               : "error: " + result.error().message();
  for (const auto& record : result ? result->link : std::vector<graft::conda::PackageRecord>{}) {
    if (record.name == label) outcome += " (" + record.version + " " + record.build + ")";
  }
  std::size_t newline = outcome.find('\n');
  std::printf("%-14s %9.1f ms wall %9.1f ms cpu   %s\n", label, best, best_cpu,
              explain ? outcome.c_str() : outcome.substr(0, newline).c_str());
}

std::vector<graft::conda::PackageRecord> load(const std::string& relative) {
  const std::string path = std::string(GRAFT_CONFORMANCE_DIR) + "/" + relative;
  auto text = graft::base::read_file(path);
  if (!text) {
    std::fprintf(stderr, "%s\n", text.error().message().c_str());
    return {};
  }
  auto repodata = graft::conda::parse_repodata(*text, {.subdir_url = "file:///bench"});
  if (!repodata) {
    std::fprintf(stderr, "%s\n", repodata.error().message().c_str());
    return {};
  }
  return std::move(repodata->records);
}

// Versions around every literal in a spec's version text, so that each bound of the spec
// has a version on both sides: ">=3.8,<3.9.0a0" gives 3.8, 3.8.1, 3.9.0a0, 3.9.0a0.1.
std::set<std::string> version_literals(std::string_view text) {
  static const std::regex literal(R"([0-9][0-9A-Za-z_.]*)");
  std::set<std::string> out;
  const std::string owned(text);
  for (auto it = std::sregex_iterator(owned.begin(), owned.end(), literal); it != std::sregex_iterator();
       ++it) {
    std::string value = it->str();
    while (!value.empty() && value.back() == '.') value.pop_back();
    out.insert(value);
    out.insert(value + ".1");
  }
  return out;
}

// One record per (name, version, build) that some dependency of `records` names, for every
// dependency name the records themselves do not provide.
std::vector<graft::conda::PackageRecord> base_channel(
    const std::vector<graft::conda::PackageRecord>& records) {
  std::set<std::string> provided;
  for (const auto& record : records) provided.insert(record.name);
  std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>> wanted;
  for (const auto& record : records) {
    for (const auto& text : record.depends) {
      auto spec = graft::conda::MatchSpec::parse(text);
      if (!spec || provided.count(spec->name()) != 0) continue;
      auto& [versions, builds] = wanted[spec->name()];
      if (auto version = spec->get(graft::conda::MatchSpecField::kVersion)) {
        for (auto& literal : version_literals(*version)) versions.insert(literal);
      }
      auto build = spec->get(graft::conda::MatchSpecField::kBuild);
      builds.insert(build && build->find('*') == std::string_view::npos ? std::string(*build) : "0");
    }
  }
  std::vector<graft::conda::PackageRecord> base;
  for (const auto& [name, variants] : wanted) {
    std::set<std::string> versions = variants.first;
    versions.insert("0.1");  // below every lower bound
    for (const auto& version : versions) {
      for (const auto& build : variants.second) {
        base.push_back({.name = name, .version = version, .build = build, .subdir = "linux-64",
                        .fn = name + "-" + version + "-" + build + ".conda",
                        .channel = "base", .url = "file:///base/" + name + "-" + version + ".conda"});
      }
    }
  }
  return base;
}

}  // namespace

int main(int argc, char** argv) {
  const bool explain = argc > 1 && std::strcmp(argv[1], "--explain") == 0;
  using graft::solve::sudoku_request;
  time_sudoku();
  auto flawed = load("mamba/repodata/sudoku.json");
  if (!flawed.empty()) {
    time_solve("flawed sudoku", sudoku_request(std::move(flawed), "sudoku", kClassicPuzzle),
               explain);
  }
  auto numpy = load("mamba/repodata/conda-forge-numpy-linux-64.json");
  if (!numpy.empty()) {
    graft::solve::Request request;
    request.channels = {{.name = "conda-forge", .records = std::move(numpy)}};
    auto spec = graft::conda::MatchSpec::parse("numpy");
    if (spec) request.install.push_back(*spec);
    request.options.subdir = "linux-64";
    time_solve("numpy", request, false);
  }
  auto pytorch = load("rattler/channels/pytorch/linux-64/repodata.json");
  if (!pytorch.empty()) {
    graft::solve::Request request;
    auto base = base_channel(pytorch);
    std::printf("pytorch: %zu records, synthetic base channel: %zu records\n", pytorch.size(),
                base.size());
    request.channels = {{.name = "pytorch", .records = std::move(pytorch)},
                        {.name = "base", .records = std::move(base)}};
    auto spec = graft::conda::MatchSpec::parse("pytorch");
    if (spec) request.install.push_back(*spec);
    request.options.subdir = "linux-64";
    request.virtual_packages = graft::solve::virtual_packages(
        "linux-64", graft::solve::probe_host(), {{"CONDA_OVERRIDE_CUDA", "12.1"}});
    time_solve("pytorch", request, false);
  }
  return 0;
}
