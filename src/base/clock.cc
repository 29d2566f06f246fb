#include "base/clock.h"

namespace graft::base {
namespace {

class RealClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point steady() const override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point wall() const override {
    return std::chrono::system_clock::now();
  }
};

}  // namespace

const Clock& real_clock() {
  static const RealClock clock;
  return clock;
}

ManualClock::ManualClock(std::chrono::system_clock::time_point wall_start)
    : wall_start_(wall_start), steady_start_(std::chrono::hours(24)) {}

std::chrono::steady_clock::time_point ManualClock::steady() const {
  std::lock_guard lock(mutex_);
  return steady_start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(elapsed_);
}

std::chrono::system_clock::time_point ManualClock::wall() const {
  std::lock_guard lock(mutex_);
  return wall_start_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(elapsed_);
}

void ManualClock::advance(std::chrono::nanoseconds step) {
  if (step.count() <= 0) return;
  std::lock_guard lock(mutex_);
  elapsed_ += step;
}

}  // namespace graft::base
