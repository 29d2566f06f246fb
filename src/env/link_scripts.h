// Package link scripts, run as conda runs them (conda/core/link.py run_script):
// `bash -x <script>` with PREFIX, PKG_NAME, PKG_VERSION, PKG_BUILDNUM, ROOT_PREFIX set,
// the prefix's bin/ first on PATH and CONDA_PREFIX set (a minimal activation), in the
// script's directory; post-link scripts run after the prefix's etc/conda/activate.d/*.sh
// are sourced (conda runs them activated). Scripts are `bin/.<name>-<action>.sh`: pre-link is read from the
// extracted package (before its files are placed), post-link and pre-unlink from the prefix.
// A script's `$PREFIX/.messages.txt` is collected and removed.
//
// Thread-safety: safe to call concurrently for different prefixes.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "base/result.h"
#include "conda/record.h"

namespace graft::env {

enum class ScriptAction { kPreLink, kPostLink, kPreUnlink };
// "pre-link", "post-link", "pre-unlink".
[[nodiscard]] std::string_view script_action_name(ScriptAction action);

struct ScriptContext {
  std::filesystem::path prefix;       // PREFIX: the environment's (final) path
  std::filesystem::path script_root;  // where bin/.<name>-<action>.sh is looked for
  std::filesystem::path root_prefix;  // ROOT_PREFIX
  std::map<std::string, std::string> base_environment;  // the child's environment before ours
};

struct ScriptOutcome {
  bool ran = false;      // false: the package has no such script
  bool failed = false;   // non-zero exit
  std::string messages;  // the text the script left in $PREFIX/.messages.txt
  std::string output;    // stdout and stderr, for error reports
  int exit_code = 0;
};

// Runs the script when the package has one. Errors: kIo when bash can not be started,
// kCorrupt when the package's name can not name a script (check_package_names).
// A failing script is not an error here: see ScriptOutcome::failed (callers abort on
// pre-link/post-link failure and warn on pre-unlink failure, like conda).
[[nodiscard]] Result<ScriptOutcome> run_link_script(const conda::PackageRecord& record,
                                                    ScriptAction action,
                                                    const ScriptContext& context);

// The error for a failed pre-link/post-link script, worded after conda's LinkError.
[[nodiscard]] Error script_failure(const conda::PackageRecord& record, ScriptAction action,
                                   const ScriptOutcome& outcome);

}  // namespace graft::env
