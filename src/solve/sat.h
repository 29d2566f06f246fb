// A narrow C++ face of libsolv: the only code that talks to libsolv (sat.cc is the one
// file that includes its headers). It knows nothing about conda: packages are rows with a
// name, a rank and dependency keys; what a key matches is answered by a callback, so conda
// MatchSpecs reach libsolv as namespace dependencies.
//
// Thread-safety: solve_sat() builds and frees its own libsolv pool; concurrent calls are
// safe as long as their inputs are not mutated meanwhile. Nothing here allocates global
// state.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace graft::solve::sat {

using PackageIndex = std::uint32_t;  // index into Problem::packages
using KeyIndex = std::uint32_t;      // index into Problem::keys

struct Repo {
  std::string name;
  int priority = 0;        // higher wins (libsolv repo priority)
  bool installed = false;  // at most one repo is the installed one
};

struct Package {
  std::string name;
  std::uint32_t rank = 0;            // larger is better among packages of the same name
  std::uint32_t repo = 0;            // index into Problem::repos
  std::vector<KeyIndex> depends;     // every key must be met by an installed package
  std::vector<KeyIndex> conflicts;   // no package a key matches may be installed with this
  std::vector<KeyIndex> recommends;  // installed along when possible
};

enum class JobKind {
  kInstall,    // key: install something the key matches (keeps a matching installed one)
  kUpdate,     // key: update the installed packages the key matches to the best version
  kUpdateAll,  // every installed package to its best version
  kErase,      // package: remove it
  kLock,       // package: keep it exactly as it is (installed stays, absent stays out)
  kFavor,      // package: prefer it when there is a choice
};

struct Job {
  JobKind kind = JobKind::kInstall;
  std::uint32_t target = 0;  // a KeyIndex for kInstall/kUpdate, a PackageIndex otherwise
};

struct Problem {
  std::vector<Repo> repos;
  std::vector<Package> packages;
  // Dependency keys: opaque text, one per distinct dependency. `resolve` appends the
  // packages that key `k` matches to `out`; it may be called lazily during the solve and
  // must stay valid until solve_sat() returns.
  std::vector<std::string> keys;
  std::function<void(KeyIndex k, std::vector<PackageIndex>& out)> resolve;
  std::vector<Job> jobs;
  bool strict_repo_priority = false;  // a name is only taken from its best repo
  bool allow_uninstall = false;       // installed packages may be removed to satisfy jobs
};

enum class RuleKind {
  kJob,                // job `job` (its key `key`) as asked
  kJobNothingMatches,  // job `job`: nothing matches `key`
  kNothingMatches,     // `source` depends on `key`, which nothing matches
  kDepends,            // `source` depends on `key`
  kConflicts,          // `source` conflicts (via `key`) with `target`
  kSameName,           // `source` and `target` have the same name
  kInstalled,          // installed `source` must stay (or be updated)
  kStrictPriority,     // `source` is hidden by a higher-priority repo
  kNotInstallable,     // `source` cannot be installed at all
  kOther,              // anything else libsolv reports (learnt, best, ...)
};

struct Rule {
  RuleKind kind = RuleKind::kOther;
  std::optional<PackageIndex> source;
  std::optional<PackageIndex> target;
  std::optional<KeyIndex> key;
  std::optional<std::uint32_t> job;  // index into Problem::jobs
};

struct Outcome {
  bool solved = false;
  // When solved: every package installed afterwards (installed repo ones kept included),
  // in increasing PackageIndex order.
  std::vector<PackageIndex> installed;
  // When not solved: one entry per libsolv problem, the rules that make it up, in the
  // order libsolv reports them, duplicates removed.
  std::vector<std::vector<Rule>> problems;
};

// Runs libsolv on `problem`. Never fails for well-formed input (indices in range);
// out-of-range indices are programmer errors.
[[nodiscard]] Outcome solve_sat(const Problem& problem);

}  // namespace graft::solve::sat
