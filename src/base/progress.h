// A progress reporter for long work (downloads, extraction, linking): draws bars on a
// terminal, stays silent when stderr is piped or when quiet. Thread-safe: tasks may be
// advanced from worker threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace graft::base {

enum class ProgressMode { kAuto, kAlways, kNever };
// What a task counts: bytes ("1.4 MiB / 3.0 MiB") or things ("3 / 10").
enum class ProgressUnit { kBytes, kItems };

class Progress;

// One line of progress (e.g. one package's download). Owned by its Progress.
class ProgressTask {
 public:
  // Sets the amount done; `total` 0 means unknown.
  void set(std::uint64_t done, std::uint64_t total);
  void advance(std::uint64_t delta);
  void finish();

 private:
  friend class Progress;
  ProgressTask(Progress* owner, std::string label, ProgressUnit unit)
      : owner_(owner), label_(std::move(label)), unit_(unit) {}
  Progress* owner_;
  std::string label_;
  ProgressUnit unit_;
  std::uint64_t done_ = 0;
  std::uint64_t total_ = 0;
  bool finished_ = false;
};

class Progress {
 public:
  explicit Progress(ProgressMode mode = ProgressMode::kAuto);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Whether anything will be drawn.
  [[nodiscard]] bool enabled() const { return enabled_; }
  // Adds a task; the pointer stays valid for the Progress's life.
  ProgressTask* add_task(std::string label, ProgressUnit unit = ProgressUnit::kBytes);
  // Renders the bar lines; called by tasks, at most every 50 ms unless `force`.
  void redraw(bool force = false);

 private:
  friend class ProgressTask;
  bool enabled_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<ProgressTask>> tasks_;
  std::int64_t last_draw_ms_ = 0;
  std::size_t lines_drawn_ = 0;
};

// Formats a byte count for people: "812 B", "1.4 MiB".
[[nodiscard]] std::string human_bytes(std::uint64_t bytes);

}  // namespace graft::base
