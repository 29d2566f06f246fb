// Turns libsolv's problem rules into an explanation a person can follow (internal to
// module solve): which request, through which dependency chain, against which versions.
//
// Example (conformance test-recipes, `install dependent=1.0 run_constrained`):
//   - you asked for 'dependent=1.0'
//     - dependent-1.0-0 requires 'dependency >=1.0,<2.0a0', which only dependency-1.0-0
//       provides
//   - you asked for 'run_constrained'
//     - run_constrained-1.0-0 constrains 'dependency>=2.0', which rules out dependency-1.0-0
// Rules libsolv repeats per package pair (only one package of a name) are folded into one
// line: "x-1-0 requires 'y !=5', which rules out y-5-0: only one 'y' can be installed".
// Several problems are numbered ("- conflict 2 of 8:") and nested one level deeper.
#pragma once

#include <string>
#include <vector>

#include "solve/model.h"
#include "solve/sat.h"

namespace graft::solve::detail {

enum class JobOrigin {
  kInstall,  // a spec the user asked to install
  kUpdate,   // a spec the user asked to update
  kRemove,   // a package the user asked to remove (or a dependent of it)
  kPin,      // a pinned spec keeps a package out
  kKeep,     // an installed package the user did not name
};

// Why a sat::Job exists: `text` is the spec as written or the package's dist name.
struct JobNote {
  JobOrigin origin = JobOrigin::kInstall;
  std::string text;
};

// Caps that keep huge explanations (a flawed sudoku) readable.
inline constexpr std::size_t kMaxExplanationLines = 40;
inline constexpr std::size_t kMaxChainDepth = 8;

// `notes[i]` describes model.problem().jobs[i]. Returns the lines after the headline,
// each ending in '\n'.
[[nodiscard]] std::string explain_problems(const Model& model, const std::vector<JobNote>& notes,
                                           const std::vector<std::vector<sat::Rule>>& problems);

// Why `chosen` was installed rather than the other builds of its name with the same
// version and build number (order.h's steps 1, 4 and 5), e.g.
//   "chose pkga-1.0-py312_0 over pkga-1.0-py311_0 (and 1 more of the same version and
//   build number): its dependencies reach newer 'python'"
// "" when it had no such rival.
[[nodiscard]] std::string explain_choice(Model& model, sat::PackageIndex chosen);

// "'name' versions available: 2.0, 1.0" or "no package named 'name' exists"; long lists are
// shortened ("..., and 12 more").
[[nodiscard]] std::string describe_available(const Model& model, const std::string& name);

}  // namespace graft::solve::detail
