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
#include "base/strings.h"
#include "base/subprocess.h"
#include "env/run_plan.h"
#include "experiment/admin_api.h"
#include "experiment/controller.h"
#include "experiment/dashboard.h"
#include "experiment/recording.h"
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

// How long a hot swap leaves the old replicas running after the traffic moved: requests
// already sent to them finish.
constexpr auto kSwapDrain = std::chrono::seconds(2);
// How long the proxy and the admin API stay up with the final weights after a decision
// ended the experiment (not after Ctrl-C): requests in flight finish, and a dashboard or
// script reads the outcome from GET /status and GET /experiment.
constexpr auto kEndLinger = std::chrono::seconds(2);
// How often the controller watches between windows (Controller::watch).
constexpr auto kWatchInterval = std::chrono::seconds(1);

class Run final : public ExperimentControl {
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
    if (!o_.spec.route.access_log.empty())
      return resolve_spec_path(o_.spec_dir, o_.spec.route.access_log);
    return dir_ / "access.jsonl";
  }

  void say(std::string_view line) const {
    if (o_.report) o_.report(line);
  }

  std::vector<std::string> variant_names() const { return controller_plan(o_.spec).variants; }

  // Opens the registry and records the experiment (or loads it to resume).
  Status prepare() {
    if (o_.environments.size() != o_.spec.variants.size()) {
      return fail(ErrorCode::kInternal, "one environment per variant is needed");
    }
    GRAFT_RETURN_IF_ERROR(base::make_directories(dir_ / "logs"));
    GRAFT_ASSIGN_OR_RETURN(registry::Registry opened,
                           registry::Registry::open(o_.root / registry::kFileName));
    registry_.emplace(std::move(opened));
    GRAFT_ASSIGN_OR_RETURN(RecordedRun recorded,
                           record_run(*registry_, o_, registry::registry_time(clock_.wall())));
    id_ = recorded.id;
    salt_ = std::move(recorded.salt);
    started_at_ = recorded.started_at;
    resumed_ = recorded.resumed;
    controller_.emplace(std::move(recorded.controller));
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
    config.token_file = resolve_spec_path(o_.spec_dir, config.token_file).string();
    std::vector<proxy::AdminRoute> routes = experiment_admin_routes(*this);
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
                    .total = total_.inputs(names, controller_->weights()),
                    .window_number = window_number_};
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
    ++window_number_;
    window_start_ = registry::registry_time(clock_.wall());
    window_end_ = clock_.steady() + o_.spec.rollout.interval;
  }

  void loop() {
    std::unique_lock lock(mutex_);
    restart_window();
    while (true) {
      wake_.wait_for(lock, o_.poll_interval);
      drain_log();
      const bool interrupted = interrupt_requested();
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

  // Ctrl-C or SIGTERM reached `graft exp start` (RunnerOptions::interrupted).
  bool interrupt_requested() const { return o_.interrupted != nullptr && o_.interrupted->load(); }

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

  Result<Decision> decide(const ManualCommand& command) override {
    std::lock_guard lock(mutex_);
    const auto now = clock_.wall();
    Result<Decision> decision = fail(ErrorCode::kInvalidArgument, "not a manual command");
    switch (command.action) {
      case Action::kPause: decision = controller_->pause(now); break;
      case Action::kResume: decision = controller_->resume_running(now); break;
      case Action::kPromote: decision = controller_->promote(now); break;
      case Action::kStop:
        stop_requested_ = true;
        decision = controller_->stop(now);
        break;
      case Action::kRollback:
        decision = controller_->rollback(
            command.reason.empty() ? std::string("rolled back by hand") : command.reason, now);
        break;
      case Action::kSetWeight:
        decision = controller_->set_weight(command.variant, command.weight, now);
        break;
      default: break;
    }
    if (!decision) return decision;
    GRAFT_RETURN_IF_ERROR(apply(*decision));
    wake_.notify_all();
    return decision;
  }

  Result<Json> status() override {
    std::lock_guard lock(mutex_);
    GRAFT_ASSIGN_OR_RETURN(registry::ExperimentRecord record, registry_->load(o_.spec.name));
    Json status = status_json(record);
    status["listen"] = fmt::format("{}:{}", o_.spec.route.listen.host, server_->port());
    if (!swap_state_.empty()) {
      status["swap"] = {{"state", swap_state_}, {"message", swap_message_}};
    }
    return status;
  }

  Result<Json> report() override {
    std::lock_guard lock(mutex_);
    drain_log();
    return report_json();
  }

  Result<std::int64_t> feedback(std::string_view body) override {
    std::lock_guard lock(mutex_);
    GRAFT_ASSIGN_OR_RETURN(auto values,
                           parse_feedback(body, registry::registry_time(clock_.wall())));
    registry::TrafficLog traffic(*registry_);
    return traffic.append_feedback(id_, values);
  }

  // GET /experiment shows "swap": {"state": "starting|done|failed", "message"} meanwhile.
  Status start_swap(SwapRequest request) override {
    std::size_t index = 0;
    while (index < o_.spec.variants.size() && o_.spec.variants[index].name != request.variant) {
      ++index;
    }
    if (index == o_.spec.variants.size()) {
      Error error(ErrorCode::kNotFound,
                  fmt::format("the experiment has no variant '{}'", request.variant));
      const std::string close = base::closest_match(request.variant, variant_names());
      return fail(close.empty() ? error
                                : error.with_hint(fmt::format("did you mean '{}'?", close)));
    }
    std::vector<std::string> argv = o_.spec.variants[index].argv;
    if (!request.command.empty()) {
      GRAFT_ASSIGN_OR_RETURN(argv, split_command(request.command));
    } else {
      request.command = o_.spec.variants[index].command;
    }
    VariantEnvironment env = std::move(request.environment);
    if (env.display_name.empty()) env.display_name = env.prefix.string();
    std::lock_guard lock(mutex_);
    if (swap_state_ == "starting")
      return fail(ErrorCode::kConflict, "a swap is already in progress");
    if (ended()) return fail(ErrorCode::kConflict, "the experiment has ended");
    swap_state_ = "starting";
    swap_message_ = fmt::format("starting '{}' in {}", request.variant, env.prefix.string());
    if (swap_thread_.joinable()) swap_thread_.join();
    registry::Variant record{
        .name = request.variant,
        .env_name = request.env_name.empty() ? env.prefix.string() : request.env_name,
        .prefix = env.prefix.string(),
        .environment = env.environment,
        .lock = env.lock,
        .command = request.command,
        .replicas = o_.spec.variants[index].replicas};
    swap_thread_ = std::thread([this, index, env = std::move(env), record = std::move(record),
                                argv = std::move(argv)]() mutable {
      swap(index, std::move(env), std::move(record), std::move(argv));
    });
    return ok();
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
    if (server_ && !interrupt_requested()) {
      std::unique_lock lock(mutex_);
      drain_log();  // the final figures are in the registry while the API still answers
      const auto until = clock_.steady() + kEndLinger;
      while (clock_.steady() < until && !interrupt_requested()) {
        wake_.wait_for(lock, std::chrono::milliseconds(100));
      }
    }
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
  int window_number_ = 0;  // windows begun: the current one's share of alpha
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

std::filesystem::path experiment_dir(const std::filesystem::path& root, std::string_view name) {
  return root / "experiments" / std::string(name);
}

Result<RunOutcome> run_experiment(const RunnerOptions& options) {
  Run run(options);
  return run.execute();
}

}  // namespace graft::experiment
