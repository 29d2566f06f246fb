#include "experiment/runner.h"

#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/subprocess.h"
#include "env/run_plan.h"
#include "experiment/controller.h"
#include "experiment/dashboard.h"
#include "experiment/traffic.h"
#include "proxy/access_log.h"
#include "proxy/server.h"
#include "registry/registry.h"
#include "registry/traffic.h"
#include "route/values.h"
#include "supervise/supervisor.h"

namespace graft::experiment {
namespace {

using Json = nlohmann::ordered_json;
using proxy::AdminResponse;

// How long a hot swap leaves the old replicas running after the traffic moved: requests
// already sent to them finish.
constexpr auto kSwapDrain = std::chrono::seconds(2);
// How often the controller watches between windows (Controller::watch).
constexpr auto kWatchInterval = std::chrono::seconds(1);

// The controller's enums and the registry's list the same states and actions in the same
// order; these keep them in step.
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

AdminResponse json_response(int status, const Json& body) {
  return {status, "application/json", body.dump() + "\n"};
}

AdminResponse error_response(const Error& error) {
  int status = 400;
  if (error.code() == ErrorCode::kConflict) status = 409;
  if (error.code() == ErrorCode::kNotFound) status = 404;
  if (error.code() == ErrorCode::kUnavailable || error.code() == ErrorCode::kIo) status = 503;
  return json_response(status, Json{{"error", error.message()}});
}

std::filesystem::path resolve(const std::filesystem::path& dir, const std::string& path) {
  if (path.empty() || path == "-") return path;
  std::filesystem::path p(path);
  return p.is_absolute() ? p : dir / p;
}

class Run {
 public:
  explicit Run(const RunnerOptions& options)
      : o_(options),
        clock_(options.clock != nullptr ? *options.clock : base::real_clock()),
        dir_(experiment_dir(options.root, options.spec.name)),
        tail_(access_log_path()) {}

  ~Run() { shut_down(); }

  Result<RunOutcome> execute() {
    GRAFT_RETURN_IF_ERROR(prepare());
    if (auto status = start_replicas(); !status) return finish_failed(status.error());
    if (auto status = start_proxy(); !status) return finish_failed(status.error());
    GRAFT_RETURN_IF_ERROR(begin());
    loop();
    return finish();
  }

 private:
  std::filesystem::path access_log_path() const {
    if (!o_.spec.route.access_log.empty()) return resolve(o_.spec_dir, o_.spec.route.access_log);
    return dir_ / "access.jsonl";
  }

  void say(std::string_view line) const {
    if (o_.report) o_.report(line);
  }

  ControllerPlan plan() const {
    ControllerPlan plan{.steps = o_.spec.rollout.steps,
                        .min_requests = o_.spec.rollout.min_requests,
                        .alpha = o_.spec.analysis.alpha,
                        .error_rate_max_delta = o_.spec.analysis.error_rate_max_delta,
                        .latency_p99_max_ratio = o_.spec.analysis.latency_p99_max_ratio};
    for (const VariantSpec& variant : o_.spec.variants) plan.variants.push_back(variant.name);
    return plan;
  }

  std::vector<std::string> variant_names() const { return plan().variants; }

  // Opens the registry and records the experiment (or loads it to resume).
  Status prepare() {
    if (o_.environments.size() != o_.spec.variants.size()) {
      return fail(ErrorCode::kInternal, "one environment per variant is needed");
    }
    GRAFT_RETURN_IF_ERROR(base::make_directories(dir_ / "logs"));
    GRAFT_ASSIGN_OR_RETURN(registry::Registry opened,
                           registry::Registry::open(o_.root / registry::kFileName));
    registry_.emplace(std::move(opened));
    const registry::Time now = registry::registry_time(clock_.wall());
    if (o_.resume) return load_recorded();
    registry::NewExperiment record{.name = o_.spec.name,
                                   .spec = o_.spec_text,
                                   .salt = o_.spec.route.salt,
                                   .code = code_version(),
                                   .dataset = o_.spec.record.dataset,
                                   .created = now};
    for (std::size_t i = 0; i < o_.spec.variants.size(); ++i) {
      const VariantSpec& variant = o_.spec.variants[i];
      const VariantEnvironment& env = o_.environments[i];
      record.weights[variant.name] = i == 0 ? 100 : 0;
      record.variants.push_back({.name = variant.name,
                                 .env_name = variant.env,
                                 .prefix = env.prefix.string(),
                                 .environment = env.environment,
                                 .lock = env.lock,
                                 .command = variant.command,
                                 .replicas = variant.replicas});
    }
    auto created = registry_->create_experiment(record);
    if (!created) {
      if (created.error().code() != ErrorCode::kAlreadyExists) return fail(created.error());
      auto existing = registry_->find(o_.spec.name);
      const std::string state =
          existing ? std::string(registry::state_name(existing->state)) : "unknown";
      return fail(ErrorCode::kAlreadyExists,
                  fmt::format("an experiment named '{}' is already recorded (state: {}): resume "
                              "it with 'graft exp resume {}', or give the spec a new name",
                              o_.spec.name, state, o_.spec.name));
    }
    id_ = created->id;
    salt_ = created->salt;
    GRAFT_ASSIGN_OR_RETURN(controller_, Controller::create(plan()));
    started_at_ = now;
    return ok();
  }

  registry::CodeVersion code_version() const {
    if (o_.spec.record.code.empty()) return {};
    return read_code_version(resolve(o_.spec_dir, o_.spec.record.code));
  }

  Status load_recorded() {
    GRAFT_ASSIGN_OR_RETURN(registry::ExperimentRecord record, registry_->load(o_.spec.name));
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
    id_ = experiment.id;
    salt_ = experiment.salt;
    started_at_ = experiment.created;
    resumed_ = experiment.state != registry::ExperimentState::kStarting;
    if (!resumed_) {
      GRAFT_ASSIGN_OR_RETURN(controller_, Controller::create(plan()));
      return ok();
    }
    GRAFT_ASSIGN_OR_RETURN(controller_, Controller::resume(plan(), from_registry(experiment.state),
                                                           experiment.step, experiment.weights));
    return ok();
  }

  // The replicas of `variant` running `argv` inside `env`; log files VARIANT-N[suffix].log.
  Result<std::vector<supervise::ReplicaSpec>> replica_specs(const VariantSpec& variant,
                                                            const VariantEnvironment& env,
                                                            const std::vector<std::string>& argv,
                                                            const std::string& log_suffix) const {
    GRAFT_ASSIGN_OR_RETURN(env::RunPlan run,
                           env::plan_run({.prefix = env.prefix,
                                          .display_name = env.display_name,
                                          .command = argv,
                                          .working_directory = o_.spec_dir,
                                          .base_environment = o_.base_environment}));
    for (const auto& [name, value] : variant.vars) run.environment[name] = value;
    std::vector<supervise::ReplicaSpec> specs;
    for (std::uint32_t r = 1; r <= variant.replicas; ++r) {
      specs.push_back(
          {.variant = variant.name,
           .argv = run.argv,
           .environment = run.environment,
           .working_directory = run.working_directory,
           .log_path = dir_ / "logs" / fmt::format("{}-{}{}.log", variant.name, r, log_suffix),
           .health_path = variant.health});
    }
    return specs;
  }

  Status start_replicas() {
    supervise::SupervisorOptions options{
        .ready_timeout = o_.spec.rollout.ready_timeout,
        .stop_grace = o_.spec.rollout.stop_grace,
        .on_event = [this](const supervise::Event& event) { on_replica_event(event); }};
    supervisor_ = std::make_unique<supervise::Supervisor>(std::move(options));
    for (std::size_t i = 0; i < o_.spec.variants.size(); ++i) {
      const VariantSpec& variant = o_.spec.variants[i];
      const VariantEnvironment& env = o_.environments[i];
      GRAFT_ASSIGN_OR_RETURN(auto specs, replica_specs(variant, env, variant.argv, ""));
      say(fmt::format("starting {} replica{} of '{}' in {}", variant.replicas,
                      variant.replicas == 1 ? "" : "s", variant.name, env.prefix.string()));
      GRAFT_ASSIGN_OR_RETURN(int group, supervisor_->start_group(std::move(specs)));
      groups_.push_back(group);
    }
    return ok();
  }

  // A hot swap (graft exp swap): new replicas of `variant` in another environment start and
  // get ready beside the old ones; the proxy moves the variant's traffic to them in one
  // swap; the old ones drain and stop. Runs on its own thread.
  void swap(std::size_t index, VariantEnvironment env, registry::Variant record,
            std::vector<std::string> argv) {
    const VariantSpec& variant = o_.spec.variants[index];
    auto finish = [this](std::string state, std::string message) {
      std::lock_guard lock(mutex_);
      swap_state_ = std::move(state);
      swap_message_ = std::move(message);
      say(fmt::format("swap: {}", swap_message_));
    };
    const int number = ++swaps_;
    auto specs = replica_specs(variant, env, argv, fmt::format("-swap{}", number));
    if (!specs) return finish("failed", specs.error().message());
    say(fmt::format("swap: starting '{}' in {}", variant.name, env.prefix.string()));
    auto group = supervisor_->start_group(std::move(*specs));
    if (!group) return finish("failed", group.error().message());
    std::vector<route::Address> upstreams;
    for (const std::string& address : supervisor_->addresses(*group)) {
      auto parsed = route::parse_address(address, route::PortPolicy::kRequireNonZero);
      if (!parsed) {
        supervisor_->stop_group(*group);
        return finish("failed", parsed.error().message());
      }
      upstreams.push_back(std::move(*parsed));
    }
    if (auto moved = server_->set_upstreams(variant.name, std::move(upstreams)); !moved) {
      supervisor_->stop_group(*group);
      return finish("failed", moved.error().message());
    }
    int old_group = 0;
    {
      std::lock_guard lock(mutex_);
      old_group = groups_[index];
      groups_[index] = *group;
      if (auto recorded =
              registry_->replace_variant(id_, record, registry::registry_time(clock_.wall()));
          !recorded) {
        say(fmt::format("swap: recording the new environment failed: {}",
                        recorded.error().message()));
      }
    }
    // Requests already sent to the old replicas finish before they are stopped.
    std::this_thread::sleep_for(kSwapDrain);
    supervisor_->stop_group(old_group);
    finish("done", fmt::format("'{}' now runs in {}; the old replicas stopped", variant.name,
                               env.prefix.string()));
  }

  void on_replica_event(const supervise::Event& event) {
    const std::string name =
        fmt::format("replica '{}-{}'", event.replica.variant, event.replica.index + 1);
    switch (event.kind) {
      case supervise::EventKind::kExited:
        say(fmt::format("{} exited ({} {}); starting it again in {} ms", name,
                        event.exit.signal != 0 ? "signal" : "code",
                        event.exit.signal != 0 ? event.exit.signal : event.exit.exit_code,
                        event.delay.count()));
        break;
      case supervise::EventKind::kFailed:
        say(fmt::format("{} failed: it kept exiting", name));
        wake_.notify_all();
        break;
      default: break;
    }
  }

  Status start_proxy() {
    route::RouteConfig config = o_.spec.route;
    config.salt = salt_;
    const Weights weights = controller_->weights();
    applied_weights_ = weights;
    for (std::size_t i = 0; i < config.variants.size(); ++i) {
      route::VariantConfig& variant = config.variants[i];
      variant.upstreams.clear();
      for (const std::string& address : supervisor_->addresses(groups_[i])) {
        GRAFT_ASSIGN_OR_RETURN(route::Address parsed,
                               route::parse_address(address, route::PortPolicy::kRequireNonZero));
        variant.upstreams.push_back(std::move(parsed));
      }
      auto weight = weights.find(variant.name);
      variant.weight = weight == weights.end() ? 0 : weight->second;
    }
    config.access_log = access_log_path().string();
    config.token_file = resolve(o_.spec_dir, config.token_file).string();
    std::vector<proxy::AdminRoute> routes = admin_routes();
    for (proxy::AdminRoute& route : dashboard_.routes()) routes.push_back(std::move(route));
    GRAFT_ASSIGN_OR_RETURN(server_, proxy::Server::start({.config = std::move(config),
                                                          .admin_routes = std::move(routes)}));
    dashboard_.watch(*server_);
    admin_address_ = fmt::format("127.0.0.1:{}", server_->admin_port());
    if (o_.spec.route.admin.host != "127.0.0.1" && o_.spec.route.admin.host != "localhost") {
      admin_address_ = fmt::format("{}:{}", o_.spec.route.admin.host, server_->admin_port());
    }
    say(fmt::format("proxy listening on {}:{}, admin API on {}, dashboard at http://{}/",
                    o_.spec.route.listen.host, server_->port(), admin_address_, admin_address_));
    return registry_->set_controller(
        id_, registry::Controller{.pid = ::getpid(), .admin_address = admin_address_},
        registry::registry_time(clock_.wall()));
  }

  Status begin() {
    std::lock_guard lock(mutex_);
    const registry::Time now = registry::registry_time(clock_.wall());
    if (resumed_) {
      say(fmt::format("resumed '{}' at step {} ({}), weights {}", o_.spec.name,
                      controller_->step() + 1, state_name(controller_->state()),
                      weights_text(controller_->weights())));
      return ok();
    }
    controller_->start();
    const int step = controller_->step();
    GRAFT_RETURN_IF_ERROR(registry_->update(
        id_,
        {.state = registry::ExperimentState::kRunning,
         .step = registry::StepStart{.index = step, .weight = o_.spec.rollout.steps[step]},
         .weights = controller_->weights()},
        now));
    say(fmt::format("step 1 of {}: weights {}, window {}", o_.spec.rollout.steps.size(),
                    weights_text(controller_->weights()),
                    route::format_duration(o_.spec.rollout.interval)));
    return ok();
  }

  static std::string weights_text(const Weights& weights) {
    std::string out;
    for (const auto& [name, weight] : weights) {
      out += fmt::format("{}{}={}%", out.empty() ? "" : " ", name, weight);
    }
    return out;
  }

  // Reads the new access log lines into the tallies and the registry. Holds mutex_.
  void drain_log() {
    auto lines = tail_.read();
    if (!lines) {
      say(lines.error().message());
      return;
    }
    std::vector<registry::Assignment> batch;
    batch.reserve(lines->size());
    for (const std::string& line : *lines) {
      auto request = parse_access_line(line);
      if (!request) {
        ++unreadable_lines_;
        continue;
      }
      // A request that arrived before the window began (its log line came late) belongs to
      // the weights before the last decision: it counts in the totals only.
      if (request->at >= window_start_) window_.add(*request);
      total_.add(*request);
      for (const auto& [name, weight] : applied_weights_) run_weights_[name] += weight;
      ++run_requests_;
      batch.push_back(std::move(*request));
    }
    if (batch.empty()) return;
    registry::TrafficLog traffic(*registry_);
    if (auto written = traffic.append_assignments(id_, batch); !written) {
      say(fmt::format("recording {} requests failed: {}", batch.size(), written.error().message()));
    }
  }

  Observation observation() const {
    const std::vector<std::string> names = variant_names();
    Observation out{.window = window_.inputs(names, controller_->weights()),
                    .total = total_.inputs(names, controller_->weights())};
    for (const std::string& name : names) {
      if (supervisor_->failed(name)) out.failed.insert(name);
    }
    return out;
  }

  // Puts a decision into force: the proxy's weights, then the registry. Holds mutex_.
  Status apply(const Decision& decision) {
    if (decision.weights != applied_weights_) {
      GRAFT_RETURN_IF_ERROR(server_->set_percentages(decision.weights));
      applied_weights_ = decision.weights;
      restart_window();  // a window is judged against one set of weights
    }
    registry::ExperimentChange change{.state = to_registry(controller_->state()),
                                      .weights = decision.weights};
    if (decision.step != recorded_step_ &&
        decision.step < static_cast<int>(o_.spec.rollout.steps.size())) {
      change.step = registry::StepStart{
          .index = decision.step,
          .weight = o_.spec.rollout.steps[static_cast<std::size_t>(decision.step)]};
      recorded_step_ = decision.step;
    }
    registry::Decision record{.at = registry::registry_time(decision.at),
                              .action = to_registry(decision.action),
                              .reason = decision.reason,
                              .metrics = decision.metrics.dump(),
                              .origin = decision.manual ? registry::DecisionOrigin::kManual
                                                        : registry::DecisionOrigin::kController};
    GRAFT_RETURN_IF_ERROR(registry_->record_decision(id_, record, change));
    last_reason_ = decision.reason;
    say(fmt::format("{}{}: {} (step {}, {}): {}", decision.manual ? "manual " : "",
                    action_name(decision.action), state_name(controller_->state()),
                    decision.step + 1, weights_text(decision.weights), decision.reason));
    return ok();
  }

  bool failure_pending() const {
    for (const std::string& name : variant_names()) {
      if (supervisor_->failed(name)) return true;
    }
    return false;
  }

  // A new analysis window begins now. Holds mutex_.
  void restart_window() {
    window_ = TrafficTally();
    window_start_ = registry::registry_time(clock_.wall());
    window_end_ = clock_.steady() + o_.spec.rollout.interval;
  }

  void loop() {
    std::unique_lock lock(mutex_);
    restart_window();
    while (true) {
      wake_.wait_for(lock, o_.poll_interval);
      drain_log();
      const bool interrupted = o_.interrupted != nullptr && o_.interrupted->load();
      if ((interrupted || stop_requested_) && !ended()) {
        auto decision = controller_->stop(clock_.wall());
        if (decision) {
          Decision stopped = *decision;
          stopped.reason = interrupted ? "interrupted (Ctrl-C or SIGTERM)" : stopped.reason;
          if (auto status = apply(stopped); !status) say(status.error().message());
        }
      }
      if (ended()) break;
      const bool window_over = clock_.steady() >= window_end_;
      if (window_over) {
        if (auto decision = controller_->evaluate(observation(), clock_.wall())) {
          if (auto status = apply(*decision); !status) say(status.error().message());
        }
        restart_window();
      } else if (controller_->active() && (failure_pending() || clock_.steady() >= next_watch_)) {
        // Between windows: a failed variant or an error-rate breach is acted on at once.
        next_watch_ = clock_.steady() + kWatchInterval;
        if (auto decision = controller_->watch(observation(), clock_.wall())) {
          if (auto status = apply(*decision); !status) say(status.error().message());
        }
      }
      if (ended()) break;
    }
  }

  bool ended() const {
    const State state = controller_->state();
    return state == State::kRolledBack || state == State::kPromoted || state == State::kStopped ||
           state == State::kFailed;
  }

  // The weights the run's requests met, each request counting the weights in force when it
  // arrived (in thousandths): what the run-level sample ratio check compares users with. A
  // ramped canary's final weights (say 0/100) would make every run look mismatched.
  Weights run_weights() const {
    if (run_requests_ == 0) return controller_->weights();
    Weights out;
    for (const auto& [name, sum] : run_weights_) {
      out[name] = static_cast<std::uint32_t>(
          std::llround(sum * 1000.0 / static_cast<double>(run_requests_)));
    }
    return out;
  }

  // The report of the run so far: totals and the outcomes joined so far. Holds mutex_.
  Result<Json> report_json() {
    TrafficTally with_outcomes = total_;
    registry::TrafficLog traffic(*registry_);
    const auto attribution = o_.spec.analysis.outcome ? o_.spec.analysis.outcome->attribution
                                                      : std::chrono::milliseconds(60'000);
    GRAFT_ASSIGN_OR_RETURN(
        registry::FeedbackJoin join,
        traffic.join_feedback(
            id_, {.attribution = std::chrono::duration_cast<registry::Duration>(attribution),
                  .requests = {started_at_,
                               registry::registry_time(clock_.wall()) + registry::Duration(1)}}));
    for (const auto& [variant, users] : join.variants) {
      for (const registry::UserOutcome& user : users) with_outcomes.add_outcome(variant, user.sum);
    }
    GRAFT_ASSIGN_OR_RETURN(stats::Report report, stats::build_report(with_outcomes.inputs(
                                                     variant_names(), run_weights())));
    Json out = stats::to_json(report);
    out["feedback"] = {{"joined", join.joined}, {"unknown", join.unknown}, {"late", join.late}};
    return out;
  }

  std::vector<proxy::AdminRoute> admin_routes() {
    std::vector<proxy::AdminRoute> routes;
    auto manual = [this](auto command) {
      return [this, command](std::string_view body, std::string_view) -> AdminResponse {
        std::lock_guard lock(mutex_);
        Result<Decision> decision = command(body);
        if (!decision) return error_response(decision.error());
        if (auto status = apply(*decision); !status) return error_response(status.error());
        wake_.notify_all();
        return json_response(200, decision_json(*decision));
      };
    };
    routes.push_back({"POST", "/experiment/pause", manual([this](std::string_view) {
                        return controller_->pause(clock_.wall());
                      })});
    routes.push_back({"POST", "/experiment/resume", manual([this](std::string_view) {
                        return controller_->resume_running(clock_.wall());
                      })});
    routes.push_back({"POST", "/experiment/promote", manual([this](std::string_view) {
                        return controller_->promote(clock_.wall());
                      })});
    routes.push_back({"POST", "/experiment/stop", manual([this](std::string_view) {
                        stop_requested_ = true;
                        return controller_->stop(clock_.wall());
                      })});
    auto rollback = manual([this](std::string_view body) {
      std::string reason = "rolled back by hand";
      Json parsed = Json::parse(body, nullptr, false);
      if (parsed.is_object() && parsed.contains("reason") && parsed["reason"].is_string()) {
        reason = parsed["reason"].get<std::string>();
      }
      return controller_->rollback(std::move(reason), clock_.wall());
    });
    routes.push_back({"POST", "/rollback", rollback});
    routes.push_back({"POST", "/experiment/rollback", rollback});
    routes.push_back({"PUT", "/weights", manual([this](std::string_view body) -> Result<Decision> {
                        Json parsed = Json::parse(body, nullptr, false);
                        if (!parsed.is_object() || parsed.size() != 1 ||
                            !parsed.begin().value().is_number_unsigned()) {
                          return fail(ErrorCode::kInvalidArgument,
                                      "expected one variant and its weight in percent, e.g. "
                                      "{\"treatment\": 20}");
                        }
                        return controller_->set_weight(
                            parsed.begin().key(),
                            static_cast<std::uint32_t>(std::min<std::uint64_t>(
                                parsed.begin().value().get<std::uint64_t>(), 1'000'000)),
                            clock_.wall());
                      })});
    routes.push_back({"GET", "/experiment", [this](std::string_view, std::string_view) {
                        std::lock_guard lock(mutex_);
                        auto record = registry_->load(o_.spec.name);
                        if (!record) return error_response(record.error());
                        Json status = status_json(*record);
                        status["listen"] =
                            fmt::format("{}:{}", o_.spec.route.listen.host, server_->port());
                        if (!swap_state_.empty()) {
                          status["swap"] = {{"state", swap_state_}, {"message", swap_message_}};
                        }
                        return json_response(200, status);
                      }});
    routes.push_back({"GET", "/experiment/report", [this](std::string_view, std::string_view) {
                        std::lock_guard lock(mutex_);
                        drain_log();
                        auto report = report_json();
                        if (!report) return error_response(report.error());
                        return json_response(200, *report);
                      }});
    routes.push_back({"POST", "/experiment/swap", [this](std::string_view body, std::string_view) {
                        return start_swap(body);
                      }});
    routes.push_back({"POST", "/feedback", [this](std::string_view body, std::string_view) {
                        std::lock_guard lock(mutex_);
                        auto values = parse_feedback(body, registry::registry_time(clock_.wall()));
                        if (!values) return error_response(values.error());
                        registry::TrafficLog traffic(*registry_);
                        auto stored = traffic.append_feedback(id_, *values);
                        if (!stored) return error_response(stored.error());
                        return json_response(200, Json{{"accepted", *stored}});
                      }});
    return routes;
  }

  // POST /experiment/swap {"variant", "env_name", "prefix", "display_name", "command",
  // "environment", "lock"}: 202 while the new replicas start (GET /experiment shows
  // "swap": {"state": "starting|done|failed", "message"}).
  AdminResponse start_swap(std::string_view body) {
    Json request = Json::parse(body, nullptr, false);
    auto text = [&](const char* key) {
      return request.is_object() && request.contains(key) && request[key].is_string()
                 ? request[key].get<std::string>()
                 : std::string();
    };
    const std::string variant = text("variant");
    const std::string prefix = text("prefix");
    if (variant.empty() || prefix.empty()) {
      return error_response(Error(ErrorCode::kInvalidArgument,
                                  "a swap needs {\"variant\": NAME, \"prefix\": PATH, ...}"));
    }
    std::size_t index = 0;
    while (index < o_.spec.variants.size() && o_.spec.variants[index].name != variant) ++index;
    if (index == o_.spec.variants.size()) {
      return error_response(
          Error(ErrorCode::kNotFound, fmt::format("the experiment has no variant '{}'", variant)));
    }
    std::vector<std::string> argv = o_.spec.variants[index].argv;
    std::string command = text("command");
    if (!command.empty()) {
      auto split = split_command(command);
      if (!split) return error_response(split.error());
      argv = std::move(*split);
    } else {
      command = o_.spec.variants[index].command;
    }
    std::lock_guard lock(mutex_);
    if (swap_state_ == "starting") {
      return error_response(Error(ErrorCode::kConflict, "a swap is already in progress"));
    }
    if (ended()) return error_response(Error(ErrorCode::kConflict, "the experiment has ended"));
    swap_state_ = "starting";
    swap_message_ = fmt::format("starting '{}' in {}", variant, prefix);
    if (swap_thread_.joinable()) swap_thread_.join();
    VariantEnvironment env{
        .prefix = prefix,
        .display_name = text("display_name").empty() ? prefix : text("display_name"),
        .environment = text("environment"),
        .lock = text("lock")};
    registry::Variant record{.name = variant,
                             .env_name = text("env_name").empty() ? prefix : text("env_name"),
                             .prefix = prefix,
                             .environment = env.environment,
                             .lock = env.lock,
                             .command = command,
                             .replicas = o_.spec.variants[index].replicas};
    swap_thread_ = std::thread([this, index, env = std::move(env), record = std::move(record),
                                argv = std::move(argv)]() mutable {
      swap(index, std::move(env), std::move(record), std::move(argv));
    });
    return json_response(202, Json{{"swap", "starting"}, {"variant", variant}});
  }

  static Json decision_json(const Decision& decision) {
    Json weights = Json::object();
    for (const auto& [name, weight] : decision.weights) weights[name] = weight;
    return Json{{"action", action_name(decision.action)},
                {"reason", decision.reason},
                {"step", decision.step},
                {"weights", weights},
                {"manual", decision.manual}};
  }

  Result<RunOutcome> finish_failed(const Error& error) {
    if (registry_) {
      const registry::Time now = registry::registry_time(clock_.wall());
      (void)registry_->record_decision(id_,
                                       {.at = now,
                                        .action = registry::Action::kStop,
                                        .reason = error.message(),
                                        .origin = registry::DecisionOrigin::kController},
                                       {.state = registry::ExperimentState::kFailed});
      (void)registry_->set_controller(id_, std::nullopt, now);
    }
    shut_down();
    return fail(error);
  }

  Result<RunOutcome> finish() {
    say("draining the proxy and stopping every replica");
    if (server_) server_->stop();
    if (swap_thread_.joinable()) {  // a swap still starting replicas gives up
      supervisor_->stop_all();
      swap_thread_.join();
    }
    std::lock_guard lock(mutex_);
    drain_log();
    RunOutcome outcome{.state = to_registry(controller_->state()), .reason = last_reason_};
    auto report = report_json();
    if (report) {
      outcome.report_path = dir_ / "report.json";
      if (auto written = base::write_file_atomic(outcome.report_path, report->dump(2) + "\n");
          !written) {
        say(written.error().message());
      }
    } else {
      say(fmt::format("no report: {}", report.error().message()));
    }
    if (unreadable_lines_ > 0) {
      say(fmt::format("{} access log lines could not be read and were not counted",
                      unreadable_lines_));
    }
    (void)registry_->set_controller(id_, std::nullopt, registry::registry_time(clock_.wall()));
    shut_down();
    return outcome;
  }

  void shut_down() {
    dashboard_.stop();
    if (swap_thread_.joinable()) swap_thread_.join();
    if (server_) server_->stop();
    if (supervisor_) supervisor_->stop_all();
  }

  const RunnerOptions& o_;
  const base::Clock& clock_;
  std::filesystem::path dir_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<registry::Registry> registry_;
  registry::ExperimentId id_ = 0;
  std::string salt_;
  registry::Time started_at_;
  bool resumed_ = false;
  std::optional<Controller> controller_;
  std::unique_ptr<supervise::Supervisor> supervisor_;
  std::vector<int> groups_;
  std::unique_ptr<proxy::Server> server_;
  Dashboard dashboard_{o_.spec, clock_};  // the page at `/` of the admin API
  std::string admin_address_;
  AccessLogTail tail_;
  TrafficTally window_;
  registry::Time window_start_;
  std::chrono::steady_clock::time_point window_end_;
  std::chrono::steady_clock::time_point next_watch_;
  TrafficTally total_;
  std::map<std::string, double> run_weights_;  // sum over requests of the weights in force
  std::uint64_t run_requests_ = 0;
  Weights applied_weights_;
  int recorded_step_ = 0;
  bool stop_requested_ = false;
  std::string last_reason_;
  std::thread swap_thread_;
  std::string swap_state_;  // "", "starting", "done", "failed"
  std::string swap_message_;
  std::atomic<int> swaps_{0};
  std::uint64_t unreadable_lines_ = 0;
};

}  // namespace

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

std::filesystem::path experiment_dir(const std::filesystem::path& root, std::string_view name) {
  return root / "experiments" / std::string(name);
}

Result<RunOutcome> run_experiment(const RunnerOptions& options) {
  Run run(options);
  return run.execute();
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

}  // namespace graft::experiment
