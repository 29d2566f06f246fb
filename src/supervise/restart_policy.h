// When a replica that exited is started again: exponential backoff, and a limit on exits in
// a window after which the replica (and so its variant) is failed. Pure: times come in.
//
// Thread-safety: none; one policy per replica, used by the supervisor's thread.
#pragma once

#include <chrono>
#include <deque>
#include <optional>

namespace graft::supervise {

struct RestartPolicyOptions {
  std::chrono::milliseconds initial_delay{1'000};  // before the first restart
  std::chrono::milliseconds max_delay{30'000};     // the backoff doubles up to this
  int max_exits = 3;                               // this many exits within `window` fail it
  std::chrono::milliseconds window{60'000};
};

class RestartPolicy {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit RestartPolicy(RestartPolicyOptions options = {}) : options_(options) {}

  // Records an exit at `now`. Returns the delay before the next start, or nullopt when this
  // exit is the `max_exits`-th within `window`: the replica has failed.
  [[nodiscard]] std::optional<std::chrono::milliseconds> on_exit(TimePoint now);
  // Exits recorded within the window ending at `now`.
  [[nodiscard]] int recent_exits(TimePoint now) const;

 private:
  void forget_before(TimePoint cutoff);

  RestartPolicyOptions options_;
  std::deque<TimePoint> exits_;
};

}  // namespace graft::supervise
