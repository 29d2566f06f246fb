// Time as an interface, so that code which waits, times out or stamps records (the
// experiment controller, the supervisor's backoff) runs in simulated time in tests.
//
// Thread-safety: every Clock may be read from several threads at once; ManualClock may be
// advanced from one thread while others read it.
#pragma once

#include <chrono>
#include <mutex>

namespace graft::base {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for intervals and deadlines.
  [[nodiscard]] virtual std::chrono::steady_clock::time_point steady() const = 0;
  // Wall-clock time, for what is recorded or shown.
  [[nodiscard]] virtual std::chrono::system_clock::time_point wall() const = 0;
};

// The system's clocks. Lives for the whole program.
[[nodiscard]] const Clock& real_clock();

// A clock that moves only when told: both readings advance together.
class ManualClock final : public Clock {
 public:
  // Starts at the given wall time (default: 2024-01-01T00:00:00Z) and an arbitrary
  // steady time.
  explicit ManualClock(std::chrono::system_clock::time_point wall_start =
                           std::chrono::system_clock::time_point(std::chrono::seconds(1704067200)));

  [[nodiscard]] std::chrono::steady_clock::time_point steady() const override;
  [[nodiscard]] std::chrono::system_clock::time_point wall() const override;
  // Moves both readings forward by `step` (negative steps are ignored: time never goes
  // back).
  void advance(std::chrono::nanoseconds step);

 private:
  mutable std::mutex mutex_;
  std::chrono::nanoseconds elapsed_{0};
  std::chrono::system_clock::time_point wall_start_;
  std::chrono::steady_clock::time_point steady_start_;
};

}  // namespace graft::base
