// The value types the registry stores and returns: experiments, their variants, steps and
// decisions, and the traffic they see (assignments of requests to variants, and the
// outcomes posted back for them). Plain structs, copied in and out; no SQL here.
//
// Times are passed in by the caller (the registry reads no clock), as microseconds since
// the Unix epoch, so tests and replays are exact.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace graft::registry {

using Time = std::chrono::sys_time<std::chrono::microseconds>;
using Duration = std::chrono::microseconds;

// Microseconds since the epoch, and back: the form stored in the database.
[[nodiscard]] inline std::int64_t to_micros(Time time) {
  return time.time_since_epoch().count();
}
[[nodiscard]] inline Time from_micros(std::int64_t micros) {
  return Time(Duration(micros));
}
// A wall-clock reading (base::Clock::wall()) as a registry time, rounded down to the µs.
[[nodiscard]] inline Time registry_time(std::chrono::system_clock::time_point wall) {
  return std::chrono::floor<Duration>(wall);
}

// [from, to): half-open, so consecutive windows never count a row twice.
struct TimeRange {
  Time from;
  Time to;
};

enum class ExperimentState {
  kStarting,    // replicas starting, proxy not open yet
  kRunning,     // the controller is stepping through the rollout
  kPaused,      // a person paused it: weights stay, no automatic decision
  kRolledBack,  // final: all traffic back on the baseline
  kPromoted,    // final: the last step passed
  kStopped,     // final: stopped by a person
  kFailed,      // final: graft could not run it (replicas never ready, ...)
};
// "starting", "running", "paused", "rolled_back", "promoted", "stopped", "failed".
[[nodiscard]] std::string_view state_name(ExperimentState state);
// kInvalidArgument for any other text, naming the allowed ones.
[[nodiscard]] Result<ExperimentState> parse_state(std::string_view text);
// True for the states an experiment never leaves (rolled_back, promoted, stopped, failed).
[[nodiscard]] bool is_final(ExperimentState state);

enum class Action { kHold, kAdvance, kRollback, kPromote, kPause, kResume, kSetWeight, kStop };
// "hold", "advance", "rollback", "promote", "pause", "resume", "set_weight", "stop".
[[nodiscard]] std::string_view action_name(Action action);
[[nodiscard]] Result<Action> parse_action(std::string_view text);

// Who took a decision: the controller at the end of a window, or a person's command.
enum class DecisionOrigin { kController, kManual };

// Variant name -> weight, as the route table takes them.
using Weights = std::map<std::string, std::uint32_t, std::less<>>;

// The process running an experiment, for other commands to find and talk to it.
struct Controller {
  std::int64_t pid = 0;
  std::string admin_address;  // host:port of its admin API
};

// The code the experiment ran, from `record.code`.
struct CodeVersion {
  std::string repository;  // the work tree's path or remote
  std::string commit;      // full hash; empty when not a git work tree
  bool dirty = false;      // uncommitted changes at start
};

struct Variant {
  std::string name;
  std::string env_name;            // the graft environment's name (or path)
  std::string prefix;              // its absolute prefix
  std::string environment;         // exported environment.yml text
  std::string environment_sha256;  // computed by the registry from `environment`
  std::string lock;                // @EXPLICIT lock text
  std::string lock_sha256;         // computed by the registry from `lock`
  std::string command;             // with its "{port}" placeholder
  std::uint32_t replicas = 1;
};

using ExperimentId = std::int64_t;

struct NewExperiment {
  std::string name;  // unique among all experiments
  std::string spec;  // experiment.yml as written
  std::string salt;
  Weights weights;  // before the first step: usually all on the baseline
  CodeVersion code;
  std::string dataset;            // free text from `record.dataset`
  std::vector<Variant> variants;  // the baseline first; at least one
  Time created;
};

struct Experiment {
  ExperimentId id = 0;
  std::string name;
  std::string spec;
  ExperimentState state = ExperimentState::kStarting;
  std::int32_t step = -1;  // index into rollout.steps; -1 before the first step
  Weights weights;
  std::string salt;
  Time created;
  Time updated;
  std::optional<Controller> controller;  // set while a graft process runs it
  CodeVersion code;
  std::string dataset;
};

struct Step {
  std::int32_t index = 0;    // into rollout.steps
  std::uint32_t weight = 0;  // the treatment's weight in percent
  Time started;
  std::optional<Time> ended;  // unset for the step in progress
};

struct Decision {
  Time at;
  Action action = Action::kHold;
  std::string reason;          // one line for people: "error rate +3.1% (ci 2.2%..4.0%)"
  std::string metrics = "{}";  // the numbers behind it: a JSON object (stats' report)
  DecisionOrigin origin = DecisionOrigin::kController;
};

// The next step to begin: the one in progress (if any) ends when this one starts.
struct StepStart {
  std::int32_t index = 0;
  std::uint32_t weight = 0;
};

// What changes in an experiment together with a decision (or alone). Unset = unchanged.
// Reaching a final state also ends the step in progress.
struct ExperimentChange {
  std::optional<ExperimentState> state;
  std::optional<StepStart> step;
  std::optional<Weights> weights;
};

// One experiment with everything recorded about it, each list in the order it happened
// (variants in spec order, the baseline first).
struct ExperimentRecord {
  Experiment experiment;
  std::vector<Variant> variants;
  std::vector<Step> steps;
  std::vector<Decision> decisions;
};

// ---- traffic

// One request routed by the proxy.
struct Assignment {
  std::string request_id;
  std::string variant;
  std::optional<std::uint64_t> user_hash;  // the sticky key's hash; unset without one
  Time at;                                 // when the request arrived
  std::int32_t status = 0;                 // HTTP status sent; >= 500 counts as an error
  Duration latency{0};
};

struct AppendOutcome {
  std::int64_t written = 0;
  std::int64_t duplicates = 0;  // request ids already recorded for the experiment: skipped
};

// Requests of one variant in a window.
struct VariantTraffic {
  std::string variant;
  std::int64_t requests = 0;
  std::int64_t users = 0;   // distinct user hashes
  std::int64_t errors = 0;  // status >= 500
};

// An outcome posted back for a request ("value" of the spec's outcome, e.g. a click).
struct Feedback {
  std::string request_id;
  double value = 0;
  Time at;  // when it was posted
};

enum class JoinStatus {
  kJoined,   // the request is known and the value came within the attribution window
  kUnknown,  // no request with that id in the experiment (yet)
  kLate,     // the value came after the attribution window
};
[[nodiscard]] std::string_view join_status_name(JoinStatus status);  // "joined", ...

// A posted value with what the join found for it.
struct JoinedFeedback {
  Feedback feedback;
  JoinStatus status = JoinStatus::kUnknown;
  std::string variant;                     // empty when unknown
  std::optional<std::uint64_t> user_hash;  // unset when unknown or without a user
};

// All values joined to one user (or, without a sticky key, one request) of a variant.
struct UserOutcome {
  std::optional<std::uint64_t> user_hash;
  double sum = 0;
  std::int64_t count = 0;  // values posted
};

struct FeedbackWindow {
  Duration attribution{0};  // the longest wait from request to value that still counts
  TimeRange requests;       // requests arrived in this range count
};

// The outcome side of an analysis: values of the window's requests per variant and user;
// values that could not be joined are counted, never dropped silently.
struct FeedbackJoin {
  std::map<std::string, std::vector<UserOutcome>, std::less<>> variants;  // one per user
  std::int64_t joined = 0;                                                // values joined
  std::int64_t unknown = 0;  // values posted in [from, to + attribution) for unknown ids
  std::int64_t late = 0;     // values for the window's requests past the attribution
};

}  // namespace graft::registry
