// `graft exp ...`: experiments (experiment/runner.h). `check` validates a spec, `start` runs
// one (in the foreground, or with --detach in the background), `resume` carries on a
// killed one (or resumes a paused one), `status`/`list`/`show` read the registry, the
// manual commands (pause, set-weight, rollback, promote, stop) and `feedback` talk to the
// running experiment's admin API, `analyze` computes the report from an access log,
// `report` prints a run's report, `archive` and `reproduce` keep a run and rebuild its
// environments, `promote --adopt` makes the winner the new baseline.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/subprocess.h"
#include "cli/exp_common.h"
#include "cli/exp_html.h"
#include "cli/json_output.h"
#include "cli/route_admin.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "conda/package_builder.h"
#include "env/export.h"
#include "env/locations.h"
#include "experiment/recording.h"
#include "experiment/runner.h"
#include "experiment/spec.h"
#include "experiment/traffic.h"
#include "registry/registry.h"
#include "registry/traffic.h"
#include "stats/report.h"

namespace graft::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

struct ExpFlags {
  std::string root_prefix;
  std::string file;  // experiment.yml
  std::string name;
  bool json = false;
  bool detach = false;
  bool adopt = false;
  std::string reason;
  std::vector<std::string> assignments;  // set-weight VARIANT=W
  std::string variant;                   // swap
  std::string env;
  std::string command;
};

// An environment named in a spec: a path when it holds a '/', else a name.
Result<fs::path> resolve_environment(const std::string& env, const std::string& root_prefix_flag,
                                     const fs::path& spec_dir) {
  env::PrefixChoice choice{.root_prefix_flag = root_prefix_flag};
  if (env.find('/') != std::string::npos) {
    choice.path = fs::path(env).is_absolute() ? fs::path(env) : spec_dir / env;
  } else {
    choice.name = env;
  }
  auto prefix = resolve_prefix(choice);
  if (!prefix) {
    return fail(prefix.error().code(),
                fmt::format("the environment '{}' of the experiment does not exist ({}): see "
                            "'graft env list', or create it first",
                            env, prefix.error().message()));
  }
  return prefix;
}

Result<std::vector<experiment::VariantEnvironment>> variant_environments(
    const experiment::ExperimentSpec& spec, const std::string& root_prefix_flag,
    const fs::path& spec_dir, bool with_exports) {
  std::vector<experiment::VariantEnvironment> out;
  for (const experiment::VariantSpec& variant : spec.variants) {
    GRAFT_ASSIGN_OR_RETURN(fs::path prefix,
                           resolve_environment(variant.env, root_prefix_flag, spec_dir));
    experiment::VariantEnvironment env{
        .prefix = prefix,
        .display_name = variant.env.find('/') == std::string::npos ? variant.env : prefix.string()};
    if (with_exports) {
      GRAFT_ASSIGN_OR_RETURN(env::EnvironmentExport exported,
                             env::collect_export(prefix, {.name = prefix.filename().string()}));
      env.environment = env::format_environment_yaml(exported);
      GRAFT_ASSIGN_OR_RETURN(auto records, env::load_package_records(prefix));
      env.lock = env::format_explicit(records, {.platform = std::string(conda::native_subdir()),
                                                .hash = env::ExplicitHash::kSha256,
                                                .created_by = graft_label()});
    }
    out.push_back(std::move(env));
  }
  return out;
}

Result<std::pair<std::string, experiment::ExperimentSpec>> read_spec(const std::string& file) {
  GRAFT_ASSIGN_OR_RETURN(std::string text, base::read_file(file));
  GRAFT_ASSIGN_OR_RETURN(experiment::ExperimentSpec spec,
                         experiment::parse_experiment_spec(text, file));
  return std::make_pair(std::move(text), std::move(spec));
}

// SIGINT and SIGTERM set `flag` (read by the runner) from a thread of their own.
class SignalWatch {
 public:
  explicit SignalWatch(std::atomic<bool>* flag) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this, flag] {
      const timespec wait{0, 100'000'000};
      while (!done_.load()) {
        if (sigtimedwait(&set_, nullptr, &wait) > 0) {
          flag->store(true);
          print_line("stopping: draining the proxy, then stopping every replica");
        }
      }
    });
  }
  ~SignalWatch() {
    done_.store(true);
    thread_.join();
  }

 private:
  sigset_t set_{};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

int report_outcome(const Result<experiment::RunOutcome>& outcome, const std::string& name) {
  if (!outcome) return report_error(outcome.error());
  std::fprintf(stdout, "experiment '%s' ended %s: %s\n", name.c_str(),
               std::string(registry::state_name(outcome->state)).c_str(), outcome->reason.c_str());
  if (!outcome->report_path.empty()) {
    std::fprintf(stdout, "report: %s\n", outcome->report_path.c_str());
  }
  return 0;
}

int run_foreground(const fs::path& root, const std::string& root_prefix_flag,
                   const std::string& spec_file, const std::string& text,
                   experiment::ExperimentSpec spec, bool resume) {
  const fs::path spec_dir = fs::absolute(spec_file).parent_path();
  auto environments = variant_environments(spec, root_prefix_flag, spec_dir, !resume);
  if (!environments) return report_error(environments.error());
  if (!resume) {
    const fs::path dir = experiment::experiment_dir(root, spec.name);
    if (auto made = base::make_directories(dir); !made) return report_error(made.error());
    (void)base::write_file_atomic(spec_path_file(root, spec.name),
                                  fs::absolute(spec_file).lexically_normal().string());
  }
  std::atomic<bool> interrupted{false};
  SignalWatch watch(&interrupted);
  const std::string name = spec.name;
  auto outcome = experiment::run_experiment({.root = root,
                                             .spec = std::move(spec),
                                             .spec_text = text,
                                             .spec_dir = spec_dir,
                                             .environments = std::move(*environments),
                                             .base_environment = base::current_environment(),
                                             .resume = resume,
                                             .report = print_line,
                                             .interrupted = &interrupted});
  return report_outcome(outcome, name);
}

// --detach: the same command without --detach, in a new session, its output in the
// experiment's graft.log; returns once the experiment runs (or failed to start).
int run_detached(const fs::path& root, const std::string& name, std::vector<std::string> argv,
                 std::chrono::milliseconds wait) {
  const fs::path dir = experiment::experiment_dir(root, name);
  if (auto made = base::make_directories(dir); !made) return report_error(made.error());
  const fs::path log = dir / "graft.log";
  std::vector<char*> args;
  std::string self = "/proc/self/exe";
  args.push_back(self.data());
  for (std::string& word : argv) args.push_back(word.data());
  args.push_back(nullptr);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child < 0) return report_error(Error(ErrorCode::kIo, "cannot start the experiment process"));
  if (child == 0) {
    ::setsid();
    const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (in >= 0) ::dup2(in, 0);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    ::execv("/proc/self/exe", args.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) {
      auto text = base::read_file(log);
      std::string tail = text ? *text : "";
      if (tail.size() > 2000) tail = tail.substr(tail.size() - 2000);
      return report_error(
          Error(ErrorCode::kUnavailable, fmt::format("the experiment process exited before the "
                                                     "experiment ran; its log ({}):\n{}",
                                                     log.string(), tail)));
    }
    if (auto registry = open_registry(root)) {
      if (auto found = registry->find(name); found && found->controller &&
                                             found->controller->pid == child &&
                                             found->state != registry::ExperimentState::kStarting) {
        std::fprintf(stdout,
                     "experiment '%s' runs in the background: process %d, admin API %s, log %s\n",
                     name.c_str(), static_cast<int>(child),
                     found->controller->admin_address.c_str(), log.c_str());
        return 0;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(child, SIGTERM);
  return report_error(
      Error(ErrorCode::kUnavailable,
            fmt::format("the experiment did not start in time; see {}", log.string())));
}

int run_start(const ExpFlags& flags) {
  auto spec = read_spec(flags.file);
  if (!spec) return report_error(spec.error());
  auto root = graft_root(flags.root_prefix);
  if (!root) return report_error(root.error());
  if (flags.detach) {
    // Check what can be checked before going to the background.
    auto environments = variant_environments(spec->second, flags.root_prefix,
                                             fs::absolute(flags.file).parent_path(), false);
    if (!environments) return report_error(environments.error());
    std::vector<std::string> argv = {"exp", "start", fs::absolute(flags.file).string()};
    if (!flags.root_prefix.empty()) {
      argv.push_back("--root-prefix");
      argv.push_back(flags.root_prefix);
    }
    const auto wait = spec->second.rollout.ready_timeout * 2 + std::chrono::seconds(30);
    return run_detached(*root, spec->second.name, argv, wait);
  }
  return run_foreground(*root, flags.root_prefix, flags.file, spec->first, std::move(spec->second),
                        /*resume=*/false);
}

int run_resume(const ExpFlags& flags) {
  auto root = graft_root(flags.root_prefix);
  if (!root) return report_error(root.error());
  auto record = load_record(*root, flags.name);
  if (!record) return report_error(record.error());
  if (controller_alive(record->experiment)) {
    // A running experiment: resume is the manual command after a pause.
    auto target = running_target(*root, *record);
    if (!target) return report_error(target.error());
    auto reply = call_admin(*target, "POST", "/experiment/resume");
    if (!reply) return report_error(reply.error());
    std::fprintf(stdout, "%s\n", reply->value("reason", std::string("resumed")).c_str());
    return 0;
  }
  const fs::path spec_dir = recorded_spec_dir(*root, flags.name);
  const std::string spec_file = (spec_dir / "experiment.yml").string();
  if (flags.detach) {
    std::vector<std::string> argv = {"exp", "resume", flags.name};
    if (!flags.root_prefix.empty()) {
      argv.push_back("--root-prefix");
      argv.push_back(flags.root_prefix);
    }
    return run_detached(*root, flags.name, argv, std::chrono::minutes(3));
  }
  auto spec = experiment::parse_experiment_spec(record->experiment.spec, spec_file);
  if (!spec) return report_error(spec.error());
  return run_foreground(*root, flags.root_prefix, spec_file, record->experiment.spec,
                        std::move(*spec), /*resume=*/true);
}

int run_check(const ExpFlags& flags) {
  auto spec = read_spec(flags.file);
  if (!spec) return report_error(spec.error());
  const fs::path spec_dir = fs::absolute(flags.file).parent_path();
  auto environments = variant_environments(spec->second, flags.root_prefix, spec_dir, false);
  if (!environments) return report_error(environments.error());
  const auto& s = spec->second;
  std::string steps;
  for (std::uint32_t step : s.rollout.steps)
    steps += fmt::format("{}{}%", steps.empty() ? "" : " → ", step);
  std::fprintf(stdout, "%s: experiment '%s' is valid: %zu variants, steps %s\n", flags.file.c_str(),
               s.name.c_str(), s.variants.size(), steps.c_str());
  for (std::size_t i = 0; i < s.variants.size(); ++i) {
    std::fprintf(stdout, "  %s: %s (%s), %u replica%s\n", s.variants[i].name.c_str(),
                 s.variants[i].env.c_str(), (*environments)[i].prefix.c_str(),
                 s.variants[i].replicas, s.variants[i].replicas == 1 ? "" : "s");
  }
  return 0;
}

std::string time_text(registry::Time at) {
  const std::time_t seconds = static_cast<std::time_t>(registry::to_micros(at) / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &utc);
  return buffer;
}

std::string weights_text(const registry::Weights& weights) {
  std::string out;
  for (const auto& [name, weight] : weights) {
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", name, weight);
  }
  return out;
}

int run_status(const ExpFlags& flags) {
  auto root = graft_root(flags.root_prefix);
  if (!root) return report_error(root.error());
  auto registry = open_registry(*root);
  if (!registry) return report_error(registry.error());
  std::vector<std::string> names;
  if (!flags.name.empty()) {
    names.push_back(flags.name);
  } else {
    auto all = registry->list();
    if (!all) return report_error(all.error());
    for (const auto& experiment : *all) names.push_back(experiment.name);
  }
  Json out = Json::array();
  std::string text;
  for (const std::string& name : names) {
    auto record = registry->load(name);
    if (!record) return report_error(record.error());
    Json status = experiment::status_json(*record);
    if (status["controller"].is_object() && !controller_alive(record->experiment)) {
      status["controller"] = nullptr;  // its process died: resume it
    }
    const auto& e = record->experiment;
    text += fmt::format(
        "{}: {}, step {}, weights {}{}\n", e.name, registry::state_name(e.state), e.step + 1,
        weights_text(e.weights),
        controller_alive(e) ? fmt::format(", admin API {}", e.controller->admin_address) : "");
    for (const registry::Decision& d : record->decisions) {
      text +=
          fmt::format("  {} {}{}: {}\n", time_text(d.at), registry::action_name(d.action),
                      d.origin == registry::DecisionOrigin::kManual ? " (manual)" : "", d.reason);
    }
    out.push_back(std::move(status));
  }
  if (flags.json) {
    std::fputs(json_text(flags.name.empty() ? out : out.at(0)).c_str(), stdout);
  } else {
    std::fputs(text.empty() ? "no experiments\n" : text.c_str(), stdout);
  }
  return 0;
}

int run_list(const ExpFlags& flags) {
  auto root = graft_root(flags.root_prefix);
  if (!root) return report_error(root.error());
  auto registry = open_registry(*root);
  if (!registry) return report_error(registry.error());
  auto all = registry->list();
  if (!all) return report_error(all.error());
  Json out = Json::array();
  std::string text = fmt::format("{:<24}  {:<12}  {:>4}  {}\n", "NAME", "STATE", "STEP", "CREATED");
  for (const registry::Experiment& e : *all) {
    out.push_back({{"name", e.name},
                   {"state", registry::state_name(e.state)},
                   {"step", e.step},
                   {"created", time_text(e.created)},
                   {"running", controller_alive(e)}});
    text += fmt::format("{:<24}  {:<12}  {:>4}  {}\n", e.name, registry::state_name(e.state),
                        e.step + 1, time_text(e.created));
  }
  std::fputs(flags.json ? json_text(out).c_str() : text.c_str(), stdout);
  return 0;
}

int run_show(const ExpFlags& flags) {
  auto root = graft_root(flags.root_prefix);
  if (!root) return report_error(root.error());
  auto record = load_record(*root, flags.name);
  if (!record) return report_error(record.error());
  Json out = experiment::status_json(*record);
  const auto& e = record->experiment;
  out["created"] = time_text(e.created);
  out["code"] = {
      {"repository", e.code.repository}, {"commit", e.code.commit}, {"dirty", e.code.dirty}};
  out["dataset"] = e.dataset;
  Json variants = Json::array();
  for (const registry::Variant& v : record->variants) {
    variants.push_back({{"name", v.name},
                        {"env", v.env_name},
                        {"prefix", v.prefix},
                        {"command", v.command},
                        {"replicas", v.replicas},
                        {"environment_sha256", v.environment_sha256},
                        {"lock_sha256", v.lock_sha256}});
  }
  out["variants"] = variants;
  Json steps = Json::array();
  for (const registry::Step& s : record->steps) {
    steps.push_back({{"index", s.index},
                     {"weight", s.weight},
                     {"started", time_text(s.started)},
                     {"ended", s.ended ? Json(time_text(*s.ended)) : Json(nullptr)}});
  }
  out["steps"] = steps;
  if (flags.json) {
    std::fputs(json_text(out).c_str(), stdout);
    return 0;
  }
  std::string text = fmt::format("experiment {}: {}, created {}\n", e.name,
                                 registry::state_name(e.state), time_text(e.created));
  if (!e.code.commit.empty()) {
    text += fmt::format("code: {} @ {}{}\n", e.code.repository, e.code.commit,
                        e.code.dirty ? " (uncommitted changes)" : "");
  }
  if (!e.dataset.empty()) text += fmt::format("dataset: {}\n", e.dataset);
  for (const registry::Variant& v : record->variants) {
    text += fmt::format("variant {}: env {} ({}), {} replica(s), environment sha256 {}\n", v.name,
                        v.env_name, v.prefix, v.replicas, v.environment_sha256.substr(0, 12));
  }
  for (const registry::Step& s : record->steps) {
    text += fmt::format("step {}: {}% from {}{}\n", s.index + 1, s.weight, time_text(s.started),
                        s.ended ? " to " + time_text(*s.ended) : " (in progress)");
  }
  for (const registry::Decision& d : record->decisions) {
    text += fmt::format("{} {}{}: {}\n", time_text(d.at), registry::action_name(d.action),
                        d.origin == registry::DecisionOrigin::kManual ? " (manual)" : "", d.reason);
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}

// pause, set-weight, rollback, promote, stop: one admin call to the running experiment.
int run_manual(const ExpFlags& flags, std::string_view method, std::string_view path,
               const std::string& body) {
  auto root = graft_root(flags.root_prefix);
  if (!root) return report_error(root.error());
  auto record = load_record(*root, flags.name);
  if (!record) return report_error(record.error());
  auto target = running_target(*root, *record);
  if (!target) return report_error(target.error());
  auto reply = call_admin(*target, method, path, body);
  if (!reply) return report_error(reply.error());
  std::fprintf(stdout, "%s: %s\n", reply->value("action", std::string("done")).c_str(),
               reply->value("reason", std::string()).c_str());
  return 0;
}

int run_set_weight(const ExpFlags& flags) {
  if (flags.assignments.size() != 1) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "give one VARIANT=PERCENT, e.g. 'graft exp set-weight ctr-v3 "
                              "treatment=20'"));
  }
  auto body = parse_weight_assignments(flags.assignments);
  if (!body) return report_error(body.error());
  if (body->begin().value().get<std::uint64_t>() > 100) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "an experiment's weights are percentages: give 0 to 100"));
  }
  return run_manual(flags, "PUT", "/weights", body->dump());
}

int run_rollback(const ExpFlags& flags) {
  Json body = Json::object();
  if (!flags.reason.empty()) body["reason"] = flags.reason;
  return run_manual(flags, "POST", "/experiment/rollback", body.dump());
}

// promote --adopt: the winner becomes the baseline; the old baseline is kept frozen as
// NAME@YYYYMMDD-HHMMSS. A failure at any point leaves the old baseline in place.
Status adopt(const registry::ExperimentRecord& record, const std::string& root_prefix_flag) {
  if (record.experiment.state != registry::ExperimentState::kPromoted) {
    return fail(ErrorCode::kConflict,
                fmt::format("experiment '{}' is {}, not promoted: only a promoted treatment can "
                            "become the baseline",
                            record.experiment.name, registry::state_name(record.experiment.state)));
  }
  if (record.variants.size() < 2) return fail(ErrorCode::kConflict, "no treatment to adopt");
  const registry::Variant& baseline = record.variants.front();
  // The winner: the treatment with the most weight at the end.
  const registry::Variant* winner = &record.variants[1];
  for (const registry::Variant& v : record.variants) {
    auto w = record.experiment.weights.find(v.name);
    auto best = record.experiment.weights.find(winner->name);
    if (&v != &baseline && w != record.experiment.weights.end() &&
        (best == record.experiment.weights.end() || w->second > best->second)) {
      winner = &v;
    }
  }
  auto by_prefix = [](const std::string& env) {
    return env.find('/') != std::string::npos ? std::vector<std::string>{"-p", env}
                                              : std::vector<std::string>{"-n", env};
  };
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
  const std::string base = baseline.env_name;
  const std::string kept = base + "@" + stamp;
  auto create_clone = [&](const std::string& target, const std::string& source) -> Status {
    std::vector<std::string> args = {"create"};
    for (auto& f : by_prefix(target)) args.push_back(f);
    args.push_back("--clone");
    args.push_back(source);
    args.push_back("--yes");
    return run_self(args, root_prefix_flag);
  };
  auto freeze = [&](const std::string& env, const std::string& message) -> Status {
    std::vector<std::string> args = {"env", "freeze"};
    for (auto& f : by_prefix(env)) args.push_back(f);
    args.push_back("--message");
    args.push_back(message);
    return run_self(args, root_prefix_flag);
  };
  // 1. Keep the old baseline as a frozen copy.
  GRAFT_RETURN_IF_ERROR(create_clone(kept, baseline.prefix));
  GRAFT_RETURN_IF_ERROR(freeze(kept, fmt::format("baseline before experiment '{}' "
                                                 "promoted '{}'",
                                                 record.experiment.name, winner->name)));
  // 2. Replace the baseline by a frozen clone of the winner; put the old one back on failure.
  std::vector<std::string> remove = {"env", "remove"};
  for (auto& f : by_prefix(base)) remove.push_back(f);
  remove.push_back("--yes");
  remove.push_back("--override-frozen");
  GRAFT_RETURN_IF_ERROR(run_self(remove, root_prefix_flag));
  Status replaced = create_clone(base, winner->prefix);
  if (replaced) {
    replaced = freeze(base, fmt::format("adopted '{}' from experiment '{}'", winner->name,
                                        record.experiment.name));
  }
  if (!replaced) {
    std::vector<std::string> cleanup = {"env", "remove"};
    for (auto& f : by_prefix(base)) cleanup.push_back(f);
    cleanup.push_back("--yes");
    cleanup.push_back("--override-frozen");
    (void)run_self(cleanup, root_prefix_flag);
    if (auto restored = create_clone(base, kept); !restored) {
      return fail(ErrorCode::kConflict,
                  fmt::format("{}; restoring the baseline from '{}' failed too: {}",
                              replaced.error().message(), kept, restored.error().message()));
    }
    return replaced;
  }
  print_line(
      fmt::format("'{}' is now a frozen clone of '{}'; the old baseline is kept frozen as "
                  "'{}'",
                  base, winner->env_name, kept));
  return ok();
}

int run_promote(const ExpFlags& flags) {
  auto root = graft_root(flags.root_prefix);
  if (!root) return report_error(root.error());
  auto record = load_record(*root, flags.name);
  if (!record) return report_error(record.error());
  if (controller_alive(record->experiment)) {
    if (int code = run_manual(flags, "POST", "/experiment/promote", "{}"); code != 0) return code;
    // The experiment ends; wait until its process has recorded the end.
    for (int i = 0; i < 600; ++i) {
      record = load_record(*root, flags.name);
      if (!record) return report_error(record.error());
      if (registry::is_final(record->experiment.state) && !controller_alive(record->experiment)) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  } else if (record->experiment.state != registry::ExperimentState::kPromoted || !flags.adopt) {
    auto target = running_target(*root, *record);
    return report_error(target.error());
  }
  if (!flags.adopt) return 0;
  if (auto adopted = adopt(*record, flags.root_prefix); !adopted) {
    return report_error(adopted.error());
  }
  return 0;
}

int run_feedback(const ExpFlags& flags) {
  auto text = base::read_file(flags.file);
  if (!text) return report_error(text.error());
  auto root = graft_root(flags.root_prefix);
  if (!root) return report_error(root.error());
  auto record = load_record(*root, flags.name);
  if (!record) return report_error(record.error());
  const auto now = registry::registry_time(std::chrono::system_clock::now());
  auto values = experiment::parse_feedback(*text, now);
  if (!values) return report_error(values.error());
  if (controller_alive(record->experiment)) {
    auto target = running_target(*root, *record);
    if (!target) return report_error(target.error());
    auto reply = call_admin(*target, "POST", "/feedback", *text);
    if (!reply) return report_error(reply.error());
    std::fprintf(stdout, "%lld values accepted\n",
                 static_cast<long long>(reply->value("accepted", 0)));
    return 0;
  }
  auto registry = open_registry(*root);
  if (!registry) return report_error(registry.error());
  registry::TrafficLog traffic(*registry);
  auto stored = traffic.append_feedback(record->experiment.id, *values);
  if (!stored) return report_error(stored.error());
  std::fprintf(stdout, "%lld values recorded\n", static_cast<long long>(*stored));
  return 0;
}

int run_swap(const ExpFlags& flags) {
  auto root = graft_root(flags.root_prefix);
  if (!root) return report_error(root.error());
  auto record = load_record(*root, flags.name);
  if (!record) return report_error(record.error());
  auto target = running_target(*root, *record);
  if (!target) return report_error(target.error());
  auto prefix = resolve_environment(flags.env, flags.root_prefix, fs::current_path());
  if (!prefix) return report_error(prefix.error());
  auto exported = env::collect_export(*prefix, {.name = prefix->filename().string()});
  if (!exported) return report_error(exported.error());
  auto records = env::load_package_records(*prefix);
  if (!records) return report_error(records.error());
  const Json body = {
      {"variant", flags.variant},
      {"env_name", flags.env},
      {"prefix", prefix->string()},
      {"display_name", flags.env.find('/') == std::string::npos ? flags.env : prefix->string()},
      {"command", flags.command},
      {"environment", env::format_environment_yaml(*exported)},
      {"lock", env::format_explicit(*records, {.platform = std::string(conda::native_subdir()),
                                               .hash = env::ExplicitHash::kSha256,
                                               .created_by = graft_label()})}};
  auto started = call_admin(*target, "POST", "/experiment/swap", body.dump());
  if (!started) return report_error(started.error());
  print_line(fmt::format("swap: starting '{}' in {}; waiting until it is ready", flags.variant,
                         prefix->string()));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(15);
  while (std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto status = call_admin(*target, "GET", "/experiment");
    if (!status) return report_error(status.error());
    const auto swap = status->find("swap");
    if (swap == status->end()) continue;
    const std::string state = swap->value("state", std::string());
    const std::string message = swap->value("message", std::string());
    if (state == "done") {
      std::fprintf(stdout, "%s\n", message.c_str());
      return 0;
    }
    if (state == "failed") {
      return report_error(Error(ErrorCode::kUnavailable,
                                fmt::format("the swap failed; '{}' still runs where it did: {}",
                                            flags.variant, message)));
    }
  }
  return report_error(Error(ErrorCode::kUnavailable,
                            "the swap did not finish within 15 minutes; see 'graft exp status'"));
}

void add_root(CLI::App& command, ExpFlags& flags) {
  add_root_prefix_flag(command, flags.root_prefix);
}

void add_name(CLI::App& command, ExpFlags& flags) {
  command.add_option("NAME", flags.name, "the experiment's name")->required();
}

template <typename Run>
VerbRun named(CLI::App& command, Run run, bool json = false) {
  auto flags = std::make_shared<ExpFlags>();
  add_name(command, *flags);
  add_root(command, *flags);
  if (json) command.add_flag("--json", flags->json, "print JSON");
  return [flags, run] { return run(*flags); };
}

GRAFT_VERB({.name = "exp check",
            .help = "validate an experiment.yml and its environments without starting anything",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ExpFlags>();
              command.add_option("FILE", flags->file, "experiment.yml")->required();
              add_root(command, *flags);
              return [flags] { return run_check(*flags); };
            }});

GRAFT_VERB({.name = "exp start",
            .help = "run an experiment: replicas, proxy, controller, until it ends",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ExpFlags>();
              command.add_option("FILE", flags->file, "experiment.yml")->required();
              command.add_flag("--detach", flags->detach,
                               "run in the background; other 'graft exp' commands find it");
              add_root(command, *flags);
              return [flags] { return run_start(*flags); };
            }});

GRAFT_VERB({.name = "exp resume",
            .help = "carry on a killed experiment at its recorded step, or resume a paused one",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ExpFlags>();
              add_name(command, *flags);
              command.add_flag("--detach", flags->detach,
                               "carry it on in the background (a killed experiment)");
              add_root(command, *flags);
              return [flags] { return run_resume(*flags); };
            }});

GRAFT_VERB({.name = "exp status",
            .help = "an experiment's state, step, weights and decisions (all without NAME)",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ExpFlags>();
              command.add_option("NAME", flags->name, "the experiment's name");
              add_root(command, *flags);
              command.add_flag("--json", flags->json, "print JSON");
              return [flags] { return run_status(*flags); };
            }});

GRAFT_VERB({.name = "exp list",
            .help = "every recorded experiment",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ExpFlags>();
              add_root(command, *flags);
              command.add_flag("--json", flags->json, "print JSON");
              return [flags] { return run_list(*flags); };
            }});

GRAFT_VERB({.name = "exp show",
            .help = "everything recorded about an experiment",
            .setup = [](CLI::App& command) { return named(command, run_show, true); }});

GRAFT_VERB({.name = "exp pause",
            .help = "stop automatic decisions; weights stay",
            .setup = [](CLI::App& command) {
              return named(command, [](const ExpFlags& f) {
                return run_manual(f, "POST", "/experiment/pause", "{}");
              });
            }});

GRAFT_VERB({.name = "exp stop",
            .help = "end a running experiment: drain, stop its replicas",
            .setup = [](CLI::App& command) {
              return named(command, [](const ExpFlags& f) {
                return run_manual(f, "POST", "/experiment/stop", "{}");
              });
            }});

GRAFT_VERB({.name = "exp set-weight",
            .help = "set a treatment's weight in percent: NAME VARIANT=PERCENT",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ExpFlags>();
              add_name(command, *flags);
              command.add_option("ASSIGNMENT", flags->assignments, "VARIANT=PERCENT")->required();
              add_root(command, *flags);
              return [flags] { return run_set_weight(*flags); };
            }});

GRAFT_VERB({.name = "exp rollback",
            .help = "send all traffic to the baseline and end the experiment",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ExpFlags>();
              add_name(command, *flags);
              command.add_option("--reason", flags->reason, "why, recorded with the decision");
              add_root(command, *flags);
              return [flags] { return run_rollback(*flags); };
            }});

GRAFT_VERB({.name = "exp promote",
            .help = "end the experiment promoting the treatment; --adopt makes it the baseline",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ExpFlags>();
              add_name(command, *flags);
              command.add_flag("--adopt", flags->adopt,
                               "the baseline environment becomes a frozen clone of the winner; "
                               "the old one is kept frozen as NAME@YYYYMMDD-HHMMSS");
              add_root(command, *flags);
              return [flags] { return run_promote(*flags); };
            }});

GRAFT_VERB(
    {.name = "exp feedback",
     .help = "post outcome values by request id: NAME FILE.jsonl",
     .setup = [](CLI::App& command) -> VerbRun {
       auto flags = std::make_shared<ExpFlags>();
       add_name(command, *flags);
       command.add_option("FILE", flags->file, "JSON lines of {request_id, value}")->required();
       add_root(command, *flags);
       return [flags] { return run_feedback(*flags); };
     }});

GRAFT_VERB({.name = "exp swap",
            .help = "move a variant to new replicas in another environment with no failed request",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ExpFlags>();
              add_name(command, *flags);
              command.add_option("VARIANT", flags->variant, "the variant to move")->required();
              command
                  .add_option("--env", flags->env,
                              "the new environment: a name, or a path with a '/'")
                  ->required();
              command.add_option("--command", flags->command,
                                 "the new replicas' command (default: the variant's)");
              add_root(command, *flags);
              return [flags] { return run_swap(*flags); };
            }});

}  // namespace
}  // namespace graft::cli
