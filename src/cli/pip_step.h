// The pip part of `env create -f` (the `- pip:` list) and of `create --file` with a
// conda-lock file (its `manager: pip` packages): after the conda packages are linked, the
// environment's own `python -m pip install -r <requirements>` runs, so pip options, `-e`
// and `-r` work as in a requirements file. Not thread-safe (one per command).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "solve/solver.h"

namespace graft::cli {

struct PipStep {
  std::filesystem::path prefix;           // the environment whose python runs pip
  std::vector<std::string> requirements;  // requirement-file lines
  // pip runs here and the requirements file is written here, so relative `-r other.txt`
  // and `-e ./dir` lines resolve against it (conda uses the environment file's directory).
  std::filesystem::path directory;
  std::vector<std::string> extra_arguments;  // e.g. "--no-deps"
  bool quiet = false;  // capture pip's output (shown only when it fails), for --json
  // A new environment: when pip fails, its directory and its line in `registry`
  // (environments.txt; may be empty) are removed again, so the command is all or nothing.
  bool remove_on_failure = false;
  std::filesystem::path registry;
};

// Fails early when pip can not run afterwards: kInvalidArgument "pip packages need python in
// the environment: add 'python' and 'pip' to the dependencies" when neither `transaction`
// links python nor `installed_python` is true.
[[nodiscard]] Status check_python_for_pip(const solve::Transaction& transaction,
                                          bool installed_python);

// Runs pip (and removes a new environment when it fails, saying so in the error's hint).
// Errors: kNotFound "'<prefix>/bin/python' does not exist: ...", kIo (the requirements
// file), kConflict "pip failed (exit code N)" (with the last lines of pip's output when it
// was captured).
[[nodiscard]] Status run_pip(const PipStep& step);

}  // namespace graft::cli
