// The registry side of a run: recording a new experiment (or loading a recorded one to
// resume it), the controller's states and actions as the registry spells them, and the
// views of a recorded experiment that `graft exp` shows.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "experiment/controller.h"
#include "experiment/runner.h"
#include "registry/registry.h"

namespace graft::experiment {

// The controller's enums and the registry's list the same states and actions in the same
// order; these keep them in step.
[[nodiscard]] registry::ExperimentState to_registry(State state);
[[nodiscard]] registry::Action to_registry(Action action);
[[nodiscard]] State from_registry(registry::ExperimentState state);

// The controller's plan for `spec`: its steps, thresholds and variants (baseline first).
[[nodiscard]] ControllerPlan controller_plan(const ExperimentSpec& spec);

// An experiment as the registry holds it when a run starts.
struct RecordedRun {
  registry::ExperimentId id = 0;
  std::string salt;           // the sticky hash's, as recorded
  registry::Time started_at;  // when the experiment was first recorded
  bool resumed = false;       // carried on past its start: the controller resumed
  Controller controller;      // new, or resumed at the recorded step and weights
};

// Records options.spec as a new experiment with its variants' environments and the code
// version, or (options.resume) loads the recorded one. Errors: kAlreadyExists (a recorded
// experiment of that name), kNotFound (resuming an unknown one), kConflict (resuming one
// that ended or whose process still runs), registry errors.
[[nodiscard]] Result<RecordedRun> record_run(registry::Registry& registry,
                                             const RunnerOptions& options, registry::Time now);

// Whether the process recorded as running `experiment` is alive (not this process, not a
// zombie).
[[nodiscard]] bool controller_running(const registry::Experiment& experiment);

// The status JSON of a recorded experiment, as `graft exp status --json` prints it:
// {"name", "state", "step", "weights": {...}, "decisions": [{"at", "action", "reason",
// "metrics"}], "controller": {"pid", "admin"} or null}.
[[nodiscard]] nlohmann::ordered_json status_json(const registry::ExperimentRecord& record);

// The commit of the git work tree at `path` and whether it has uncommitted changes; an
// empty commit when `path` is not in a git work tree (or git is missing).
[[nodiscard]] registry::CodeVersion read_code_version(const std::filesystem::path& path);

// `path` (a spec's relative path) against the spec's directory; "" and "-" unchanged.
[[nodiscard]] std::filesystem::path resolve_spec_path(const std::filesystem::path& spec_dir,
                                                      const std::string& path);

}  // namespace graft::experiment
