// The candidate order's comparisons (see order.h) and dependency_order(): Kahn's algorithm
// over the records' `depends`, smallest name first.
#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "solve/order.h"
#include "solve/solver.h"

namespace graft::solve {
namespace detail {
namespace {

// edges[i]: the indices record i depends on (within `records`, itself excluded).
std::vector<std::vector<std::size_t>> dependency_edges(
    const std::vector<conda::PackageRecord>& records, const DependencyNamer& name_of) {
  std::unordered_map<std::string, std::size_t> by_name;
  for (std::size_t i = 0; i < records.size(); ++i) by_name.emplace(records[i].name, i);
  std::vector<std::vector<std::size_t>> edges(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    std::set<std::size_t> targets;
    const auto& depends = records[i].depends;
    for (std::size_t dependency = 0; dependency < depends.size(); ++dependency) {
      auto found = by_name.find(name_of(i, dependency, depends[dependency]));
      if (found != by_name.end() && found->second != i) targets.insert(found->second);
    }
    edges[i].assign(targets.begin(), targets.end());
  }
  return edges;
}

}  // namespace

int compare_before_dependencies(const Candidate& a, const Candidate& b) {
  const std::size_t a_features = a.record->track_features.size();
  const std::size_t b_features = b.record->track_features.size();
  if (a_features != b_features) return a_features > b_features ? -1 : 1;
  if (a.version && b.version) {
    if (int order = a.version->compare(*b.version); order != 0) return order;
  } else if (a.version.has_value() != b.version.has_value()) {
    return a.version ? 1 : -1;
  }
  if (a.record->build_number != b.record->build_number) {
    return a.record->build_number < b.record->build_number ? -1 : 1;
  }
  return 0;
}

std::vector<int> dependency_scores(std::size_t members,
                                   const std::vector<std::vector<Reach>>& reaches) {
  std::vector<int> scores(members, 0);
  std::vector<std::uint32_t> bests;
  for (const auto& list : reaches) {
    if (list.size() < 2) continue;
    bests.clear();
    for (const Reach& reach : list) bests.push_back(reach.best);
    std::sort(bests.begin(), bests.end());
    for (const Reach& reach : list) {
      auto below = std::lower_bound(bests.begin(), bests.end(), reach.best) - bests.begin();
      auto above = bests.end() - std::upper_bound(bests.begin(), bests.end(), reach.best);
      scores[reach.member] += static_cast<int>(below - above);
    }
  }
  return scores;
}

std::vector<conda::PackageRecord> dependency_order(std::vector<conda::PackageRecord> records,
                                                   const DependencyNamer& name_of) {
  const auto edges = dependency_edges(records, name_of);
  std::vector<std::size_t> waiting(records.size());  // unmet dependencies per record
  std::vector<std::vector<std::size_t>> dependents(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    waiting[i] = edges[i].size();
    for (std::size_t target : edges[i]) dependents[target].push_back(i);
  }
  // Candidates keyed by (unmet dependencies, name, index): the first one is ready when its
  // count is 0, else a cycle is broken at the record with the fewest unmet dependencies.
  std::set<std::tuple<std::size_t, std::string, std::size_t>> pending;
  for (std::size_t i = 0; i < records.size(); ++i) pending.emplace(waiting[i], records[i].name, i);
  std::vector<bool> placed(records.size(), false);
  std::vector<conda::PackageRecord> ordered;
  ordered.reserve(records.size());
  while (!pending.empty()) {
    auto [count, name, index] = *pending.begin();
    pending.erase(pending.begin());
    placed[index] = true;
    ordered.push_back(std::move(records[index]));
    for (std::size_t dependent : dependents[index]) {
      if (placed[dependent]) continue;
      pending.erase({waiting[dependent], records[dependent].name, dependent});
      --waiting[dependent];
      pending.emplace(waiting[dependent], records[dependent].name, dependent);
    }
  }
  return ordered;
}

}  // namespace detail

std::vector<conda::PackageRecord> dependency_order(std::vector<conda::PackageRecord> records) {
  return detail::dependency_order(std::move(records),
                                  [](std::size_t, std::size_t, const std::string& text) {
                                    auto spec = conda::MatchSpec::parse(text);
                                    if (!spec || !spec->has_exact_name()) return std::string();
                                    return spec->name();
                                  });
}

}  // namespace graft::solve
