// dependency_order(): Kahn's algorithm over the records' `depends`, smallest name first.
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
