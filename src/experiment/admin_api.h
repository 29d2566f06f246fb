// The experiment's admin API: the HTTP routes `graft exp` and the dashboard call on a
// running experiment, turned into calls on an ExperimentControl (the runner). Parses and
// checks request bodies, maps errors to status codes; holds no state of its own.
//
//   GET  /experiment                 status JSON (status_json) with "listen" and "swap"
//   POST /experiment/pause           POST /experiment/resume      POST /experiment/stop
//   POST /experiment/promote         POST /rollback (and /experiment/rollback)
//   PUT  /weights {"t": 20}          one variant's weight in percent
//   POST /feedback                   outcome values (traffic.h parse_feedback)
//   GET  /experiment/report          the report JSON of the run so far
//   POST /experiment/swap            {"variant", "prefix", "env_name", "display_name",
//                                    "command", "environment", "lock"}: 202 while the new
//                                    replicas start
// Thread-safety: the routes run on the admin thread; ExperimentControl must be safe to
// call from it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "experiment/controller.h"
#include "experiment/runner.h"
#include "proxy/admin_route.h"

namespace graft::experiment {

// A command a person gives a running experiment; always wins over the controller.
struct ManualCommand {
  Action action = Action::kPause;  // kPause, kResume, kPromote, kStop, kRollback or kSetWeight
  std::string reason;              // kRollback: why ("rolled back by hand" when empty)
  std::string variant;             // kSetWeight: which variant
  std::uint32_t weight = 0;        // kSetWeight: its weight in percent
};

// A hot swap: `variant`'s replicas move to another environment (and command).
struct SwapRequest {
  std::string variant;
  VariantEnvironment environment;  // prefix required
  std::string env_name;            // as recorded; "" = the prefix
  std::string command;             // "" = the variant's command from the spec
};

// What the admin API asks of a running experiment.
class ExperimentControl {
 public:
  virtual ~ExperimentControl() = default;
  // Puts the command's decision into force. Errors: kConflict (not allowed in this state).
  [[nodiscard]] virtual Result<Decision> decide(const ManualCommand& command) = 0;
  // status_json() of the record with "listen" (the proxy's host:port) and "swap".
  [[nodiscard]] virtual Result<nlohmann::ordered_json> status() = 0;
  // The report of the run so far (the analyze shape plus "feedback").
  [[nodiscard]] virtual Result<nlohmann::ordered_json> report() = 0;
  // Stores outcome values (parse_feedback's input); returns how many were accepted.
  [[nodiscard]] virtual Result<std::int64_t> feedback(std::string_view body) = 0;
  // Starts a hot swap in the background. Errors: kNotFound (variant), kConflict (a swap in
  // progress, or the experiment ended), kInvalidArgument (command).
  [[nodiscard]] virtual Status start_swap(SwapRequest request) = 0;
};

// The routes above, calling `control` (which must outlive them).
[[nodiscard]] std::vector<proxy::AdminRoute> experiment_admin_routes(ExperimentControl& control);

// A decision as the admin API returns it: action, reason, step, weights, manual.
[[nodiscard]] nlohmann::ordered_json decision_json(const Decision& decision);

}  // namespace graft::experiment
