// Where environments live: the root prefix, `-n NAME` resolution and the user's
// ~/.conda/environments.txt registry (shared with conda and mamba).
//
// Root prefix (documented for users): `--root-prefix DIR` when given, else
// $GRAFT_ROOT_PREFIX, else $CONDA_ROOT_PREFIX, else ~/.graft. Named environments are
// `<root>/envs/<name>`; the name "base" is the root prefix itself, as in conda.
//
// Functions take the process environment as a map so tests can feed it; they are
// thread-safe except the registry writers, which lock the registry file (flock) so
// concurrent graft processes do not lose each other's lines.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace graft::env {

using Environment = std::map<std::string, std::string>;

// The root prefix (see above). kInvalidArgument when no rule applies (no HOME).
[[nodiscard]] Result<std::filesystem::path> root_prefix(const std::string& flag,
                                                        const Environment& environment);

// Checks an environment name: non-empty, no '/', ' ', ':', '#', not "." or "..".
// kInvalidArgument "'a/b' is not a valid environment name: it contains '/'".
[[nodiscard]] Status check_environment_name(std::string_view name);

// `-n NAME` -> <root>/envs/NAME ("base" -> root). Does not check existence.
[[nodiscard]] Result<std::filesystem::path> named_prefix(const std::filesystem::path& root,
                                                         std::string_view name);

// `-n NAME` with condarc envs_dirs: "base" -> root; the first of `envs_dirs` that holds an
// environment NAME; else the first of `envs_dirs` (where a new one goes). An empty
// `envs_dirs` means {<root>/envs}. Errors: a bad name (check_environment_name).
[[nodiscard]] Result<std::filesystem::path> named_prefix(
    const std::filesystem::path& root, const std::vector<std::filesystem::path>& envs_dirs,
    std::string_view name);

// What the user picked with -n/-p.
struct PrefixChoice {
  std::string name;               // -n
  std::filesystem::path path;     // -p
  std::string root_prefix_flag;   // --root-prefix
  std::vector<std::filesystem::path> envs_dirs;  // where names live; empty: <root>/envs
};

// Resolves -n/-p to an existing environment (a directory with conda-meta/). With neither
// flag: $CONDA_PREFIX (the active environment). Errors: kInvalidArgument (both flags, no
// flag and no active env, bad name), kNotFound "environment 'x' does not exist at /r/envs/x"
// with a did-you-mean hint listing the nearest known name.
[[nodiscard]] Result<std::filesystem::path> resolve_existing_prefix(
    const PrefixChoice& choice, const Environment& environment);

// Names of the environments under <root>/envs (directories holding conda-meta/), sorted.
[[nodiscard]] std::vector<std::string> environment_names(const std::filesystem::path& root);
// The same over several envs dirs, sorted, without duplicates.
[[nodiscard]] std::vector<std::string> environment_names(
    const std::vector<std::filesystem::path>& envs_dirs);

// ~/.conda/environments.txt. kInvalidArgument without HOME.
[[nodiscard]] Result<std::filesystem::path> environments_registry(const Environment& environment);

// Adds `prefix` (absolute, lexically normal) to the registry unless a line already names
// it; creates the file and ~/.conda when absent. Errors: kIo.
[[nodiscard]] Status register_environment(const std::filesystem::path& registry,
                                          const std::filesystem::path& prefix);
// Removes every line naming `prefix`. A missing registry is not an error.
[[nodiscard]] Status unregister_environment(const std::filesystem::path& registry,
                                            const std::filesystem::path& prefix);

// Every environment graft knows, as conda's `env list` gathers them: the root prefix when it
// is an environment, the environments under <root>/envs, and the registry's lines that still
// name an environment (a directory with conda-meta/). Absolute, lexically normal, sorted,
// without duplicates. `registry` may be empty or missing. Reads only.
[[nodiscard]] std::vector<std::filesystem::path> known_environments(
    const std::filesystem::path& root, const std::filesystem::path& registry,
    const std::vector<std::filesystem::path>& envs_dirs = {});

// `path` made absolute (against the working directory), lexically normal, without a
// trailing '/': the form the registry and these functions compare prefixes in.
[[nodiscard]] std::filesystem::path normal_prefix(const std::filesystem::path& path);

// The active environment: $CONDA_PREFIX as a normal_prefix(), nullopt when unset or empty.
[[nodiscard]] std::optional<std::filesystem::path> active_prefix(const Environment& environment);

// The name conda shows for `prefix`: "base" for the root prefix, the directory name of an
// environment under <root>/envs or one of `envs_dirs`, "" for one elsewhere. Compares
// lexically normal paths.
[[nodiscard]] std::string environment_name(
    const std::filesystem::path& root, const std::filesystem::path& prefix,
    const std::vector<std::filesystem::path>& envs_dirs = {});

// What `conda env list --json` (26) says of each environment in "envs_details".
struct EnvironmentDetails {
  std::string name;                     // environment_name(root, prefix, envs_dirs)
  std::optional<double> created;        // conda-meta/created_at (seconds since the epoch)
  std::optional<double> last_modified;  // mtime of conda-meta/history, else of conda-meta/
  bool frozen = false;                  // conda-meta/frozen exists (CEP 22)
  bool writable = false;                // this user may write conda-meta/
};

// Reads the details of the environment at `prefix` (missing files leave fields unset).
[[nodiscard]] EnvironmentDetails environment_details(
    const std::filesystem::path& root, const std::filesystem::path& prefix,
    const std::vector<std::filesystem::path>& envs_dirs = {});

// Python's datetime.fromtimestamp(seconds).isoformat(): local time,
// "2026-12-02T15:30:12.256741" (no fraction when it is zero).
[[nodiscard]] std::string iso_local_time(double seconds);

// Deletes the environment at `prefix` so that no half-removed environment is ever visible:
// renames it to a hidden ".graft-trash-<name>-*" directory beside it, unregisters it from
// `registry` (when not empty), then deletes the trash, conda-meta first. Checks nothing
// else (frozen, root prefix, active): callers do. Errors: those of the rename (kNotFound,
// kIo), after which nothing changed; kIo from a later step, when the environment is gone
// and the message names what is left to delete by hand.
[[nodiscard]] Status remove_environment(const std::filesystem::path& prefix,
                                        const std::filesystem::path& registry);

}  // namespace graft::env
