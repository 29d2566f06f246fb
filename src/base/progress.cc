#include "base/progress.h"

#include <chrono>
#include <cstdio>

#include <fmt/core.h>

#include "base/log.h"

namespace graft::base {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string amount_text(std::uint64_t amount, ProgressUnit unit) {
  return unit == ProgressUnit::kBytes ? human_bytes(amount) : std::to_string(amount);
}

std::string bar_line(std::string_view label, std::uint64_t done, std::uint64_t total, bool finished,
                     ProgressUnit unit) {
  constexpr int kWidth = 30;
  std::string bar;
  if (total > 0) {
    int filled = static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * kWidth);
    filled = std::min(filled, kWidth);
    bar = std::string(static_cast<std::size_t>(filled), '#') +
          std::string(static_cast<std::size_t>(kWidth - filled), '-');
  } else {
    bar = std::string(kWidth, finished ? '#' : '.');
  }
  std::string amount = total > 0 ? amount_text(done, unit) + " / " + amount_text(total, unit)
                                 : amount_text(done, unit);
  return fmt::format("{:<32.32} [{}] {}{}", label, bar, amount, finished ? " done" : "");
}

}  // namespace

std::string human_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

void ProgressTask::set(std::uint64_t done, std::uint64_t total) {
  {
    std::lock_guard lock(owner_->mutex_);
    done_ = done;
    total_ = total;
  }
  owner_->redraw();
}

void ProgressTask::advance(std::uint64_t delta) {
  {
    std::lock_guard lock(owner_->mutex_);
    done_ += delta;
  }
  owner_->redraw();
}

void ProgressTask::finish() {
  {
    std::lock_guard lock(owner_->mutex_);
    finished_ = true;
    if (total_ > 0) done_ = total_;
  }
  owner_->redraw(true);
}

Progress::Progress(ProgressMode mode)
    : enabled_(mode == ProgressMode::kAlways || (mode == ProgressMode::kAuto && stderr_is_terminal())) {}

Progress::~Progress() { redraw(true); }

ProgressTask* Progress::add_task(std::string label, ProgressUnit unit) {
  std::lock_guard lock(mutex_);
  tasks_.push_back(std::unique_ptr<ProgressTask>(new ProgressTask(this, std::move(label), unit)));
  return tasks_.back().get();
}

void Progress::redraw(bool force) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  std::int64_t now = now_ms();
  if (!force && now - last_draw_ms_ < 50) return;
  last_draw_ms_ = now;
  std::string frame;
  // Move the cursor back over the previous frame, then redraw every line.
  if (lines_drawn_ > 0) frame += fmt::format("\x1b[{}F", lines_drawn_);
  for (const auto& task : tasks_) {
    frame += "\x1b[2K" +
             bar_line(task->label_, task->done_, task->total_, task->finished_, task->unit_) + "\n";
  }
  lines_drawn_ = tasks_.size();
  std::fputs(frame.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace graft::base
