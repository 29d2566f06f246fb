// The experiment controller: a pure state machine over observations and time. At the end
// of each step's window it takes exactly one decision and says why, with the numbers:
//   - rollback: a treatment failed (its replicas kept exiting), or a guardrail is breached
//     with evidence (below); all traffic goes to the baseline and the experiment ends
//     rolled_back. Guardrails are checked before min_requests: a breach needs no more data
//     than its evidence.
//   - hold: fewer than min_requests in a variant this window, or a sample ratio mismatch
//     (distinct users per variant against the weights in force, p < 0.001);
//   - advance: to the next step's weight;
//   - promote: the last step passed; the experiment ends promoted.
// Manual commands (pause, resume, set_weight, rollback, promote, stop) always win and are
// decisions too; after a rollback or promotion nothing moves the weights again.
//
// Evidence. The controller looks every window, so a fixed-horizon test would raise false
// alarms. The error-rate guardrail uses the always-valid confidence sequence of
// stats/sequential.h twice: on everything seen since the experiment started, at alpha/2,
// and on the current window alone, window k at alpha/2 * 6/(pi^2 k^2) (the windows' shares
// sum to at most alpha/2, however many windows a run has): it rolls back when either
// interval lies wholly above max_delta. The run's totals catch a small steady excess; the
// window catches a treatment that starts failing late, whose errors the healthy traffic
// before would dilute in the totals (when the window gives the baseline no traffic, as a
// last step of 100% does, its treatment is compared with the run's baseline). Being always valid,
// both are also checked between windows (watch()), as often as the caller looks. The latency
// guardrail rolls back when the window's p99 ratio exceeds max_ratio and the treatment's latencies
// are stochastically larger (Mann-Whitney, one-sided) at alpha divided by the number of steps
// (Bonferroni over the planned looks), with at least min_requests in each variant and at least
// kP99Requests: a nearest-rank p99 of fewer than 100 values is the slowest one, so one
// slow request of a 1% canary would decide.
//
// Thread-safety: none; one controller per experiment, driven by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "stats/report.h"

namespace graft::experiment {

enum class State { kStarting, kRunning, kPaused, kRolledBack, kPromoted, kStopped, kFailed };
enum class Action { kHold, kAdvance, kRollback, kPromote, kPause, kResume, kSetWeight, kStop };

[[nodiscard]] std::string_view state_name(State state);     // "running", "rolled_back", ...
[[nodiscard]] std::string_view action_name(Action action);  // "hold", "set_weight", ...

using Weights = std::map<std::string, std::uint32_t, std::less<>>;

// The fewest requests per variant and window for which the p99 guardrail is checked.
inline constexpr std::uint64_t kP99Requests = 100;

struct ControllerPlan {
  std::vector<std::string> variants;  // the first is the baseline; at least two
  std::vector<std::uint32_t> steps;   // each treatment's weight in percent, step by step
  std::uint64_t min_requests = 200;   // per variant and window
  double alpha = 0.05;
  std::optional<double> error_rate_max_delta;   // treatment minus baseline, absolute
  std::optional<double> latency_p99_max_ratio;  // treatment p99 / baseline p99
};

// What the proxy and the supervisor saw. Variants in plan order (baseline first).
struct Observation {
  std::vector<stats::VariantInput> window;  // since the current window began
  std::vector<stats::VariantInput> total;   // since the experiment began
  std::set<std::string> failed;             // variants whose replicas failed
  // 1 for the run's first window, counting every window begun (its share of alpha).
  int window_number = 1;
};

struct Decision {
  std::chrono::system_clock::time_point at;
  Action action = Action::kHold;
  std::string reason;
  nlohmann::json metrics = nlohmann::json::object();  // the numbers behind it
  bool manual = false;
  int step = 0;     // the step index in force after the decision
  Weights weights;  // the weights in force after the decision
};

class Controller {
 public:
  // Errors: kInvalidArgument for fewer than two variants, no steps, a step above 100, or
  // steps whose treatments' weights add up to more than 100.
  [[nodiscard]] static Result<Controller> create(ControllerPlan plan);
  // A controller carrying on where a recorded run stopped (graft exp resume).
  [[nodiscard]] static Result<Controller> resume(ControllerPlan plan, State state, int step,
                                                 Weights weights);

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] int step() const { return step_; }
  [[nodiscard]] const Weights& weights() const { return weights_; }
  // Whether evaluate() will decide anything (running, not paused or finished).
  [[nodiscard]] bool active() const { return state_ == State::kRunning; }

  // The replicas are ready and the proxy serves the first step.
  void start();
  // The end of a window: one decision, or nullopt when the controller is not active.
  [[nodiscard]] std::optional<Decision> evaluate(const Observation& observation,
                                                 std::chrono::system_clock::time_point now);
  // Between windows, as often as the caller likes: only what stays valid under continuous
  // monitoring (a failed variant; the error-rate guardrail's always-valid interval), so a
  // breach is rolled back as soon as its evidence suffices, not at the window's end.
  // nullopt when nothing is wrong (or the controller is not active).
  [[nodiscard]] std::optional<Decision> watch(const Observation& observation,
                                              std::chrono::system_clock::time_point now);

  // Manual commands. Errors: kConflict when the experiment has ended (or, for resume,
  // is not paused); kInvalidArgument for an unknown variant or a weight above 100.
  [[nodiscard]] Result<Decision> pause(std::chrono::system_clock::time_point now);
  [[nodiscard]] Result<Decision> resume_running(std::chrono::system_clock::time_point now);
  [[nodiscard]] Result<Decision> set_weight(const std::string& variant, std::uint32_t weight,
                                            std::chrono::system_clock::time_point now);
  [[nodiscard]] Result<Decision> rollback(std::string reason,
                                          std::chrono::system_clock::time_point now);
  [[nodiscard]] Result<Decision> promote(std::chrono::system_clock::time_point now);
  [[nodiscard]] Result<Decision> stop(std::chrono::system_clock::time_point now);

 private:
  explicit Controller(ControllerPlan plan) : plan_(std::move(plan)) {}
  [[nodiscard]] Weights step_weights(int step) const;
  [[nodiscard]] Weights all_to(const std::string& variant) const;
  [[nodiscard]] bool ended() const;
  [[nodiscard]] Decision decide(Action action, std::string reason, nlohmann::json metrics,
                                std::chrono::system_clock::time_point now, bool manual);
  // All traffic to the baseline; the experiment ends rolled_back.
  [[nodiscard]] Decision roll_back(std::string reason, nlohmann::json metrics,
                                   std::chrono::system_clock::time_point now, bool manual);
  [[nodiscard]] std::optional<Decision> check_error_rate(const Observation& observation,
                                                         std::chrono::system_clock::time_point now);
  [[nodiscard]] std::optional<Decision> check_latency(const Observation& observation,
                                                      std::chrono::system_clock::time_point now);

  ControllerPlan plan_;
  State state_ = State::kStarting;
  int step_ = 0;
  Weights weights_;
};

}  // namespace graft::experiment
