#include "experiment/recording.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/subprocess.h"
#include "proxy/access_log.h"

namespace graft::experiment {
namespace {

using Json = nlohmann::ordered_json;

Result<RecordedRun> load_recorded(registry::Registry& registry, const ExperimentSpec& spec) {
  GRAFT_ASSIGN_OR_RETURN(registry::ExperimentRecord record, registry.load(spec.name));
  const registry::Experiment& experiment = record.experiment;
  if (registry::is_final(experiment.state)) {
    return fail(ErrorCode::kConflict,
                fmt::format("experiment '{}' has ended ({}): there is nothing to resume",
                            experiment.name, registry::state_name(experiment.state)));
  }
  if (controller_running(experiment)) {
    return fail(ErrorCode::kConflict,
                fmt::format("experiment '{}' is still running (process {}, admin {}): stop it "
                            "first with 'graft exp stop {}'",
                            experiment.name, experiment.controller->pid,
                            experiment.controller->admin_address, experiment.name));
  }
  const bool resumed = experiment.state != registry::ExperimentState::kStarting;
  GRAFT_ASSIGN_OR_RETURN(
      Controller controller,
      resumed ? Controller::resume(controller_plan(spec), from_registry(experiment.state),
                                   experiment.step, experiment.weights)
              : Controller::create(controller_plan(spec)));
  return RecordedRun{.id = experiment.id,
                     .salt = experiment.salt,
                     .started_at = experiment.created,
                     .resumed = resumed,
                     .controller = std::move(controller)};
}

}  // namespace

registry::ExperimentState to_registry(State state) {
  switch (state) {
    case State::kStarting: return registry::ExperimentState::kStarting;
    case State::kRunning: return registry::ExperimentState::kRunning;
    case State::kPaused: return registry::ExperimentState::kPaused;
    case State::kRolledBack: return registry::ExperimentState::kRolledBack;
    case State::kPromoted: return registry::ExperimentState::kPromoted;
    case State::kStopped: return registry::ExperimentState::kStopped;
    case State::kFailed: return registry::ExperimentState::kFailed;
  }
  return registry::ExperimentState::kFailed;
}

State from_registry(registry::ExperimentState state) {
  switch (state) {
    case registry::ExperimentState::kStarting: return State::kStarting;
    case registry::ExperimentState::kRunning: return State::kRunning;
    case registry::ExperimentState::kPaused: return State::kPaused;
    case registry::ExperimentState::kRolledBack: return State::kRolledBack;
    case registry::ExperimentState::kPromoted: return State::kPromoted;
    case registry::ExperimentState::kStopped: return State::kStopped;
    case registry::ExperimentState::kFailed: return State::kFailed;
  }
  return State::kFailed;
}

registry::Action to_registry(Action action) {
  switch (action) {
    case Action::kHold: return registry::Action::kHold;
    case Action::kAdvance: return registry::Action::kAdvance;
    case Action::kRollback: return registry::Action::kRollback;
    case Action::kPromote: return registry::Action::kPromote;
    case Action::kPause: return registry::Action::kPause;
    case Action::kResume: return registry::Action::kResume;
    case Action::kSetWeight: return registry::Action::kSetWeight;
    case Action::kStop: return registry::Action::kStop;
  }
  return registry::Action::kStop;
}

ControllerPlan controller_plan(const ExperimentSpec& spec) {
  ControllerPlan plan{.steps = spec.rollout.steps,
                      .min_requests = spec.rollout.min_requests,
                      .alpha = spec.analysis.alpha,
                      .error_rate_max_delta = spec.analysis.error_rate_max_delta,
                      .latency_p99_max_ratio = spec.analysis.latency_p99_max_ratio};
  for (const VariantSpec& variant : spec.variants) plan.variants.push_back(variant.name);
  return plan;
}

Result<RecordedRun> record_run(registry::Registry& registry, const RunnerOptions& options,
                               registry::Time now) {
  const ExperimentSpec& spec = options.spec;
  if (options.resume) return load_recorded(registry, spec);
  registry::NewExperiment record{.name = spec.name,
                                 .spec = options.spec_text,
                                 .salt = spec.route.salt,
                                 .dataset = spec.record.dataset,
                                 .created = now};
  if (!spec.record.code.empty()) {
    record.code = read_code_version(resolve_spec_path(options.spec_dir, spec.record.code));
  }
  for (std::size_t i = 0; i < spec.variants.size(); ++i) {
    const VariantSpec& variant = spec.variants[i];
    const VariantEnvironment& env = options.environments[i];
    record.weights[variant.name] = i == 0 ? 100 : 0;
    record.variants.push_back({.name = variant.name,
                               .env_name = variant.env,
                               .prefix = env.prefix.string(),
                               .environment = env.environment,
                               .lock = env.lock,
                               .command = variant.command,
                               .replicas = variant.replicas});
  }
  auto created = registry.create_experiment(record);
  if (!created) {
    if (created.error().code() != ErrorCode::kAlreadyExists) return fail(created.error());
    auto existing = registry.find(spec.name);
    const std::string state =
        existing ? std::string(registry::state_name(existing->state)) : "unknown";
    return fail(ErrorCode::kAlreadyExists,
                fmt::format("an experiment named '{}' is already recorded (state: {}): resume "
                            "it with 'graft exp resume {}', or give the spec a new name",
                            spec.name, state, spec.name));
  }
  GRAFT_ASSIGN_OR_RETURN(Controller controller, Controller::create(controller_plan(spec)));
  return RecordedRun{.id = created->id,
                     .salt = created->salt,
                     .started_at = now,
                     .controller = std::move(controller)};
}

bool controller_running(const registry::Experiment& experiment) {
  if (!experiment.controller || experiment.controller->pid <= 0) return false;
  const auto pid = static_cast<pid_t>(experiment.controller->pid);
  if (pid == ::getpid()) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  // A zombie (killed, not yet reaped by whoever adopted it) runs nothing.
  auto stat = base::read_file(fmt::format("/proc/{}/stat", pid));
  if (stat) {
    const auto close = stat->rfind(')');
    if (close != std::string::npos && close + 2 < stat->size() && (*stat)[close + 2] == 'Z') {
      return false;
    }
  }
  return true;
}

nlohmann::ordered_json status_json(const registry::ExperimentRecord& record) {
  const registry::Experiment& e = record.experiment;
  Json weights = Json::object();
  for (const auto& [name, weight] : e.weights) weights[name] = weight;
  Json decisions = Json::array();
  for (const registry::Decision& d : record.decisions) {
    Json metrics = Json::parse(d.metrics, nullptr, false);
    decisions.push_back({{"at", proxy::format_rfc3339_ms(std::chrono::system_clock::time_point(
                                    std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                        d.at.time_since_epoch())))},
                         {"action", registry::action_name(d.action)},
                         {"reason", d.reason},
                         {"metrics", metrics.is_discarded() ? Json::object() : metrics},
                         {"manual", d.origin == registry::DecisionOrigin::kManual}});
  }
  Json controller = nullptr;
  if (e.controller) {
    controller = {{"pid", e.controller->pid}, {"admin", e.controller->admin_address}};
  }
  return Json{{"name", e.name},         {"state", registry::state_name(e.state)},
              {"step", e.step},         {"weights", weights},
              {"decisions", decisions}, {"controller", controller}};
}

registry::CodeVersion read_code_version(const std::filesystem::path& path) {
  registry::CodeVersion code{.repository = path.string()};
  auto git = [&](std::vector<std::string> args) -> std::optional<std::string> {
    args.insert(args.begin(), {"git", "-C", path.string()});
    auto result = base::run_process({.argv = std::move(args),
                                     .stderr_mode = base::OutputMode::kDiscard,
                                     .timeout = std::chrono::milliseconds(10'000)});
    if (!result || result->exit_code != 0) return std::nullopt;
    std::string out = result->stdout_text;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  };
  if (auto top = git({"rev-parse", "--show-toplevel"})) code.repository = *top;
  if (auto commit = git({"rev-parse", "HEAD"})) {
    code.commit = *commit;
    if (auto status = git({"status", "--porcelain", "--untracked-files=no"})) {
      code.dirty = !status->empty();
    }
  }
  return code;
}

std::filesystem::path resolve_spec_path(const std::filesystem::path& spec_dir,
                                        const std::string& path) {
  if (path.empty() || path == "-") return path;
  std::filesystem::path p(path);
  return p.is_absolute() ? p : spec_dir / p;
}

}  // namespace graft::experiment
