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

}  // namespace

void append_json_escaped(std::string* out, std::string_view text) {
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (byte < 0x20 || byte == 0x7f) {
      out->append(fmt::format("\\u{:04x}", byte));
    } else {
      out->push_back(c);
    }
  }
}

std::string format_rfc3339_ms(std::chrono::system_clock::time_point time) {
  auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  std::time_t seconds = static_cast<std::time_t>(since_epoch.count() / 1000);
  long millis = static_cast<long>(since_epoch.count() % 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

std::string format_access_log_line(const AccessLogEntry& entry) {
  std::string line;
  line.reserve(320);
  line.append("{\"ts\":\"").append(format_rfc3339_ms(entry.time)).push_back('"');
  append_string_field(&line, "request_id", entry.request_id);
  append_string_field(&line, "method", entry.method);
  append_string_field(&line, "path", entry.path);
  line.append(fmt::format(",\"status\":{}", entry.status));
  append_string_field(&line, "variant", entry.variant);
  append_string_field(&line, "upstream", entry.upstream);
  line.append(fmt::format(",\"latency_ms\":{:.3f},\"upstream_latency_ms\":{:.3f}",
                          entry.latency_ms, entry.upstream_latency_ms));
  line.append(fmt::format(",\"bytes_in\":{},\"bytes_out\":{}", entry.bytes_in, entry.bytes_out));
  append_string_field(&line, "user", entry.user);
  append_string_field(&line, "model_version", entry.model_version);
  line.append("}\n");
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
  std::string line = format_access_log_line(entry);
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.max_queued_lines) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(line));
    ++enqueued_;
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
  drained_.wait(lock, [&] { return done_ >= target || stopping_; });
}

void AccessLog::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || reopen_requested_ || !queue_.empty(); });
    bool reopen = std::exchange(reopen_requested_, false);
    std::deque<std::string> lines;
    lines.swap(queue_);
    bool stop = stopping_;
    lock.unlock();
    if (reopen) {
      if (auto status = open_file(); !status) spdlog::error("{}", status.error().message());
    }
    std::string batch;
    for (const std::string& line : lines) batch += line;
    write_batch(batch);
    lock.lock();
    done_ += lines.size();
    drained_.notify_all();
    if (stop && queue_.empty()) return;
  }
}

void AccessLog::write_batch(const std::string& batch) {
  std::size_t offset = 0;
  while (offset < batch.size()) {
    ssize_t written = ::write(fd_, batch.data() + offset, batch.size() - offset);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      spdlog::error("writing access log '{}': {}", options_.path.string(), std::strerror(errno));
      return;
    }
    offset += static_cast<std::size_t>(written);
  }
  written_.fetch_add(std::count(batch.begin(), batch.end(), '\n'), std::memory_order_relaxed);
}

}  // namespace graft::proxy
