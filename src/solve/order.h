// Orders of module solve (internal): the order of candidates of one name (the rank that
// becomes each solvable's EVR, so libsolv's newest-first choice follows it), and
// dependency_order() with the dependency names supplied by the caller.
//
// Candidate order, worst to best; each step only separates what every step above ties:
//  1. fewer `track_features` (a count, as libsolv's conda mode counts them): a featured
//     build is only chosen when nothing else works, even over a newer version;
//  2. version (conda's VersionOrder; an unparsable version ranks below every other);
//  3. build number;
//  4. the build whose dependencies can reach newer packages. Within a group tied on 1-3,
//     each dependency name that two or more members require with different specs is
//     compared by the best rank (this same order, of the dependency's name) that each
//     member's specs allow; a member scores +1 for every other member it beats on that
//     dependency and -1 for every one that beats it, and the higher sum wins. So a
//     `py312` build (python >=3.12,<3.13) beats a `py310` one, a build on `libx 2.0.*`
//     beats one on `libx 1.0.*`, and dependencies only one member has count for nothing
//     (extra dependencies neither win nor lose). This is the comparison of libsolv's conda
//     mode as mamba documents it (sort_by_best_dependencies after
//     prune_to_best_version_conda: a variant whose dependency selects only featured
//     packages loses, then the one whose specs select the higher version wins, then the
//     timestamp), made a score so that it is a total order for any number of builds;
//     ranking by the dependency's own rank gives the featured case for free, since
//     featured builds rank below every plain one. It agrees with conda's classic solver,
//     which maximises the versions of the whole environment after the requested
//     packages. Because the rank of
//     a dependency already includes this step, a tie whose dependencies are themselves
//     tied is settled by their own dependencies. A dependency cycle (a name reached again
//     while it is being ranked) compares as equal on that dependency.
//  5. timestamp (newer wins).
// Candidates equal on all five share a rank. Cost: one sort per name; step 4 runs only for
// names the request can reach through dependencies (the others are never installed, so
// their ties keep steps 1-3 and 5) and only on dependency names whose specs differ within
// a group, and each spec's best rank comes from Model::resolve(), cached and needed by
// libsolv anyway. Transaction::choices (explain.h) says which step picked a build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "conda/record.h"
#include "solve/model.h"

namespace graft::solve::detail {

// Steps 1-3 of the candidate order: negative when `a` is worse than `b`, 0 when they tie.
[[nodiscard]] int compare_before_dependencies(const Candidate& a, const Candidate& b);

// One member of a tie group requiring one dependency name: the best rank its specs for
// that name allow (0 when they allow nothing).
struct Reach {
  std::size_t member = 0;
  std::uint32_t best = 0;
};

// Step 4's score of each of `members` members, from one list of reaches per dependency
// name (each member at most once per list). Lists with fewer than two reaches score 0.
[[nodiscard]] std::vector<int> dependency_scores(std::size_t members,
                                                 const std::vector<std::vector<Reach>>& reaches);

// The name of the package that `text` (= records[record].depends[dependency]) is about, or ""
// when it names no exact package (or does not parse).
using DependencyNamer =
    std::function<std::string(std::size_t record, std::size_t dependency, const std::string& text)>;

// As graft::solve::dependency_order(), naming dependencies with `name_of`.
[[nodiscard]] std::vector<conda::PackageRecord> dependency_order(
    std::vector<conda::PackageRecord> records, const DependencyNamer& name_of);

}  // namespace graft::solve::detail
