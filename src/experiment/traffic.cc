#include "experiment/traffic.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"

namespace graft::experiment {
namespace {

constexpr std::size_t kMaxLineBytes = 64 * 1024;
constexpr std::size_t kMaxReadBytes = 16 << 20;  // per read(): the rest comes next time

Result<std::string> string_field(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("'{}' is missing or not a string", key));
  }
  return it->get<std::string>();
}

Result<double> number_field(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number() || !std::isfinite(it->get<double>())) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("'{}' is missing or not a number", key));
  }
  return it->get<double>();
}

bool parse_digits(std::string_view text, int* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

Result<registry::Time> parse_rfc3339(std::string_view text) {
  auto bad = [&] {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not an RFC 3339 UTC time like 2026-11-21T21:32:31.123Z",
                            text.substr(0, 64)));
  };
  if (text.size() < 20 || text.back() != 'Z' || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return bad();
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!parse_digits(text.substr(0, 4), &year) || !parse_digits(text.substr(5, 2), &month) ||
      !parse_digits(text.substr(8, 2), &day) || !parse_digits(text.substr(11, 2), &hour) ||
      !parse_digits(text.substr(14, 2), &minute) || !parse_digits(text.substr(17, 2), &second)) {
    return bad();
  }
  std::int64_t micros = 0;
  std::string_view fraction = text.substr(19, text.size() - 20);
  if (!fraction.empty()) {
    if (fraction[0] != '.' || fraction.size() < 2 || fraction.size() > 10) return bad();
    std::int64_t scale = 100'000;
    for (char c : fraction.substr(1)) {
      if (c < '0' || c > '9') return bad();
      micros += (c - '0') * scale;
      scale /= 10;
    }
  }
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(year),
                            std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return bad();
  return registry::Time(sys_days(date).time_since_epoch() + hours(hour) + minutes(minute) +
                        seconds(second) + microseconds(micros));
}

Result<registry::Assignment> parse_access_line(std::string_view line) {
  if (line.size() > kMaxLineBytes) {
    return fail(ErrorCode::kInvalidArgument, "the line is longer than 64 KiB");
  }
  nlohmann::json object = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) {
    return fail(ErrorCode::kInvalidArgument, "not a JSON object (an access log line of graft's)");
  }
  registry::Assignment out;
  GRAFT_ASSIGN_OR_RETURN(out.request_id, string_field(object, "request_id"));
  GRAFT_ASSIGN_OR_RETURN(out.variant, string_field(object, "variant"));
  GRAFT_ASSIGN_OR_RETURN(std::string ts, string_field(object, "ts"));
  GRAFT_ASSIGN_OR_RETURN(out.at, parse_rfc3339(ts));
  GRAFT_ASSIGN_OR_RETURN(double status, number_field(object, "status"));
  if (status < 0 || status > 999 || status != std::floor(status)) {
    return fail(ErrorCode::kInvalidArgument, "'status' is not an HTTP status");
  }
  out.status = static_cast<std::int32_t>(status);
  GRAFT_ASSIGN_OR_RETURN(double latency_ms, number_field(object, "latency_ms"));
  if (latency_ms < 0) return fail(ErrorCode::kInvalidArgument, "'latency_ms' is negative");
  out.latency = registry::Duration(static_cast<std::int64_t>(std::llround(latency_ms * 1000)));
  if (auto user = object.find("user"); user != object.end() && user->is_string()) {
    const std::string& hex = user->get_ref<const std::string&>();
    std::uint64_t hash = 0;
    auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), hash, 16);
    if (ec != std::errc() || ptr != hex.data() + hex.size()) {
      return fail(ErrorCode::kInvalidArgument, "'user' is not a hexadecimal hash");
    }
    out.user_hash = hash;
  }
  // Routed to a variant with no healthy upstream and served by the baseline instead: a
  // proxy-side failure of the variant it was routed to, recorded as that variant's 503.
  if (auto from = object.find("failover_from");
      from != object.end() && from->is_string() && !from->get_ref<const std::string&>().empty()) {
    out.variant = from->get<std::string>();
    out.status = 503;
  }
  return out;
}

Result<std::vector<registry::Feedback>> parse_feedback(std::string_view text, registry::Time now) {
  std::vector<registry::Feedback> out;
  auto one = [&](const nlohmann::json& object, std::size_t line) -> Status {
    auto where = [&](const Error& error) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("feedback line {}: {}: expected {{\"request_id\": \"...\", "
                              "\"value\": 1.0}}",
                              line, error.message()));
    };
    if (!object.is_object()) return where(Error(ErrorCode::kInvalidArgument, "not a JSON object"));
    registry::Feedback feedback{.at = now};
    auto id = string_field(object, "request_id");
    if (!id) return where(id.error());
    feedback.request_id = std::move(*id);
    auto value = number_field(object, "value");
    if (!value) return where(value.error());
    feedback.value = *value;
    if (auto at = object.find("at"); at != object.end()) {
      auto parsed =
          at->is_string()
              ? parse_rfc3339(at->get<std::string>())
              : Result<registry::Time>(fail(ErrorCode::kInvalidArgument, "'at' is not a string"));
      if (!parsed) return where(parsed.error());
      feedback.at = *parsed;
    }
    out.push_back(std::move(feedback));
    return ok();
  };
  nlohmann::json whole = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (whole.is_object()) {
    GRAFT_RETURN_IF_ERROR(one(whole, 1));
    return out;
  }
  if (whole.is_array()) {
    for (const nlohmann::json& item : whole) GRAFT_RETURN_IF_ERROR(one(item, 1));
    return out;
  }
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    nlohmann::json object = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    GRAFT_RETURN_IF_ERROR(one(object, line_number));
  }
  if (out.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "no feedback: expected JSON lines of {\"request_id\": \"...\", \"value\": 1.0}");
  }
  return out;
}

Result<std::vector<std::string>> AccessLogTail::read() {
  std::vector<std::string> lines;
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return lines;
    return fail(ErrorCode::kIo, fmt::format("cannot open the access log '{}': {}", path_.string(),
                                            std::strerror(errno)));
  }
  base::Fd file(fd);
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    return fail(ErrorCode::kIo,
                fmt::format("the access log '{}' is not a regular file", path_.string()));
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (info.st_ino != inode_ || size < offset_) {  // rotated or truncated: from the start
    inode_ = info.st_ino;
    offset_ = 0;
    partial_.clear();
  }
  std::string chunk(std::min<std::uint64_t>(size - offset_, kMaxReadBytes), '\0');
  std::size_t filled = 0;
  while (filled < chunk.size()) {
    const ssize_t got = ::pread(fd, chunk.data() + filled, chunk.size() - filled,
                                static_cast<off_t>(offset_ + filled));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      return fail(ErrorCode::kIo, fmt::format("cannot read the access log '{}': {}", path_.string(),
                                              std::strerror(errno)));
    }
    if (got == 0) break;
    filled += static_cast<std::size_t>(got);
  }
  chunk.resize(filled);
  offset_ += filled;
  partial_ += chunk;
  std::size_t start = 0;
  for (std::size_t end; (end = partial_.find('\n', start)) != std::string::npos; start = end + 1) {
    if (end > start) lines.emplace_back(partial_, start, end - start);
  }
  partial_.erase(0, start);
  if (partial_.size() > kMaxLineBytes) partial_.clear();  // not a line of ours: skip it
  return lines;
}

TrafficTally::Figures& TrafficTally::figures(const std::string& variant) {
  auto it = variants_.find(variant);
  if (it == variants_.end()) {
    order_.push_back(variant);
    it = variants_.emplace(variant, Figures{}).first;
  }
  return it->second;
}

void TrafficTally::add(const registry::Assignment& request) {
  Figures& f = figures(request.variant);
  ++f.requests;
  if (request.status >= 500) ++f.errors;
  if (request.user_hash) {
    f.users.insert(*request.user_hash);
  } else {
    ++f.anonymous;
  }
  const auto micros =
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, request.latency.count()));
  if (exact_) {
    f.samples_us.push_back(static_cast<double>(micros));
  } else {
    f.latency.record(micros);
  }
}

void TrafficTally::add_outcome(const std::string& variant, double user_sum) {
  figures(variant).outcome.add(user_sum);
}

std::uint64_t TrafficTally::requests(std::string_view variant) const {
  auto it = variants_.find(variant);
  return it == variants_.end() ? 0 : it->second.requests;
}

std::vector<stats::VariantInput> TrafficTally::inputs(
    const std::vector<std::string>& variants,
    const std::map<std::string, std::uint32_t, std::less<>>& weights) const {
  std::vector<stats::VariantInput> out;
  for (const std::string& name : variants) {
    stats::VariantInput input{.name = name};
    if (auto weight = weights.find(name); weight != weights.end()) input.weight = weight->second;
    if (auto it = variants_.find(name); it != variants_.end()) {
      const Figures& f = it->second;
      input.requests = f.requests;
      input.errors = f.errors;
      input.users = f.users.size() + f.anonymous;
      input.latency = f.latency;
      if (exact_) input.latency_samples_us = f.samples_us;
      input.outcome = f.outcome;
    }
    out.push_back(std::move(input));
  }
  return out;
}

Result<OfflineReport> analyze_offline(const OfflineInput& input) {
  if (input.requests.empty()) {
    return fail(ErrorCode::kInvalidArgument, "the access log has no requests to analyse");
  }
  TrafficTally tally(/*exact=*/true);
  std::unordered_map<std::string_view, const registry::Assignment*> by_id;
  by_id.reserve(input.requests.size());
  for (const registry::Assignment& request : input.requests) {
    if (by_id.emplace(request.request_id, &request).second) tally.add(request);
  }
  std::vector<std::string> order = input.order;
  if (order.empty()) {
    std::string baseline = input.baseline;
    if (baseline.empty()) {
      baseline = tally.requests("baseline") > 0 ? "baseline" : tally.seen().front();
    }
    order.push_back(baseline);
    for (const std::string& name : tally.seen()) {
      if (name != baseline) order.push_back(name);
    }
  }
  if (tally.requests(order.front()) == 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the baseline '{}' has no requests in the log", order.front()));
  }
  if (order.size() < 2) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the log has requests of one variant only ('{}'): nothing to compare",
                            order.front()));
  }
  // Outcomes: each value joins its request; sums per (variant, user).
  OfflineReport out;
  std::map<std::pair<std::string, std::string>, double> per_user;
  for (const registry::Feedback& value : input.feedback) {
    auto it = by_id.find(value.request_id);
    if (it == by_id.end()) {
      ++out.unjoined;
      continue;
    }
    const registry::Assignment& request = *it->second;
    std::string user =
        request.user_hash ? fmt::format("u{:016x}", *request.user_hash) : "r" + request.request_id;
    per_user[{request.variant, std::move(user)}] += value.value;
  }
  for (const auto& [key, sum] : per_user) tally.add_outcome(key.first, sum);
  std::map<std::string, std::uint32_t, std::less<>> weights = input.weights;
  if (weights.empty()) {
    for (const std::string& name : order) weights[name] = 1;
  }
  GRAFT_ASSIGN_OR_RETURN(out.report, stats::build_report(tally.inputs(order, weights)));
  return out;
}

}  // namespace graft::experiment
