// Direct conflicts between requested packages, found before libsolv runs (internal to
// module solve).
//
// libsolv reports every problem of an unsatisfiable request, re-solving after each one; on a
// SAT-hard channel (a flawed sudoku) that search takes seconds. When two install jobs each
// allow a single package and one of those excludes the other outright (it depends on the
// other's name with a spec the other fails, or constrains it away), the answer is known
// at once. Those problems come back in libsolv's rule vocabulary, so explain_problems()
// words them the same way.
#pragma once

#include <vector>

#include "solve/model.h"
#include "solve/sat.h"

namespace graft::solve::detail {

// The direct conflicts among model.problem().jobs, one problem per pair of jobs (first
// job order); empty when there are none.
[[nodiscard]] std::vector<std::vector<sat::Rule>> direct_conflicts(const Model& model);

}  // namespace graft::solve::detail
