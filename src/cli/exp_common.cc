#include "cli/exp_common.h"

#include <signal.h>

#include <cerrno>
#include <cstdio>

#include <fmt/core.h>

#include "base/fs.h"
#include "base/subprocess.h"
#include "cli/settings.h"
#include "experiment/recording.h"
#include "experiment/runner.h"
#include "experiment/spec.h"

namespace graft::cli {

namespace fs = std::filesystem;

Result<fs::path> graft_root(const std::string& root_prefix_flag) {
  GRAFT_ASSIGN_OR_RETURN(env::Settings settings, env::load_settings(root_prefix_flag));
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

void print_line(std::string_view line) {
  std::fprintf(stderr, "graft: %.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(stderr);
}

// Runs this graft binary with `args` (create --clone, env freeze, env remove): the same
// code, locks and checks as when a person types them.
Status run_self(std::vector<std::string> args, const std::string& root_prefix_flag) {
  args.insert(args.begin(), "/proc/self/exe");
  if (!root_prefix_flag.empty()) {
    args.push_back("--root-prefix");
    args.push_back(root_prefix_flag);
  }
  std::string shown;
  for (std::size_t i = 1; i < args.size(); ++i) shown += (i > 1 ? " " : "") + args[i];
  GRAFT_ASSIGN_OR_RETURN(base::ProcessResult result,
                         base::run_process({.argv = args,
                                            .stdout_mode = base::OutputMode::kDiscard,
                                            .stderr_mode = base::OutputMode::kCapture}));
  if (result.exit_code != 0) {
    std::string why = result.stderr_text;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return fail(ErrorCode::kConflict, fmt::format("'graft {}' failed: {}", shown, why));
  }
  print_line(fmt::format("graft {}", shown));
  return ok();
}

Result<nlohmann::ordered_json> recorded_report(const fs::path& root,
                                               const registry::ExperimentRecord& record) {
  if (controller_alive(record.experiment)) {
    GRAFT_ASSIGN_OR_RETURN(AdminTarget target, running_target(root, record));
    GRAFT_ASSIGN_OR_RETURN(nlohmann::json reply, call_admin(target, "GET", "/experiment/report"));
    return nlohmann::ordered_json::parse(reply.dump());
  }
  const fs::path path = experiment::experiment_dir(root, record.experiment.name) / "report.json";
  auto text = base::read_file(path);
  if (!text) {
    return fail(ErrorCode::kNotFound,
                fmt::format("experiment '{}' has no report yet ({} is missing): it is written "
                            "when the experiment ends",
                            record.experiment.name, path.string()));
  }
  nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(*text, nullptr, false);
  if (!parsed.is_object()) {
    return fail(ErrorCode::kCorrupt, fmt::format("'{}' is not a report", path.string()));
  }
  return parsed;
}

}  // namespace graft::cli
