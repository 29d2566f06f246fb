// What the `graft exp` verbs share: the graft root, the registry, and the admin API of a
// running experiment. No printing here.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "cli/route_admin.h"
#include "registry/registry.h"

namespace graft::cli {

// The root prefix (--root-prefix, condarc, default): graft.db and experiments/ live there.
[[nodiscard]] Result<std::filesystem::path> graft_root(const std::string& root_prefix_flag);
[[nodiscard]] Result<registry::Registry> open_registry(const std::filesystem::path& root);
[[nodiscard]] Result<registry::ExperimentRecord> load_record(const std::filesystem::path& root,
                                                             const std::string& name);

// `<root>/experiments/NAME/spec_path`: the absolute path of the spec a run started from;
// its directory is where the spec's relative paths (token_file, record.code) resolve.
[[nodiscard]] std::filesystem::path spec_path_file(const std::filesystem::path& root,
                                                   const std::string& name);
[[nodiscard]] std::filesystem::path recorded_spec_dir(const std::filesystem::path& root,
                                                      const std::string& name);

// Whether the process recorded as running the experiment is alive.
[[nodiscard]] bool controller_alive(const registry::Experiment& experiment);

// The admin API of a running experiment, with the spec's bearer token. kConflict when it is
// not running ("... carry it on with 'graft exp resume NAME'").
[[nodiscard]] Result<AdminTarget> running_target(const std::filesystem::path& root,
                                                 const registry::ExperimentRecord& record);

// "graft: <line>" on stderr, flushed: how `graft exp` reports progress.
void print_line(std::string_view line);

// Runs this graft binary with `args` (create --clone, env freeze, env remove, create
// --file): the same code, locks and checks as when a person types them. kConflict with the
// command's error when it fails.
[[nodiscard]] Status run_self(std::vector<std::string> args, const std::string& root_prefix_flag);

// The report of an experiment: live from its admin API while it runs, else the report.json
// written when it ended. kNotFound before there is one.
[[nodiscard]] Result<nlohmann::ordered_json> recorded_report(
    const std::filesystem::path& root, const registry::ExperimentRecord& record);

}  // namespace graft::cli
