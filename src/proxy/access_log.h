// Asynchronous JSON-lines access log: one line per proxied request, written by a writer
// thread so the request path never touches the disk; it writes in batches (up to 512 lines
// or 20 ms after the first), one write(2) each.
//
// A line: {"ts":"2026-11-21T21:32:31.123Z","request_id":"...","method":"GET","path":"/",
// "status":200,"variant":"baseline","upstream":"127.0.0.1:9001","latency_ms":1.234,
// "upstream_latency_ms":1.001,"bytes_in":0,"bytes_out":512,"user":"9f2c...",
// "model_version":"v3"} — `user` is a hash of the sticky key, never the raw id; empty
// strings are written as null.
//
// Thread-safety: append() and reopen() may be called from any thread. The queue is bounded
// (Options::max_queued_lines); when full, lines are dropped and counted (dropped()). Lines
// a write fails for (a full disk) are dropped and counted too. Each of the two is logged by
// the writer thread at most once per Options::complain_every, with the number of lines
// dropped since the last report.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/result.h"

namespace graft::proxy {

struct AccessLogEntry {
  std::chrono::system_clock::time_point time;
  std::string_view request_id;
  std::string_view method;
  std::string_view path;
  int status = 0;
  std::string_view variant;
  std::string_view upstream;  // "host:port", empty when no upstream was reached
  double latency_ms = 0;
  double upstream_latency_ms = 0;
  std::uint64_t bytes_in = 0;   // request body bytes from the client
  std::uint64_t bytes_out = 0;  // response bytes (head and body) to the client
  std::string_view user;        // hash of the sticky key
  std::string_view model_version;
};

// Formats one entry as a JSON line ending in '\n'. Pure; used by the log and by tests.
[[nodiscard]] std::string format_access_log_line(const AccessLogEntry& entry);
// The same line appended to `out` (the log's path: no allocation once `out` has grown).
void append_access_log_line(std::string* out, const AccessLogEntry& entry);
// RFC 3339 UTC with milliseconds: "2026-11-21T21:32:31.123Z".
[[nodiscard]] std::string format_rfc3339_ms(std::chrono::system_clock::time_point time);
// Appends `text` to `out` escaped for a JSON string (without the quotes): quotes,
// backslashes and control characters escaped, valid UTF-8 as is, and every byte that is
// not part of valid UTF-8 (a raw path or header from a client) as \ufffd, so a line is
// always valid JSON.
void append_json_escaped(std::string* out, std::string_view text);

class AccessLog {
 public:
  struct Options {
    std::filesystem::path path;             // "-" writes to stdout
    std::size_t max_queued_lines = 65'536;  // beyond this, lines are dropped
    // At most one error log line per this interval while writes fail.
    std::chrono::milliseconds complain_every{10'000};
  };

  // Opens (appending, creating) the file and starts the writer thread. kIo when the file
  // cannot be opened.
  [[nodiscard]] static Result<std::unique_ptr<AccessLog>> open(Options options);
  ~AccessLog();  // flushes queued lines, then joins the writer
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Queues one formatted line; never blocks on I/O.
  void append(const AccessLogEntry& entry);
  // Closes and reopens the file before the next write (log rotation, SIGUSR1).
  void reopen();
  // Blocks until every line queued before the call is written (tests, shutdown).
  void flush();
  [[nodiscard]] std::uint64_t dropped() const { return dropped_.load(); }
  [[nodiscard]] std::uint64_t written() const { return written_.load(); }

 private:
  explicit AccessLog(Options options);
  [[nodiscard]] Status open_file();
  void run();
  // Writes `lines` lines in `batch`; counts the lines a failed write loses as dropped.
  void write_batch(const std::string& batch, std::size_t lines);
  // Rate-limited reports of dropped lines (writer thread only).
  struct Complaint {
    std::uint64_t unreported = 0;
    std::chrono::steady_clock::time_point last{};
    bool made = false;
  };
  // Adds `lost` to the complaint; true when it is due (then the caller logs and it resets).
  bool due(Complaint* complaint, std::uint64_t lost);
  void complain_write(int error, std::size_t lost);
  void complain_queue();

  Options options_;
  int fd_ = -1;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::string queue_;             // guarded by mutex_: whole lines waiting for the writer
  std::size_t queued_lines_ = 0;  // guarded by mutex_: lines in queue_
  std::string writing_;           // writer thread: the batch being written (capacity kept)
  bool stopping_ = false;
  bool reopen_requested_ = false;
  std::uint64_t enqueued_ = 0;  // guarded by mutex_
  std::uint64_t done_ = 0;      // guarded by mutex_
  int flush_waiters_ = 0;       // guarded by mutex_: flush() calls waiting
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> written_{0};
  // Writer thread only: a failed write left a line cut short in the file (the next write
  // starts on a new line), and the failures not yet reported.
  bool cut_line_ = false;
  Complaint write_failed_;
  Complaint queue_full_;
  std::atomic<std::uint64_t> queue_dropped_{0};  // lines dropped by append(), total
  std::uint64_t queue_dropped_seen_ = 0;         // writer thread: reported or counted
  std::thread writer_;
};

}  // namespace graft::proxy
