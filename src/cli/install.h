// The command side of create / install / update / remove and of the commands that make a
// transaction without the solver (create --clone, create --file, install --revision) and
// env create -f: flags in, the env/operation.h pipeline run with conda's plan text, prompt
// and JSON, exit code out. Not thread-safe: one per command.
#pragma once

#include <string>
#include <vector>

#include "env/operation.h"
#include "store/package_cache.h"

namespace graft::cli {

// The operation's request plus what only the command line has.
struct InstallFlags : env::ChangeRequest {
  bool dry_run = false;
  bool json = false;
  bool yes = false;
  std::vector<std::string> files;  // create/install --file FILE (repeatable)
  std::vector<std::string> categories;  // --category NAME: lock file categories (default main)
  int revision = -1;                    // install --revision N; -1: not given
};

// env::gather(), with a recovered interrupted change reported on stderr.
[[nodiscard]] Result<env::Context> gather(const InstallFlags& flags);

// Prints the plan (or conda's JSON), asks unless -y/--json, then env::carry_out() with a
// progress display, and prints the outcome. Returns the process exit code; errors are
// reported on stderr. With --dry-run nothing changes.
[[nodiscard]] int carry_out(const InstallFlags& flags, const env::Context& context,
                            store::PackageCache& cache, const env::Change& change);

// Solver-driven create / install / update / remove; dispatches --clone, --file and
// --revision to the functions below. Returns the exit code.
[[nodiscard]] int run_install(const InstallFlags& flags);

// create --clone (cli/clone.cc), create/install --file (cli/create_file.cc),
// install --revision (cli/revision.cc). Each returns the exit code.
[[nodiscard]] int run_clone(const InstallFlags& flags);
[[nodiscard]] int run_from_file(const InstallFlags& flags);
[[nodiscard]] int run_revision(const InstallFlags& flags);

}  // namespace graft::cli
