// `graft exp load URL [--users N] [--rate R] [--duration S | --requests N] [--until NAME]
// [--outcome FIELD --experiment NAME]`: a load generator for experiments and demos. Users
// "user-1".."user-N" (the sticky header, X-User-Id by default) send requests at about R
// per second from a few threads; the summary gives requests, errors and p50/p99 latency
// per variant (from X-Graft-Variant). With --outcome, each response's JSON field FIELD
// (a probability, e.g. a predicted click-through rate) draws a 0/1 outcome that is posted
// back by request id to the experiment's POST /feedback, as a real client's clicks would.
// With --until, a request that finds no proxy because the experiment has just ended stops
// the load and is not counted.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/http_client.h"
#include "cli/checked_flags.h"
#include "cli/exp_common.h"
#include "cli/json_output.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "stats/histogram.h"

namespace graft::cli {
namespace {

struct LoadFlags {
  std::string url;
  std::uint64_t users = 100;
  double rate = 50;
  double duration = 10;
  std::uint64_t requests = 0;
  std::string user_header = "X-User-Id";
  std::vector<std::string> headers;
  std::string until;       // stop when this experiment has ended
  std::string outcome;     // JSON field of the response: a probability
  std::string experiment;  // where outcomes go
  std::string root_prefix;
  std::uint64_t seed = 1;
  bool json = false;
};

struct VariantFigures {
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::uint64_t outcomes = 0;
  double outcome_sum = 0;
  stats::LatencyHistogram latency;
};

class Load {
 public:
  explicit Load(const LoadFlags& flags) : flags_(flags) {}

  int run() {
    if (!flags_.outcome.empty() || !flags_.until.empty()) {
      auto root = graft_root(flags_.root_prefix);
      if (!root) return report_error(root.error());
      root_ = *root;
    }
    if (!flags_.outcome.empty()) {
      const std::string& name = flags_.experiment.empty() ? flags_.until : flags_.experiment;
      if (name.empty()) {
        return report_error(Error(ErrorCode::kInvalidArgument,
                                  "--outcome needs --experiment NAME (where the outcomes go)"));
      }
      auto record = load_record(root_, name);
      if (!record) return report_error(record.error());
      auto target = running_target(root_, *record);
      if (!target) return report_error(target.error());
      feedback_target_ = *target;
    }
    const unsigned threads =
        static_cast<unsigned>(std::clamp<double>(flags_.rate / 25.0, 1.0, 16.0));
    const auto start = std::chrono::steady_clock::now();
    deadline_ = start + std::chrono::milliseconds(static_cast<long>(flags_.duration * 1000));
    std::vector<std::thread> workers;
    for (unsigned i = 0; i < threads; ++i) {
      workers.emplace_back([this, i, threads] { worker(i, threads); });
    }
    std::thread watcher([this] { watch(); });
    for (std::thread& worker : workers) worker.join();
    stop_.store(true);
    watcher.join();
    flush_feedback();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    print(seconds);
    return sent_.load() == 0 ? 1 : 0;
  }

 private:
  bool done() const {
    if (stop_.load()) return true;
    if (flags_.requests > 0 && sent_.load() >= flags_.requests) return true;
    return flags_.requests == 0 && std::chrono::steady_clock::now() >= deadline_;
  }

  void worker(unsigned index, unsigned threads) {
    std::mt19937_64 random(flags_.seed * 7919 + index);
    std::uniform_int_distribution<std::uint64_t> user(1, std::max<std::uint64_t>(1, flags_.users));
    std::uniform_real_distribution<double> unit(0, 1);
    const auto interval = std::chrono::duration<double>(threads / flags_.rate);
    auto next = std::chrono::steady_clock::now();
    while (!done()) {
      if (flags_.requests > 0 && sent_.fetch_add(1) >= flags_.requests) break;
      if (flags_.requests == 0) sent_.fetch_add(1);
      base::HttpRequest request{.url = flags_.url, .total_timeout = std::chrono::seconds(10)};
      request.headers.emplace_back(flags_.user_header, fmt::format("user-{}", user(random)));
      for (const std::string& header : flags_.headers) {
        const auto colon = header.find(':');
        std::string value = header.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        request.headers.emplace_back(header.substr(0, colon), value);
      }
      const auto before = std::chrono::steady_clock::now();
      auto response = base::http_request(request);
      if (!response && until_ended()) {
        sent_.fetch_sub(1);  // the proxy closed with the experiment: not a failed request
        break;
      }
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - before)
                              .count();
      record(response, static_cast<std::uint64_t>(micros), unit(random));
      next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
      const auto now = std::chrono::steady_clock::now();
      if (next > now) {
        std::this_thread::sleep_until(next);
      } else if (now - next > std::chrono::seconds(1)) {
        next = now;  // fell behind (a slow upstream): do not burst to catch up
      }
    }
  }

  void record(const Result<base::HttpResponse>& response, std::uint64_t micros, double draw) {
    std::lock_guard lock(mutex_);
    if (!response) {
      VariantFigures& f = variants_["(no response)"];
      ++f.requests;
      ++f.errors;
      return;
    }
    std::string variant = response->header("X-Graft-Variant");
    if (variant.empty()) variant = "(none)";
    VariantFigures& f = variants_[variant];
    ++f.requests;
    if (response->status >= 500) ++f.errors;
    f.latency.record(micros);
    if (flags_.outcome.empty() || response->status >= 500) return;
    nlohmann::json body = nlohmann::json::parse(response->body, nullptr, false);
    auto field = body.is_object() ? body.find(flags_.outcome) : body.end();
    if (!body.is_object() || field == body.end() || !field->is_number()) return;
    const double probability = std::clamp(field->get<double>(), 0.0, 1.0);
    const double value = draw < probability ? 1.0 : 0.0;
    const std::string id = response->header("X-Request-Id");
    if (id.empty()) return;
    ++f.outcomes;
    f.outcome_sum += value;
    pending_feedback_ += nlohmann::json{{"request_id", id}, {"value", value}}.dump() + "\n";
  }

  // Whether --until's experiment has ended (its proxy closes then); stops the load if so.
  bool until_ended() {
    if (flags_.until.empty()) return false;
    auto record = load_record(root_, flags_.until);
    if (!record || !registry::is_final(record->experiment.state)) return false;
    stop_.store(true);
    return true;
  }

  // Posts outcomes every half second; stops the load when --until's experiment has ended.
  void watch() {
    while (!stop_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      flush_feedback();
      (void)until_ended();
    }
  }

  void flush_feedback() {
    std::string batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(pending_feedback_);
    }
    if (batch.empty() || !feedback_target_) return;
    if (auto posted = call_admin(*feedback_target_, "POST", "/feedback", batch); !posted) {
      ++(until_ended() ? feedback_after_end_ : feedback_failures_);
    }
  }

  void print(double seconds) {
    std::lock_guard lock(mutex_);
    nlohmann::ordered_json out = {{"seconds", seconds}, {"requests", sent_.load()}};
    std::string text = fmt::format("{:<16} {:>9} {:>7} {:>9} {:>9} {:>9}\n", "VARIANT", "REQUESTS",
                                   "ERRORS", "P50 MS", "P99 MS", "OUTCOME");
    for (const auto& [name, f] : variants_) {
      auto ms = [&](double percent) {
        auto value = f.latency.percentile(percent);
        return value ? *value / 1000.0 : 0.0;
      };
      const double outcome = f.outcomes ? f.outcome_sum / static_cast<double>(f.outcomes) : 0.0;
      out["variants"][name] = {{"requests", f.requests}, {"errors", f.errors},
                               {"p50_ms", ms(50)},       {"p99_ms", ms(99)},
                               {"outcomes", f.outcomes}, {"outcome_mean", outcome}};
      text += fmt::format("{:<16} {:>9} {:>7} {:>9.2f} {:>9.2f} {:>9}\n", name, f.requests,
                          f.errors, ms(50), ms(99),
                          f.outcomes ? fmt::format("{:.3f}", outcome) : std::string("-"));
    }
    text += fmt::format("{} requests in {:.1f} s ({:.0f}/s)\n", sent_.load(), seconds,
                        static_cast<double>(sent_.load()) / std::max(seconds, 1e-9));
    if (feedback_after_end_ > 0) {
      report_warning(
          fmt::format("{} outcome batch(es) came after experiment '{}' had ended and "
                      "were not posted: its report counts the outcomes before",
                      feedback_after_end_, flags_.until));
    }
    if (feedback_failures_ > 0) {
      report_warning(fmt::format("{} outcome batches could not be posted", feedback_failures_));
    }
    std::fputs(flags_.json ? json_text(out).c_str() : text.c_str(), stdout);
  }

  const LoadFlags& flags_;
  std::filesystem::path root_;
  std::optional<AdminTarget> feedback_target_;
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::mutex mutex_;
  std::map<std::string, VariantFigures> variants_;
  std::string pending_feedback_;
  std::uint64_t feedback_failures_ = 0;
  std::uint64_t feedback_after_end_ = 0;  // --until's experiment had ended
};

GRAFT_VERB({.name = "exp load",
            .help = "send requests with stable user ids to a proxy (and post outcomes back)",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<LoadFlags>();
              command.add_option("URL", flags->url, "http://127.0.0.1:8080/predict")->required();
              add_number_option(command, "--users", flags->users,
                                "distinct user ids, 1 to 10000000 (default 100)",
                                NumberRange<std::uint64_t>{1, 10'000'000});
              add_number_option(command, "--rate", flags->rate,
                                "requests per second, 0.1 to 100000 (default 50)",
                                NumberRange<double>{0.1, 100'000});
              add_number_option(command, "--duration", flags->duration,
                                "seconds to run, 0.1 to 86400 (default 10)",
                                NumberRange<double>{0.1, 86'400});
              add_number_option(command, "--requests", flags->requests,
                                "stop after this many requests instead",
                                NumberRange<std::uint64_t>{1, 1'000'000'000});
              command.add_option("--user-header", flags->user_header,
                                 "the sticky header carrying the user id (default X-User-Id)");
              command.add_option("-H,--header", flags->headers, "an extra header, 'Name: value'");
              command.add_option("--until", flags->until,
                                 "stop when this experiment has ended (its duration still caps)");
              command.add_option("--outcome", flags->outcome,
                                 "a JSON field of each response, a probability: posts a 0/1 "
                                 "outcome by request id to the experiment's /feedback");
              command.add_option("--experiment", flags->experiment,
                                 "the experiment outcomes go to (default: --until's)");
              add_number_option(command, "--seed", flags->seed, "random seed (default 1)",
                                NumberRange<std::uint64_t>{0, 1'000'000'000});
              command.add_flag("--json", flags->json, "print the summary as JSON");
              add_root_prefix_flag(command, flags->root_prefix);
              return [flags] {
                for (const std::string& header : flags->headers) {
                  if (header.find(':') == std::string::npos) {
                    return report_error(
                        Error(ErrorCode::kInvalidArgument,
                              fmt::format("'{}' is not a header: use 'Name: value'", header)));
                  }
                }
                return Load(*flags).run();
              };
            }});

}  // namespace
}  // namespace graft::cli
