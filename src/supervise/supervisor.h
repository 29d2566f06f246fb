// Runs a variant's replicas: each on a free loopback port, in its own process group, its
// output appended to a log file; waits until each is ready; starts one that exits again
// after a backoff, and marks it failed after too many exits (RestartPolicy); stops them
// gracefully. What a replica runs (the command inside its environment, with the
// environment's activation) is decided by the caller: supervise knows processes, not
// environments.
//
// Every replica is started from the supervisor's own thread, which lives until the
// supervisor is destroyed, so the kernel's parent-death signal (base/child.h) ends every
// replica when graft dies, even by SIGKILL.
//
// Thread-safety: every public method may be called from any thread. on_event runs on the
// supervisor's thread and must not call back into the supervisor.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/child.h"
#include "base/result.h"
#include "supervise/restart_policy.h"

namespace graft::supervise {

struct ReplicaSpec {
  std::string variant;
  // "{port}" in any argument becomes the replica's port; PORT is also set.
  std::vector<std::string> argv;
  std::map<std::string, std::string> environment;  // the whole environment
  std::filesystem::path working_directory;         // empty: ours
  std::filesystem::path log_path;                  // stdout and stderr are appended here
  std::string health_path;                         // "/health"; empty: a TCP connect
};

enum class ReplicaState { kStarting, kReady, kBackoff, kFailed, kStopped };

struct ReplicaStatus {
  std::string variant;
  int group = 0;
  int index = 0;  // within its group
  std::uint16_t port = 0;
  pid_t pid = -1;  // -1 while not running
  ReplicaState state = ReplicaState::kStarting;
  int restarts = 0;
};

enum class EventKind { kReady, kExited, kRestarted, kFailed };

struct Event {
  EventKind kind;
  ReplicaStatus replica;
  base::ChildExit exit;               // kExited, kFailed
  std::chrono::milliseconds delay{};  // kExited: when it will be started again
};

struct SupervisorOptions {
  std::chrono::milliseconds ready_timeout{60'000};
  std::chrono::milliseconds stop_grace{10'000};
  std::chrono::milliseconds poll_interval{100};
  std::chrono::milliseconds probe_timeout{1'000};
  RestartPolicyOptions restart;
  std::function<void(const Event&)> on_event;
};

class Supervisor {
 public:
  explicit Supervisor(SupervisorOptions options = {});
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;
  // Stops every replica (stop_all) and the supervisor's thread.
  ~Supervisor();

  // Starts a group of replicas (a variant's, or the new ones of a swap) and waits until
  // every one is ready. Returns the group's id. Errors: kUnavailable when a replica exits
  // before it is ready ("replica 'treatment-1' exited with code 1 before it was ready")
  // or is not ready in time, the message ending with the last lines of its log; kNotFound
  // when the command can not be run; kIo for ports and logs. On error the group is stopped.
  [[nodiscard]] Result<int> start_group(std::vector<ReplicaSpec> specs);
  // "127.0.0.1:PORT" of each replica of `group`, in order.
  [[nodiscard]] std::vector<std::string> addresses(int group) const;
  // Stops a group: SIGTERM to every replica's process group, up to stop_grace, SIGKILL.
  void stop_group(int group);
  // Stops every group.
  void stop_all();
  [[nodiscard]] std::vector<ReplicaStatus> status() const;
  // Whether a replica of `variant` has failed (too many exits).
  [[nodiscard]] bool failed(const std::string& variant) const;

 private:
  struct Replica;
  void run();
  void step(std::vector<Event>& events);
  void launch(Replica& replica, std::vector<Event>& events);
  void stop_where(const std::function<bool(const Replica&)>& chosen);
  [[nodiscard]] static ReplicaStatus status_of(const Replica& replica);

  SupervisorOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  int next_group_ = 1;
  bool quit_ = false;
  std::thread thread_;
};

}  // namespace graft::supervise
