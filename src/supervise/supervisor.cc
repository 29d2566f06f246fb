#include "supervise/supervisor.h"

#include <signal.h>

#include <algorithm>
#include <optional>

#include "base/fs.h"
#include "base/strings.h"
#include "supervise/probe.h"

namespace graft::supervise {

using SteadyClock = std::chrono::steady_clock;

struct Supervisor::Replica {
  ReplicaSpec spec;
  int group = 0;
  int index = 0;
  std::uint16_t port = 0;
  ReplicaState state = ReplicaState::kStarting;
  int restarts = 0;
  std::optional<base::Child> child;
  bool launched = false;               // the first start was made
  std::optional<Error> start_error;    // why it could not be started or made ready
  SteadyClock::time_point deadline{};  // kStarting: ready by then; kBackoff: start then
  RestartPolicy policy;
};

namespace {

constexpr std::size_t kLogLinesInErrors = 10;

std::string replica_name(const std::string& variant, int index) {
  return variant + "-" + std::to_string(index + 1);
}

// The last lines of a replica's log, indented, for an error message ("" when empty).
std::string log_tail(const std::filesystem::path& log) {
  auto text = base::read_file(log);
  if (!text || text->empty()) return {};
  std::vector<std::string_view> lines = base::split(base::trim(*text), '\n');
  std::size_t first = lines.size() > kLogLinesInErrors ? lines.size() - kLogLinesInErrors : 0;
  std::string tail = "\nlast lines of " + log.string() + ":";
  for (std::size_t i = first; i < lines.size(); ++i) tail += "\n  " + std::string(lines[i]);
  return tail;
}

std::vector<std::string> with_port(std::vector<std::string> argv, std::uint16_t port) {
  for (std::string& argument : argv)
    argument = base::replace_all(argument, "{port}", std::to_string(port));
  return argv;
}

}  // namespace

Supervisor::Supervisor(SupervisorOptions options) : options_(std::move(options)) {
  thread_ = std::thread([this] { run(); });
}

Supervisor::~Supervisor() {
  stop_all();
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

ReplicaStatus Supervisor::status_of(const Replica& replica) {
  pid_t pid = replica.child ? replica.child->pid() : -1;
  return {.variant = replica.spec.variant,
          .group = replica.group,
          .index = replica.index,
          .port = replica.port,
          .pid = pid,
          .state = replica.state,
          .restarts = replica.restarts};
}

Result<int> Supervisor::start_group(std::vector<ReplicaSpec> specs) {
  std::unique_lock lock(mutex_);
  const int group = next_group_++;
  const auto deadline = SteadyClock::now() + options_.ready_timeout;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto replica = std::make_unique<Replica>();
    replica->spec = std::move(specs[i]);
    replica->group = group;
    replica->index = static_cast<int>(i);
    replica->deadline = deadline;
    replica->policy = RestartPolicy(options_.restart);
    replicas_.push_back(std::move(replica));
  }
  changed_.notify_all();
  std::optional<Error> error;
  changed_.wait(lock, [&] {
    bool all_ready = true;
    for (const auto& replica : replicas_) {
      if (replica->group != group) continue;
      if (replica->start_error) {
        error = *replica->start_error;
        return true;
      }
      all_ready = all_ready && replica->state == ReplicaState::kReady;
    }
    return all_ready;
  });
  lock.unlock();
  if (error) {
    stop_group(group);
    return fail(*error);
  }
  return group;
}

void Supervisor::launch(Replica& replica, std::vector<Event>& events) {
  const std::string name = replica_name(replica.spec.variant, replica.index);
  if (replica.port == 0) {
    auto port = pick_free_port();
    if (!port) {
      replica.start_error = port.error();
      return;
    }
    replica.port = *port;
  }
  auto environment = replica.spec.environment;
  environment["PORT"] = std::to_string(replica.port);
  auto child = base::Child::start({.argv = with_port(replica.spec.argv, replica.port),
                                   .environment = std::move(environment),
                                   .working_directory = replica.spec.working_directory,
                                   .log_path = replica.spec.log_path});
  if (!child) {
    replica.start_error = Error(child.error().code(),
                                "cannot start replica '" + name + "': " + child.error().message());
    if (replica.launched) replica.state = ReplicaState::kFailed;
    return;
  }
  replica.child = std::move(*child);
  if (replica.launched) {
    ++replica.restarts;
    events.push_back({.kind = EventKind::kRestarted, .replica = status_of(replica), .exit = {}});
  }
  replica.launched = true;
  replica.state = ReplicaState::kStarting;
}

// One pass over the replicas, under the lock: start, probe, reap, restart.
void Supervisor::step(std::vector<Event>& events) {
  const auto now = SteadyClock::now();
  for (auto& owned : replicas_) {
    Replica& replica = *owned;
    if (replica.state == ReplicaState::kStopped || replica.state == ReplicaState::kFailed) continue;
    const std::string name = replica_name(replica.spec.variant, replica.index);
    if (!replica.launched) {
      launch(replica, events);
      continue;
    }
    if (replica.state == ReplicaState::kBackoff) {
      if (now >= replica.deadline) launch(replica, events);
      continue;
    }
    if (auto exit = replica.child->poll()) {
      ReplicaStatus status = status_of(replica);
      replica.child.reset();
      if (replica.restarts == 0 && replica.state == ReplicaState::kStarting) {
        replica.start_error =
            Error(ErrorCode::kUnavailable,
                  "replica '" + name + "' exited with code " + std::to_string(exit->exit_code) +
                      " before it was ready" + log_tail(replica.spec.log_path));
        replica.state = ReplicaState::kFailed;
        continue;
      }
      auto delay = replica.policy.on_exit(now);
      replica.state = delay ? ReplicaState::kBackoff : ReplicaState::kFailed;
      replica.deadline = now + delay.value_or(std::chrono::milliseconds(0));
      status.state = replica.state;
      events.push_back({.kind = delay ? EventKind::kExited : EventKind::kFailed,
                        .replica = status,
                        .exit = *exit,
                        .delay = delay.value_or(std::chrono::milliseconds(0))});
      continue;
    }
    if (replica.state == ReplicaState::kStarting) {
      if (probe(replica.port, replica.spec.health_path, options_.probe_timeout)) {
        replica.state = ReplicaState::kReady;
        events.push_back({.kind = EventKind::kReady, .replica = status_of(replica), .exit = {}});
      } else if (replica.restarts == 0 && now >= replica.deadline) {
        replica.start_error = Error(ErrorCode::kUnavailable,
                                    "replica '" + name + "' was not ready within " +
                                        std::to_string(options_.ready_timeout.count() / 1000) +
                                        " s" + log_tail(replica.spec.log_path));
      }
    }
  }
}

void Supervisor::run() {
  std::unique_lock lock(mutex_);
  while (!quit_) {
    std::vector<Event> events;
    step(events);
    changed_.notify_all();
    if (!events.empty() && options_.on_event) {
      lock.unlock();
      for (const Event& event : events) options_.on_event(event);
      lock.lock();
    }
    changed_.wait_for(lock, options_.poll_interval);
  }
}

void Supervisor::stop_where(const std::function<bool(const Replica&)>& chosen) {
  std::vector<base::Child> children;
  {
    std::lock_guard lock(mutex_);
    for (auto& replica : replicas_) {
      if (!chosen(*replica) || replica->state == ReplicaState::kStopped) continue;
      replica->state = ReplicaState::kStopped;
      if (replica->child) children.push_back(std::move(*replica->child));
      replica->child.reset();
    }
  }
  for (base::Child& child : children) child.signal_group(SIGTERM);
  const auto deadline = SteadyClock::now() + options_.stop_grace;
  for (base::Child& child : children) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    (void)child.stop(std::max(left, std::chrono::milliseconds(1)));
  }
}

void Supervisor::stop_group(int group) {
  stop_where([group](const Replica& replica) { return replica.group == group; });
}

void Supervisor::stop_all() {
  stop_where([](const Replica&) { return true; });
}

std::vector<std::string> Supervisor::addresses(int group) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> result;
  for (const auto& replica : replicas_) {
    if (replica->group == group) result.push_back("127.0.0.1:" + std::to_string(replica->port));
  }
  return result;
}

std::vector<ReplicaStatus> Supervisor::status() const {
  std::lock_guard lock(mutex_);
  std::vector<ReplicaStatus> result;
  for (const auto& replica : replicas_) result.push_back(status_of(*replica));
  return result;
}

bool Supervisor::failed(const std::string& variant) const {
  std::lock_guard lock(mutex_);
  return std::any_of(replicas_.begin(), replicas_.end(), [&](const auto& replica) {
    return replica->spec.variant == variant && replica->state == ReplicaState::kFailed &&
           replica->launched && !replica->start_error;
  });
}

}  // namespace graft::supervise
