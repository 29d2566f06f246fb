#include "proxy/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace graft::proxy {
namespace {

// The writer gathers lines for up to kLinger after the first of a batch (nginx's access_log
// flush=), or until kBatchLines are queued: one write(2) per batch, not per request.
constexpr auto kLinger = std::chrono::milliseconds(20);
constexpr std::size_t kBatchLines = 512;

void append_string_field(std::string* out, std::string_view key, std::string_view value) {
  out->append(",\"").append(key).append("\":");
  if (value.empty()) {
    out->append("null");
    return;
  }
  out->push_back('"');
  append_json_escaped(out, value);
  out->push_back('"');
}

// The length of a UTF-8 sequence by its lead byte; 0 for a byte that cannot lead one (a
// continuation byte, an overlong 2-byte lead, or past U+10FFFF).
std::size_t lead_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xc2) return 0;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  if (lead < 0xf5) return 4;
  return 0;
}

// The length of the valid UTF-8 sequence at the start of `text` (1 to 4), or 0 when it
// does not start with one (a stray continuation byte, an overlong form, a surrogate, a
// code point over U+10FFFF or a truncated sequence).
std::size_t utf8_sequence_length(std::string_view text) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  std::size_t length = lead_length(byte(0));
  if (length == 0 || text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
  }
  if (byte(0) == 0xe0 && byte(1) < 0xa0) return 0;   // overlong
  if (byte(0) == 0xed && byte(1) >= 0xa0) return 0;  // UTF-16 surrogate
  if (byte(0) == 0xf0 && byte(1) < 0x90) return 0;   // overlong
  if (byte(0) == 0xf4 && byte(1) >= 0x90) return 0;  // over U+10FFFF
  return length;
}

}  // namespace

void append_json_escaped(std::string* out, std::string_view text) {
  while (!text.empty()) {
    char c = text.front();
    unsigned char byte = static_cast<unsigned char>(c);
    std::size_t length = 1;
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (byte < 0x20 || byte == 0x7f) {
      out->append(fmt::format("\\u{:04x}", byte));
    } else if (byte < 0x80) {
      out->push_back(c);
    } else if ((length = utf8_sequence_length(text)) == 0) {
      out->append("\\ufffd");  // not UTF-8: one replacement character per byte
      length = 1;
    } else {
      out->append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
}

namespace {

// "YYYY-MM-DDTHH:MM:SS" of `seconds` since the epoch, UTC.
void append_rfc3339_seconds(std::string* out, std::time_t seconds) {
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  fmt::format_to(std::back_inserter(*out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                 utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                 utc.tm_sec);
}

// RFC 3339 with milliseconds; the date and time of day are formatted once per second per
// thread (requests of one second share them).
void append_rfc3339_ms(std::string* out, std::chrono::system_clock::time_point time) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const auto seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const auto millis = static_cast<unsigned>(ms - static_cast<std::int64_t>(seconds) * 1000);
  thread_local std::time_t cached_seconds = -1;
  thread_local std::string cached;
  if (seconds != cached_seconds || cached.empty()) {
    cached.clear();
    append_rfc3339_seconds(&cached, seconds);
    cached_seconds = seconds;
  }
  out->append(cached);
  const char digits[] = {'.', static_cast<char>('0' + millis / 100),
                         static_cast<char>('0' + millis / 10 % 10),
                         static_cast<char>('0' + millis % 10), 'Z'};
  out->append(digits, sizeof digits);
}

}  // namespace

std::string format_rfc3339_ms(std::chrono::system_clock::time_point time) {
  std::string out;
  append_rfc3339_ms(&out, time);
  return out;
}

void append_access_log_line(std::string* out, const AccessLogEntry& entry) {
  out->append("{\"ts\":\"");
  append_rfc3339_ms(out, entry.time);
  out->push_back('"');
  append_string_field(out, "request_id", entry.request_id);
  append_string_field(out, "method", entry.method);
  append_string_field(out, "path", entry.path);
  fmt::format_to(std::back_inserter(*out), ",\"status\":{}", entry.status);
  append_string_field(out, "variant", entry.variant);
  append_string_field(out, "upstream", entry.upstream);
  fmt::format_to(std::back_inserter(*out),
                 ",\"latency_ms\":{:.3f},\"upstream_latency_ms\":{:.3f},\"bytes_in\":{},"
                 "\"bytes_out\":{}",
                 entry.latency_ms, entry.upstream_latency_ms, entry.bytes_in, entry.bytes_out);
  append_string_field(out, "user", entry.user);
  append_string_field(out, "model_version", entry.model_version);
  out->append("}\n");
}

std::string format_access_log_line(const AccessLogEntry& entry) {
  std::string line;
  line.reserve(320);
  append_access_log_line(&line, entry);
  return line;
}

AccessLog::AccessLog(Options options) : options_(std::move(options)) {}

Result<std::unique_ptr<AccessLog>> AccessLog::open(Options options) {
  std::unique_ptr<AccessLog> log(new AccessLog(std::move(options)));
  GRAFT_RETURN_IF_ERROR(log->open_file());
  log->writer_ = std::thread([raw = log.get()] { raw->run(); });
  return log;
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  if (fd_ > STDERR_FILENO) ::close(fd_);
}

Status AccessLog::open_file() {
  if (options_.path == "-") {
    fd_ = STDOUT_FILENO;
    return ok();
  }
  int fd = ::open(options_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(ErrorCode::kIo, fmt::format("cannot open access log '{}': {}",
                                            options_.path.string(), std::strerror(errno)));
  }
  if (fd_ > STDERR_FILENO) ::close(fd_);
  fd_ = fd;
  return ok();
}

void AccessLog::append(const AccessLogEntry& entry) {
  thread_local std::string line;  // formatted outside the lock, into reused capacity
  line.clear();
  append_access_log_line(&line, entry);
  {
    std::lock_guard lock(mutex_);
    if (queued_lines_ >= options_.max_queued_lines) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      queue_dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.append(line);
    ++queued_lines_;
    ++enqueued_;
    // The writer wakes for the first line of a batch, then lingers (kLinger) to gather more;
    // a full batch wakes it early. Other appends cost no system call.
    if (queued_lines_ != 1 && queued_lines_ != kBatchLines) return;
  }
  wake_.notify_one();
}

void AccessLog::reopen() {
  {
    std::lock_guard lock(mutex_);
    reopen_requested_ = true;
  }
  wake_.notify_one();
}

void AccessLog::flush() {
  std::unique_lock lock(mutex_);
  std::uint64_t target = enqueued_;
  ++flush_waiters_;  // the writer stops lingering
  wake_.notify_one();
  drained_.wait(lock, [&] { return done_ >= target || stopping_; });
  --flush_waiters_;
}

void AccessLog::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || reopen_requested_ || !queue_.empty(); });
    wake_.wait_for(lock, kLinger, [&] {
      return stopping_ || reopen_requested_ || queued_lines_ >= kBatchLines || flush_waiters_ > 0;
    });
    bool reopen = std::exchange(reopen_requested_, false);
    writing_.swap(queue_);  // both keep their capacity: no allocation per batch
    const std::size_t lines = std::exchange(queued_lines_, 0);
    bool stop = stopping_;
    lock.unlock();
    if (reopen) {
      if (auto status = open_file(); !status) {
        spdlog::error("{}", status.error().message());
      } else {
        cut_line_ = false;  // a new file
      }
    }
    write_batch(writing_, lines);
    writing_.clear();
    complain_queue();
    lock.lock();
    done_ += lines;
    drained_.notify_all();
    if (stop && queue_.empty()) return;
  }
}

void AccessLog::write_batch(const std::string& batch, std::size_t lines) {
  if (batch.empty()) return;
  std::string_view rest = batch;
  std::string with_newline;
  if (cut_line_) {  // end the fragment a failed write left, so this batch starts a line
    with_newline = "\n" + batch;
    rest = with_newline;
  }
  std::size_t done = 0;
  int error = 0;
  while (done < rest.size()) {
    ssize_t written = ::write(fd_, rest.data() + done, rest.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      error = written < 0 ? errno : EIO;
      break;
    }
    done += static_cast<std::size_t>(written);
  }
  std::string_view sent = rest.substr(0, done);
  if (cut_line_ && done > 0) sent.remove_prefix(1);
  if (done > 0) cut_line_ = false;
  auto complete = static_cast<std::size_t>(std::count(sent.begin(), sent.end(), '\n'));
  written_.fetch_add(complete, std::memory_order_relaxed);
  if (done == rest.size()) return;
  if (!sent.empty() && sent.back() != '\n') cut_line_ = true;
  complain_write(error, lines - complete);
}

bool AccessLog::due(Complaint* complaint, std::uint64_t lost) {
  complaint->unreported += lost;
  auto now = std::chrono::steady_clock::now();
  if (complaint->unreported == 0) return false;
  if (complaint->made && now - complaint->last < options_.complain_every) return false;
  complaint->made = true;
  complaint->last = now;
  return true;
}

void AccessLog::complain_write(int error, std::size_t lost) {
  dropped_.fetch_add(lost, std::memory_order_relaxed);
  if (!due(&write_failed_, lost)) return;
  spdlog::error("cannot write access log '{}': {}: {} lines dropped (reported at most every {} s)",
                options_.path.string(), std::strerror(error), write_failed_.unreported,
                std::chrono::duration<double>(options_.complain_every).count());
  write_failed_.unreported = 0;
}

void AccessLog::complain_queue() {
  std::uint64_t total = queue_dropped_.load(std::memory_order_relaxed);
  std::uint64_t lost = total - queue_dropped_seen_;
  queue_dropped_seen_ = total;
  if (!due(&queue_full_, lost)) return;
  spdlog::error(
      "access log '{}' falls behind: {} lines dropped with {} queued (reported at "
      "most every {} s)",
      options_.path.string(), queue_full_.unreported, options_.max_queued_lines,
      std::chrono::duration<double>(options_.complain_every).count());
  queue_full_.unreported = 0;
}

}  // namespace graft::proxy
