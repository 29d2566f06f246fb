// Reading what the proxy saw: its JSON-lines access log (one line per request, proxy/
// access_log.h) as assignments of requests to variants, outcome values posted back by
// request id, and the per-variant tallies the controller and `graft exp analyze` build
// their statistics from. The experiment process follows the access log (AccessLogTail)
// instead of recording on the request path: the proxy's writer thread already puts every
// request on disk, so assignment recording costs the request path nothing more.
//
// Thread-safety: parse functions are pure; a tail or a tally is used by one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "registry/records.h"
#include "stats/report.h"

namespace graft::experiment {

// One access log line as an assignment. kInvalidArgument naming what is wrong for a line
// that is not JSON or lacks request_id, variant, status, latency_ms or ts.
[[nodiscard]] Result<registry::Assignment> parse_access_line(std::string_view line);

// RFC 3339 UTC ("2026-11-21T21:32:31.123Z", fraction optional). kInvalidArgument otherwise.
[[nodiscard]] Result<registry::Time> parse_rfc3339(std::string_view text);

// Posted outcomes: one JSON object, a JSON array of objects, or JSON lines, each
// {"request_id": "...", "value": 1.0} with an optional "at" (RFC 3339; default `now`).
// kInvalidArgument naming the line (1-based) of the first bad entry.
[[nodiscard]] Result<std::vector<registry::Feedback>> parse_feedback(std::string_view text,
                                                                     registry::Time now);

// Follows a growing access log: each read() returns the complete lines appended since the
// last one. A file that is replaced or truncated (log rotation) is read again from its
// start. A missing file reads as no lines.
class AccessLogTail {
 public:
  explicit AccessLogTail(std::filesystem::path path) : path_(std::move(path)) {}
  // kIo when the file exists but can not be read.
  [[nodiscard]] Result<std::vector<std::string>> read();

 private:
  std::filesystem::path path_;
  std::uint64_t offset_ = 0;
  std::uint64_t inode_ = 0;
  std::string partial_;
};

// Per-variant figures of a set of requests: what stats::build_report takes.
class TrafficTally {
 public:
  // `exact`: keep every latency for exact percentiles (offline analysis); otherwise a
  // log-bucketed histogram (live, bounded memory).
  explicit TrafficTally(bool exact = false) : exact_(exact) {}
  void add(const registry::Assignment& request);
  // Adds one user's summed outcome to `variant`.
  void add_outcome(const std::string& variant, double user_sum);
  [[nodiscard]] std::uint64_t requests(std::string_view variant) const;
  // Variant names seen, in order of their first request.
  [[nodiscard]] const std::vector<std::string>& seen() const { return order_; }
  // The inputs for `variants` (in that order; zeros for a variant never seen), each with
  // its weight from `weights` (0 when absent).
  [[nodiscard]] std::vector<stats::VariantInput> inputs(
      const std::vector<std::string>& variants,
      const std::map<std::string, std::uint32_t, std::less<>>& weights) const;

 private:
  struct Figures {
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    std::unordered_set<std::uint64_t> users;
    std::uint64_t anonymous = 0;  // requests without a user: each counts as one user
    stats::LatencyHistogram latency;
    std::vector<double> samples_us;
    stats::Moments outcome;
  };
  Figures& figures(const std::string& variant);

  bool exact_;
  std::map<std::string, Figures, std::less<>> variants_;
  std::vector<std::string> order_;
};

// The offline report of `graft exp analyze`: every request of `requests`, outcome values
// joined by request id (summed per user of a variant; a request without a user is a user of
// its own), and the weights in force (empty: equal weights). `baseline` names the baseline
// (empty: "baseline" when seen, else the first variant in the log). `unjoined` gets the
// count of values whose request id is not in the log. kInvalidArgument when the log has no
// requests, the baseline is unknown, or only one variant was seen.
struct OfflineInput {
  std::vector<registry::Assignment> requests;
  std::vector<registry::Feedback> feedback;
  std::map<std::string, std::uint32_t, std::less<>> weights;
  std::vector<std::string> order;  // variants in report order; empty: baseline then by log
  std::string baseline;
};
struct OfflineReport {
  stats::Report report;
  std::uint64_t unjoined = 0;
};
[[nodiscard]] Result<OfflineReport> analyze_offline(const OfflineInput& input);

}  // namespace graft::experiment
