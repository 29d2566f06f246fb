// Version parse, compare and VersionSpec match throughput on the 28,530 real version
// strings of the conformance corpus (rattler/versions.txt).
//
//   ./version_bench [path/to/versions.txt]
//
// Prints versions/s for parse, comparisons/s for sort, and matches/s for a typical
// compound spec. Exits 0 with a "skipped" line when the corpus is absent.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "conda/version.h"
#include "conda/version_spec.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kTargetSeconds = 1.0;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  return lines;
}

std::vector<graft::conda::Version> parse_all(const std::vector<std::string>& texts) {
  std::vector<graft::conda::Version> versions;
  versions.reserve(texts.size());
  for (const std::string& text : texts) {
    if (auto parsed = graft::conda::Version::parse(text)) versions.push_back(std::move(*parsed));
  }
  return versions;
}

void bench_parse(const std::vector<std::string>& texts) {
  std::size_t parsed = 0;
  Clock::time_point start = Clock::now();
  do {
    parsed += parse_all(texts).size();
  } while (seconds_since(start) < kTargetSeconds);
  double elapsed = seconds_since(start);
  std::printf("parse:   %zu versions in %.3f s = %.2f M versions/s\n", parsed, elapsed,
              static_cast<double>(parsed) / elapsed / 1e6);
}

void bench_sort(const std::vector<graft::conda::Version>& versions) {
  std::size_t comparisons = 0;
  int rounds = 0;
  double elapsed = 0;
  do {
    std::vector<const graft::conda::Version*> order;
    for (const auto& version : versions) order.push_back(&version);
    std::reverse(order.begin(), order.end());
    Clock::time_point start = Clock::now();
    std::sort(order.begin(), order.end(), [&](const auto* a, const auto* b) {
      ++comparisons;
      return a->compare(*b) < 0;
    });
    elapsed += seconds_since(start);
    ++rounds;
  } while (elapsed < kTargetSeconds);
  std::printf("sort:    %d sorts of %zu versions, %zu comparisons in %.3f s = %.2f M comparisons/s\n",
              rounds, versions.size(), comparisons, elapsed,
              static_cast<double>(comparisons) / elapsed / 1e6);
}

void bench_match(const std::vector<graft::conda::Version>& versions) {
  auto spec = graft::conda::VersionSpec::parse(">=1.2,<2|2.1.*,!=2.1.3");
  if (!spec) return;
  std::size_t matches = 0, evaluated = 0;
  Clock::time_point start = Clock::now();
  do {
    for (const auto& version : versions) matches += spec->matches(version) ? 1 : 0;
    evaluated += versions.size();
  } while (seconds_since(start) < kTargetSeconds);
  double elapsed = seconds_since(start);
  std::printf("match:   '%s' on %zu versions in %.3f s = %.2f M matches/s (%zu hits)\n",
              spec->to_string().c_str(), evaluated, elapsed,
              static_cast<double>(evaluated) / elapsed / 1e6, matches);
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path path = argc > 1 ? std::filesystem::path(argv[1])
                                        : std::filesystem::path(GRAFT_CONFORMANCE_DIR) /
                                              "rattler" / "versions.txt";
  if (!std::filesystem::exists(path)) {
    std::printf("version_bench: skipped, %s is absent\n", path.string().c_str());
    return 0;
  }
  std::vector<std::string> texts = read_lines(path);
  std::vector<graft::conda::Version> versions = parse_all(texts);
  std::printf("corpus:  %zu lines, %zu valid versions (%s)\n", texts.size(), versions.size(),
              path.string().c_str());
  bench_parse(texts);
  bench_sort(versions);
  bench_match(versions);
  return 0;
}
