#include "solve/precheck.h"

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>

namespace graft::solve::detail {
namespace {

struct Unit {
  sat::PackageIndex package;
  std::uint32_t job;
};

// Install jobs that only one package satisfies, by that package's name.
std::map<std::string, Unit> unit_jobs(const Model& model) {
  std::map<std::string, Unit> units;
  const auto& jobs = model.problem().jobs;
  for (std::uint32_t job = 0; job < jobs.size(); ++job) {
    if (jobs[job].kind != sat::JobKind::kInstall) continue;
    std::span<const sat::PackageIndex> matches = model.resolve(jobs[job].target);
    if (matches.size() != 1) continue;
    units.emplace(model.candidate(matches[0]).record->name, Unit{matches[0], job});
  }
  return units;
}

const std::string& name_of(const Model& model, sat::PackageIndex package) {
  return model.candidate(package).record->name;
}

// The unit that rules out every one of `providers` (what a dependency key matches) by
// name, if there is one.
std::optional<Unit> blocking_unit(const Model& model, const std::map<std::string, Unit>& units,
                                  std::span<const sat::PackageIndex> providers) {
  if (providers.empty()) return std::nullopt;  // "nothing provides": libsolv words it
  auto unit = units.find(name_of(model, providers[0]));
  if (unit == units.end()) return std::nullopt;
  for (sat::PackageIndex provider : providers) {
    if (provider == unit->second.package) return std::nullopt;
    if (name_of(model, provider) != unit->first) return std::nullopt;
  }
  return unit->second;
}

std::vector<sat::Rule> pair_problem(const Unit& a, const Unit& b) {
  return {sat::Rule{.kind = sat::RuleKind::kJob, .job = a.job},
          sat::Rule{.kind = sat::RuleKind::kJob, .job = b.job}};
}

}  // namespace

std::vector<std::vector<sat::Rule>> direct_conflicts(const Model& model) {
  std::vector<std::vector<sat::Rule>> problems;
  const auto units = unit_jobs(model);
  std::set<std::pair<std::uint32_t, std::uint32_t>> reported;
  auto first_report = [&reported](const Unit& a, const Unit& b) {
    return reported.insert({std::min(a.job, b.job), std::max(a.job, b.job)}).second;
  };
  for (const auto& [name, unit] : units) {
    const sat::Package& package = model.problem().packages[unit.package];
    for (sat::KeyIndex key : package.depends) {
      std::span<const sat::PackageIndex> providers = model.resolve(key);
      auto blocker = blocking_unit(model, units, providers);
      if (!blocker || !first_report(unit, *blocker)) continue;
      auto problem = pair_problem(unit, *blocker);
      problem.push_back({.kind = sat::RuleKind::kDepends, .source = unit.package, .key = key});
      for (sat::PackageIndex provider : providers) {
        problem.push_back(
            {.kind = sat::RuleKind::kSameName, .source = provider, .target = blocker->package});
      }
      problems.push_back(std::move(problem));
    }
    for (sat::KeyIndex key : package.conflicts) {
      for (sat::PackageIndex other : model.resolve(key)) {
        auto blocker = units.find(name_of(model, other));
        if (blocker == units.end() || blocker->second.package != other) continue;
        if (!first_report(unit, blocker->second)) continue;
        auto problem = pair_problem(unit, blocker->second);
        problem.push_back({.kind = sat::RuleKind::kConflicts,
                           .source = unit.package,
                           .target = other,
                           .key = key});
        problems.push_back(std::move(problem));
      }
    }
  }
  return problems;
}

}  // namespace graft::solve::detail
