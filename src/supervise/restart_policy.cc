#include "supervise/restart_policy.h"

#include <algorithm>

namespace graft::supervise {

void RestartPolicy::forget_before(TimePoint cutoff) {
  while (!exits_.empty() && exits_.front() <= cutoff) exits_.pop_front();
}

std::optional<std::chrono::milliseconds> RestartPolicy::on_exit(TimePoint now) {
  forget_before(now - options_.window);
  exits_.push_back(now);
  const int exits = static_cast<int>(exits_.size());
  if (exits >= options_.max_exits) return std::nullopt;
  auto delay = options_.initial_delay;
  for (int i = 1; i < exits && delay < options_.max_delay; ++i) delay *= 2;
  return std::min(delay, options_.max_delay);
}

int RestartPolicy::recent_exits(TimePoint now) const {
  return static_cast<int>(std::count_if(
      exits_.begin(), exits_.end(), [&](TimePoint exit) { return exit > now - options_.window; }));
}

}  // namespace graft::supervise
