#include "experiment/controller.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/core.h>

#include "base/strings.h"
#include "stats/mann_whitney.h"
#include "stats/sequential.h"
#include "stats/srm.h"

namespace graft::experiment {
namespace {

using Json = nlohmann::json;
using TimePoint = std::chrono::system_clock::time_point;

// Users a variant at weight 0 may see in a window without a mismatch (at least; or 1% of
// the window's users): requests in flight when its weight went to 0.
constexpr std::uint64_t kStragglers = 5;

// Per-variant figures of one set of inputs, for a decision's metrics.
Json figures(const std::vector<stats::VariantInput>& inputs) {
  Json out = Json::object();
  for (const stats::VariantInput& input : inputs) {
    Json variant = {{"requests", input.requests},
                    {"users", input.users},
                    {"errors", input.errors},
                    {"error_rate", input.requests == 0 ? 0.0
                                                       : static_cast<double>(input.errors) /
                                                             static_cast<double>(input.requests)}};
    if (auto p99 = input.latency.percentile(99)) variant["latency_p99_ms"] = *p99 / 1000.0;
    out[input.name] = std::move(variant);
  }
  return out;
}

Error ended_error(State state) {
  return Error(ErrorCode::kConflict,
               fmt::format("the experiment has ended ({})", state_name(state)));
}

}  // namespace

std::string_view state_name(State state) {
  switch (state) {
    case State::kStarting: return "starting";
    case State::kRunning: return "running";
    case State::kPaused: return "paused";
    case State::kRolledBack: return "rolled_back";
    case State::kPromoted: return "promoted";
    case State::kStopped: return "stopped";
    case State::kFailed: return "failed";
  }
  return "unknown";
}

std::string_view action_name(Action action) {
  switch (action) {
    case Action::kHold: return "hold";
    case Action::kAdvance: return "advance";
    case Action::kRollback: return "rollback";
    case Action::kPromote: return "promote";
    case Action::kPause: return "pause";
    case Action::kResume: return "resume";
    case Action::kSetWeight: return "set_weight";
    case Action::kStop: return "stop";
  }
  return "unknown";
}

Result<Controller> Controller::create(ControllerPlan plan) {
  if (plan.variants.size() < 2) {
    return fail(ErrorCode::kInvalidArgument, "an experiment needs a baseline and a treatment");
  }
  if (plan.steps.empty()) return fail(ErrorCode::kInvalidArgument, "the rollout has no steps");
  const auto treatments = static_cast<std::uint32_t>(plan.variants.size() - 1);
  for (std::uint32_t step : plan.steps) {
    if (step > 100 || step * treatments > 100) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("rollout step {}% is too large: {} treatments at {}% add up to "
                              "more than 100%",
                              step, treatments, step));
    }
  }
  Controller controller(std::move(plan));
  controller.weights_ = controller.step_weights(0);
  return controller;
}

Result<Controller> Controller::resume(ControllerPlan plan, State state, int step, Weights weights) {
  GRAFT_ASSIGN_OR_RETURN(Controller controller, create(std::move(plan)));
  if (step < 0 || step >= static_cast<int>(controller.plan_.steps.size())) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("recorded step {} is not in the rollout", step));
  }
  controller.state_ = state == State::kStarting ? State::kRunning : state;
  controller.step_ = step;
  controller.weights_ = std::move(weights);
  return controller;
}

Weights Controller::step_weights(int step) const {
  Weights weights;
  const std::uint32_t treatment = plan_.steps[static_cast<std::size_t>(step)];
  for (std::size_t i = 1; i < plan_.variants.size(); ++i) weights[plan_.variants[i]] = treatment;
  weights[plan_.variants[0]] =
      100 - treatment * static_cast<std::uint32_t>(plan_.variants.size() - 1);
  return weights;
}

Weights Controller::all_to(const std::string& variant) const {
  Weights weights;
  for (const std::string& name : plan_.variants) weights[name] = name == variant ? 100 : 0;
  return weights;
}

bool Controller::ended() const {
  return state_ == State::kRolledBack || state_ == State::kPromoted || state_ == State::kStopped ||
         state_ == State::kFailed;
}

void Controller::start() {
  if (state_ == State::kStarting) state_ = State::kRunning;
}

Decision Controller::roll_back(std::string reason, Json metrics, TimePoint now, bool manual) {
  weights_ = all_to(plan_.variants.front());
  state_ = State::kRolledBack;
  return decide(Action::kRollback, std::move(reason), std::move(metrics), now, manual);
}

Decision Controller::decide(Action action, std::string reason, Json metrics, TimePoint now,
                            bool manual) {
  return Decision{.at = now,
                  .action = action,
                  .reason = std::move(reason),
                  .metrics = std::move(metrics),
                  .manual = manual,
                  .step = step_,
                  .weights = weights_};
}

std::optional<Decision> Controller::check_error_rate(const Observation& observation,
                                                     TimePoint now) {
  if (!plan_.error_rate_max_delta) return std::nullopt;
  const double k = std::max(1, observation.window_number);
  // A window in which the baseline gets no traffic (the last step gives the treatment
  // everything) compares the treatment with the baseline of the whole run.
  std::vector<stats::VariantInput> window = observation.window;
  if (!window.empty() && window.front().requests == 0) window.front() = observation.total.front();
  const struct {
    const std::vector<stats::VariantInput>& inputs;
    double alpha;
    const char* scope;
  } looks[] = {{observation.total, plan_.alpha / 2, "since the start"},
               {window, plan_.alpha / 2 * 6 / (std::numbers::pi * std::numbers::pi * k * k),
                "in this window"}};
  for (const auto& look : looks) {
    const stats::VariantInput& baseline = look.inputs.front();
    for (std::size_t i = 1; i < look.inputs.size(); ++i) {
      const stats::VariantInput& treatment = look.inputs[i];
      const stats::Proportion t{treatment.errors, treatment.requests};
      const stats::Proportion b{baseline.errors, baseline.requests};
      stats::Interval interval =
          stats::sequential_proportion_difference(t, b, {.alpha = look.alpha});
      if (stats::evidence_against(interval, *plan_.error_rate_max_delta) !=
          stats::Evidence::kAboveLimit) {
        continue;
      }
      return roll_back(
          fmt::format("error rate of '{}' exceeds the baseline's by more than {:g} {}: {:.4f} "
                      "against {:.4f} (always-valid interval of the difference at alpha {:.3g}: "
                      "{:.4f} to {:.4f})",
                      treatment.name, *plan_.error_rate_max_delta, look.scope, t.rate(), b.rate(),
                      look.alpha, interval.low, interval.high),
          {{"guardrail", "error_rate"},
           {"variant", treatment.name},
           {"scope", look.scope},
           {"delta", t.rate() - b.rate()},
           {"interval", {interval.low, interval.high}},
           {"alpha", look.alpha},
           {"max_delta", *plan_.error_rate_max_delta},
           {"total", figures(observation.total)},
           {"window", figures(observation.window)}},
          now, false);
    }
  }
  return std::nullopt;
}

std::optional<Decision> Controller::check_latency(const Observation& observation, TimePoint now) {
  if (!plan_.latency_p99_max_ratio) return std::nullopt;
  const stats::VariantInput& window_baseline = observation.window.front();
  auto baseline_p99 = window_baseline.latency.percentile(99);
  for (std::size_t i = 1; i < observation.window.size(); ++i) {
    const stats::VariantInput& treatment = observation.window[i];
    auto treatment_p99 = treatment.latency.percentile(99);
    if (!baseline_p99 || !treatment_p99 || *baseline_p99 <= 0 ||
        std::min(treatment.requests, window_baseline.requests) <
            std::max(plan_.min_requests, kP99Requests)) {
      continue;
    }
    const double ratio = *treatment_p99 / *baseline_p99;
    stats::MannWhitneyResult test =
        stats::mann_whitney_u(treatment.latency, window_baseline.latency);
    // test.z is |z| (two-sided); the direction is U's: above half the pairs, the
    // treatment's latencies tend to be the larger.
    const double pairs = static_cast<double>(treatment.latency.count()) *
                         static_cast<double>(window_baseline.latency.count());
    const double one_sided = test.u > pairs / 2 ? test.p_value / 2 : 1 - test.p_value / 2;
    const double level = plan_.alpha / static_cast<double>(plan_.steps.size());
    if (ratio <= *plan_.latency_p99_max_ratio || one_sided >= level) continue;
    return roll_back(fmt::format("p99 latency of '{}' is {:.2f} times the baseline's ({:.1f} ms "
                                 "against {:.1f} ms), above the {:g} allowed (Mann-Whitney "
                                 "one-sided p = {:.3g} < {:.3g})",
                                 treatment.name, ratio, *treatment_p99 / 1000, *baseline_p99 / 1000,
                                 *plan_.latency_p99_max_ratio, one_sided, level),
                     {{"guardrail", "latency_p99"},
                      {"variant", treatment.name},
                      {"p99_ratio", ratio},
                      {"max_ratio", *plan_.latency_p99_max_ratio},
                      {"mann_whitney_p", one_sided},
                      {"window", figures(observation.window)}},
                     now, false);
  }
  return std::nullopt;
}

std::optional<Decision> Controller::watch(const Observation& observation, TimePoint now) {
  if (!active() || observation.window.size() != plan_.variants.size() ||
      observation.total.size() != plan_.variants.size()) {
    return std::nullopt;
  }
  if (observation.failed.contains(plan_.variants.front())) {
    state_ = State::kFailed;
    return decide(
        Action::kStop,
        fmt::format("the baseline '{}' failed: its replicas kept exiting", plan_.variants.front()),
        Json::object(), now, false);
  }
  for (std::size_t i = 1; i < plan_.variants.size(); ++i) {
    if (!observation.failed.contains(plan_.variants[i])) continue;
    return roll_back(
        fmt::format("treatment '{}' failed: its replicas kept exiting", plan_.variants[i]),
        Json::object(), now, false);
  }
  return check_error_rate(observation, now);
}

std::optional<Decision> Controller::evaluate(const Observation& observation, TimePoint now) {
  if (!active() || observation.window.size() != plan_.variants.size() ||
      observation.total.size() != plan_.variants.size()) {
    return std::nullopt;
  }
  if (auto breach = watch(observation, now)) return breach;
  if (auto breach = check_latency(observation, now)) return breach;
  const Json window = figures(observation.window);
  for (const stats::VariantInput& input : observation.window) {
    if (weights_[input.name] == 0 || input.requests >= plan_.min_requests) continue;
    return decide(Action::kHold,
                  fmt::format("only {} requests to '{}' in this window; min_requests is {}",
                              input.requests, input.name, plan_.min_requests),
                  {{"window", window}}, now, false);
  }
  // Variants with weight: one at 0 may still see a few stragglers (requests in flight when
  // the weights changed); more than that is a mismatch the chi-square can not measure.
  std::vector<stats::SrmArm> arms;
  std::uint64_t users = 0;
  for (const stats::VariantInput& input : observation.window) users += input.users;
  for (const stats::VariantInput& input : observation.window) {
    const auto weight = static_cast<double>(weights_[input.name]);
    if (weight > 0) {
      arms.push_back({.users = input.users, .weight = weight});
    } else if (input.users > std::max<std::uint64_t>(kStragglers, users / 100)) {
      return decide(Action::kHold,
                    fmt::format("sample ratio mismatch: {} of {} users reached '{}', whose weight "
                                "is 0",
                                input.users, users, input.name),
                    {{"window", window}}, now, false);
    }
  }
  auto srm = stats::sample_ratio_mismatch(arms);
  if (arms.size() >= 2 && srm && srm->mismatch) {
    return decide(Action::kHold,
                  fmt::format("sample ratio mismatch: the users per variant do not match the "
                              "weights in force (chi-square {:.2f}, p = {:.3g} < {:g})",
                              srm->chi2, srm->p_value, stats::kSrmThreshold),
                  {{"window", window}, {"srm", {{"chi2", srm->chi2}, {"p_value", srm->p_value}}}},
                  now, false);
  }
  const int passed = step_;
  if (step_ + 1 < static_cast<int>(plan_.steps.size())) {
    ++step_;
    weights_ = step_weights(step_);
    return decide(Action::kAdvance,
                  fmt::format("step {} ({}%) passed: no guardrail breached, enough requests, "
                              "no sample ratio mismatch; next {}%",
                              passed + 1, plan_.steps[static_cast<std::size_t>(passed)],
                              plan_.steps[static_cast<std::size_t>(step_)]),
                  {{"window", window}}, now, false);
  }
  state_ = State::kPromoted;
  return decide(Action::kPromote,
                fmt::format("the last step ({}%) passed: every step passed",
                            plan_.steps[static_cast<std::size_t>(passed)]),
                {{"window", window}}, now, false);
}

Result<Decision> Controller::pause(TimePoint now) {
  if (ended()) return fail(ended_error(state_));
  if (state_ == State::kPaused)
    return fail(ErrorCode::kConflict, "the experiment is already paused");
  state_ = State::kPaused;
  return decide(Action::kPause, "paused by hand", Json::object(), now, true);
}

Result<Decision> Controller::resume_running(TimePoint now) {
  if (state_ != State::kPaused) {
    return fail(ErrorCode::kConflict,
                fmt::format("the experiment is not paused ({})", state_name(state_)));
  }
  state_ = State::kRunning;
  return decide(Action::kResume, "resumed by hand", Json::object(), now, true);
}

Result<Decision> Controller::set_weight(const std::string& variant, std::uint32_t weight,
                                        TimePoint now) {
  if (ended()) return fail(ended_error(state_));
  auto found = std::find(plan_.variants.begin(), plan_.variants.end(), variant);
  if (found == plan_.variants.end()) {
    Error error(ErrorCode::kInvalidArgument, fmt::format("unknown variant '{}'", variant));
    std::string close = base::closest_match(variant, plan_.variants);
    return fail(close.empty() ? error : error.with_hint(fmt::format("did you mean '{}'?", close)));
  }
  if (weight > 100) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("weight {} of '{}' is above 100 (weights are percentages)", weight, variant));
  }
  Weights weights = weights_;
  const std::string& baseline = plan_.variants.front();
  if (variant == baseline && plan_.variants.size() != 2) {
    return fail(
        Error(ErrorCode::kInvalidArgument,
              "with several treatments, set a treatment's weight; the baseline takes the rest"));
  }
  const std::string& other = variant == baseline ? plan_.variants[1] : baseline;
  weights[variant] = weight;
  std::uint32_t treatments = 0;
  for (std::size_t i = 1; i < plan_.variants.size(); ++i) {
    if (plan_.variants[i] != other) treatments += weights[plan_.variants[i]];
  }
  const std::uint32_t others = variant == baseline ? weight : treatments;
  if (others > 100) {
    return fail(ErrorCode::kInvalidArgument,
                "the treatments' weights would add up to more than 100");
  }
  weights[other] = 100 - others;
  weights_ = std::move(weights);
  return decide(Action::kSetWeight, fmt::format("'{}' set to {}% by hand", variant, weight),
                Json::object(), now, true);
}

Result<Decision> Controller::rollback(std::string reason, TimePoint now) {
  if (ended()) return fail(ended_error(state_));
  return roll_back(reason.empty() ? "rolled back by hand" : std::move(reason), Json::object(), now,
                   true);
}

Result<Decision> Controller::promote(TimePoint now) {
  if (ended()) return fail(ended_error(state_));
  weights_ = all_to(plan_.variants[1]);
  state_ = State::kPromoted;
  return decide(Action::kPromote, fmt::format("'{}' promoted by hand", plan_.variants[1]),
                Json::object(), now, true);
}

Result<Decision> Controller::stop(TimePoint now) {
  if (ended()) return fail(ended_error(state_));
  state_ = State::kStopped;
  return decide(Action::kStop, "stopped by hand", Json::object(), now, true);
}

}  // namespace graft::experiment
