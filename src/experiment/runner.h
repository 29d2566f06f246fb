// Runs one experiment end to end in this process (`graft exp start` and `graft exp resume`):
//   1. records it in the registry (`<root>/graft.db`) with each variant's exact environment,
//      lock, the code commit and the dataset (or, resuming, loads what was recorded);
//   2. starts every variant's replicas inside its environment, activated as `graft run`
//      does, with the spec's `vars`, logs in `<root>/experiments/NAME/logs/VARIANT-N.log`
//      (supervise/), and waits until each is ready;
//   3. opens the proxy at the first step's weights (or the recorded ones), its access log
//      at `<root>/experiments/NAME/access.jsonl`, with the experiment's admin routes;
//   4. follows the access log: every request becomes an assignment in the registry and
//      counts in the current window and the run's totals; at the end of each window the
//      controller decides (controller.h), the proxy gets the new weights in one swap, and
//      the decision is recorded with its numbers;
//   5. ends when the controller rolls back or promotes, on a manual stop, or when
//      `interrupted` is set (Ctrl-C): the proxy drains, every replica is stopped, the final
//      report is written to `<root>/experiments/NAME/report.json`.
//
// Its admin API routes (besides the proxy's own) are experiment/admin_api.h's; PUT /weights
// and POST /rollback become the experiment's manual decisions.
//
// Thread-safety: run_experiment blocks the calling thread until the experiment ends.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "experiment/spec.h"
#include "registry/records.h"

namespace graft::experiment {

// A variant's environment, resolved by the caller.
struct VariantEnvironment {
  std::filesystem::path prefix;
  std::string display_name;  // CONDA_DEFAULT_ENV: the name, or the prefix
  std::string environment;   // exported environment.yml (exact)
  std::string lock;          // @EXPLICIT lock with sha256
};

struct RunnerOptions {
  std::filesystem::path root;  // the graft root: graft.db and experiments/
  ExperimentSpec spec;
  std::string spec_text;           // as written, recorded
  std::filesystem::path spec_dir;  // relative token_file, access_log, record.code resolve here
  std::vector<VariantEnvironment> environments;         // one per spec variant, in order
  std::map<std::string, std::string> base_environment;  // replicas start from this
  bool resume = false;  // carry on a recorded experiment instead of creating one
  // Lines for the person watching ("step 2 (10%): advance: ..."); may be empty.
  std::function<void(std::string_view)> report;
  // Set (from a signal handler) to end the experiment: stop, drain, stop replicas.
  const std::atomic<bool>* interrupted = nullptr;
  const base::Clock* clock = nullptr;  // default: the real clock
  // How often the access log is read between windows.
  std::chrono::milliseconds poll_interval{200};
};

struct RunOutcome {
  registry::ExperimentState state = registry::ExperimentState::kStopped;
  std::string reason;  // the last decision's
  std::filesystem::path report_path;
};

// Errors: kAlreadyExists (a recorded experiment of that name, when not resuming),
// kNotFound/kConflict (resuming one that is unknown, or ended, or still running),
// kUnavailable (replicas not ready; the experiment is recorded failed), kIo, and the
// proxy's start errors (address in use). Every process started is stopped on return.
[[nodiscard]] Result<RunOutcome> run_experiment(const RunnerOptions& options);

// `<root>/experiments/NAME`.
[[nodiscard]] std::filesystem::path experiment_dir(const std::filesystem::path& root,
                                                   std::string_view name);

}  // namespace graft::experiment
