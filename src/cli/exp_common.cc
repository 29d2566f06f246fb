#include "cli/exp_common.h"

#include <signal.h>

#include <cerrno>

#include <fmt/core.h>

#include "base/fs.h"
#include "cli/settings.h"
#include "experiment/runner.h"
#include "experiment/spec.h"

namespace graft::cli {

namespace fs = std::filesystem;

Result<fs::path> graft_root(const std::string& root_prefix_flag) {
  GRAFT_ASSIGN_OR_RETURN(Settings settings, load_settings(root_prefix_flag));
  return settings.root_prefix;
}

Result<registry::Registry> open_registry(const fs::path& root) {
  return registry::Registry::open(root / registry::kFileName);
}

// Where the spec of a started experiment lives (its relative paths resolve there).
fs::path spec_path_file(const fs::path& root, const std::string& name) {
  return experiment::experiment_dir(root, name) / "spec_path";
}

fs::path recorded_spec_dir(const fs::path& root, const std::string& name) {
  auto text = base::read_file(spec_path_file(root, name));
  if (!text || text->empty()) return fs::current_path();
  return fs::path(*text).parent_path();
}

Result<registry::ExperimentRecord> load_record(const fs::path& root, const std::string& name) {
  GRAFT_ASSIGN_OR_RETURN(registry::Registry registry, open_registry(root));
  return registry.load(name);
}

bool controller_alive(const registry::Experiment& experiment) {
  return experiment::controller_running(experiment);
}

// The admin API of a running experiment, with the spec's token.
Result<AdminTarget> running_target(const fs::path& root, const registry::ExperimentRecord& record) {
  const registry::Experiment& experiment = record.experiment;
  if (!controller_alive(experiment)) {
    return fail(ErrorCode::kConflict,
                fmt::format("experiment '{}' is not running (state: {}){}", experiment.name,
                            registry::state_name(experiment.state),
                            registry::is_final(experiment.state)
                                ? ""
                                : fmt::format(": carry it on with 'graft exp resume {}'",
                                              experiment.name)));
  }
  AdminTarget target{.address = experiment.controller->admin_address};
  auto spec = experiment::parse_experiment_spec(experiment.spec, "experiment.yml");
  if (spec && !spec->route.token_file.empty()) {
    fs::path token_file = spec->route.token_file;
    if (token_file.is_relative())
      token_file = recorded_spec_dir(root, experiment.name) / token_file;
    GRAFT_ASSIGN_OR_RETURN(std::string token, base::read_file(token_file));
    while (!token.empty() &&
           (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
      token.pop_back();
    }
    target.token = token;
  }
  return target;
}

}  // namespace graft::cli
