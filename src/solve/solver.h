// graft::solve: from what the user asks (install, update, remove) and what exists (installed
// records, channels' records) to a Transaction, with libsolv underneath.
//
// Conda semantics kept here:
// - order: among packages of one name, conda's order decides (order.h: fewer
//   track_features, version, build number, the build whose dependencies reach newer
//   packages, timestamp), so a package with track_features is only chosen when nothing
//   else works;
// - channel priority: strict (a name is only taken from the highest-priority channel that
//   has it), flexible (higher priority preferred, lower used when needed) or disabled;
// - run_constrained (`constrains`): a package excludes the versions its constraints reject;
// - pins (conda-meta/pinned): a pinned name may only be installed in a matching version;
// - installed packages stay unless a request needs them changed (favored, or locked with
//   UpdateScope::kFreezeInstalled); `update` and `update --all` move them to the best;
// - remove takes the packages that depend on a removed one along, as conda does;
// - add_pip_as_python_dependency: python pulls in pip when a pip can be installed.
//
// Pure: no disk, no network, no clock. Thread-safe: solve() shares nothing between calls.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "conda/match_spec.h"
#include "conda/record.h"

namespace graft::solve {

enum class ChannelPriority {
  kStrict,    // a package name comes only from the highest-priority channel that has it
  kFlexible,  // conda's default: higher-priority channels preferred, others still usable
  kDisabled,  // channels are equal; the best version wins wherever it is
};

enum class UpdateScope {
  kKeepInstalled,    // installed packages are favored; changed only when a request needs it
  kFreezeInstalled,  // installed packages not named by a request are locked as they are
};

struct Options {
  ChannelPriority channel_priority = ChannelPriority::kFlexible;
  UpdateScope update_scope = UpdateScope::kKeepInstalled;
  // The platform being solved for, e.g. "linux-64": channel records of other subdirs
  // (except "noarch") are ignored. Empty: keep every record.
  std::string subdir;
  // conda's add_pip_as_python_dependency (default true).
  bool add_pip_as_python_dependency = true;
};

// One channel's candidate records (all its subdirs together).
struct ChannelRecords {
  std::string name;  // shown in messages, e.g. "conda-forge"
  std::vector<conda::PackageRecord> records;
};

struct Request {
  std::vector<conda::MatchSpec> install;               // `install`/`create` specs
  std::vector<conda::MatchSpec> update;                // `update NAME...`: move these to their best
  bool update_all = false;                             // `update --all`
  std::vector<conda::MatchSpec> remove;                // `remove` specs (dependents go too)
  std::vector<conda::PackageRecord> installed;         // the prefix's conda-meta records
  std::vector<ChannelRecords> channels;                // highest priority first
  std::vector<conda::MatchSpec> pins;                  // conda-meta/pinned
  std::vector<conda::PackageRecord> virtual_packages;  // see virtual_packages.h
  // Names the channels hold whose records were not loaded (lazy_load.h): only for the
  // "did you mean" hint of a name that is not available.
  std::vector<std::string> other_names;
  Options options;
};

struct Transaction {
  // Records to link, each after the records it depends on (ties by name): deterministic.
  std::vector<conda::PackageRecord> link;
  // Installed records to unlink, each before the records it depends on.
  std::vector<conda::PackageRecord> unlink;
  // Why a build was chosen over others of its name with the same version and build
  // number, one line per such chosen build, by name (see order.h); for `-v`.
  std::vector<std::string> choices;

  [[nodiscard]] bool empty() const { return link.empty() && unlink.empty(); }
};

// Solves `request`. Errors:
//   kConflict  the request cannot be satisfied: "cannot satisfy the request:" followed by
//              one "- " line per step, indented along the chain: each requested spec
//              involved, what its packages require or constrain, what that rules out, and
//              the versions that exist (see explain.h);
//   kNotFound  a requested name is in no channel ("package 'x' is not available from the
//              channels", hint "did you mean 'y'?" when one is close); a requested spec
//              that no version matches ("no package in the channels matches the request:"
//              with the versions available); a spec to remove that matches nothing
//              installed ("cannot remove 'x': no installed package matches it").
// An `update` spec whose package is not installed is installed.
[[nodiscard]] Result<Transaction> solve(const Request& request);

// Orders `records` so that each comes after the records among them it depends on; cycles
// are broken deterministically (by name). Ties are broken by name.
[[nodiscard]] std::vector<conda::PackageRecord> dependency_order(
    std::vector<conda::PackageRecord> records);

}  // namespace graft::solve
