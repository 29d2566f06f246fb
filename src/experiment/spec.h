// experiment.yml: what `graft exp start` runs. Parsing is pure: the caller reads the file
// and passes its text; checking that environments exist is the caller's (cli) job.
//
//   name: ctr-v3                       # [a-z0-9][a-z0-9._-]*
//   route:                             # route.yml's keys, except `variants`
//     listen: 127.0.0.1:8080
//     admin: 127.0.0.1:8081
//     sticky: header:X-User-Id
//     salt: ctr-v3
//   variants:                          # the first is the baseline
//     baseline:
//       env: recsys-base               # a graft environment: a name, or a path with a '/'
//       command: "python serve.py --port {port}"
//       replicas: 2                    # default 1
//       health: /health                # default: a TCP connect
//       vars: {MODEL_DIR: models/v1}   # extra environment variables
//     treatment: {env: recsys-v3, command: "python serve.py --port {port}"}
//   rollout:
//     steps: [1, 10, 50, 100]          # the treatment's weight in percent, step by step
//     interval: 30s                    # each step's analysis window
//     min_requests: 200                # per variant and window
//     ready_timeout: 60s               # replicas ready within
//     stop_grace: 10s                  # SIGTERM to SIGKILL when stopping replicas
//   analysis:
//     alpha: 0.05
//     guardrails:
//       error_rate: {max_delta: 0.005}
//       latency_p99_ms: {max_ratio: 1.2}
//     outcome: {name: click, attribution: 60s}
//   record:
//     code: .                          # a git work tree
//     dataset: "s3://recsys/clicks@2024-04-15"
//
// Only `name`, `route` (with `listen`), `variants` (at least two, each with `env` and
// `command`) and `rollout.steps` are required.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "route/config.h"

namespace graft::experiment {

struct VariantSpec {
  std::string name;
  std::string env;                // an environment name, or a path when it holds a '/'
  std::string command;            // as written; "{port}" is each replica's port
  std::vector<std::string> argv;  // `command` split into words (quotes honoured)
  std::uint32_t replicas = 1;     // 1..64
  std::string health;             // "/health"; empty: a TCP connect
  std::map<std::string, std::string> vars;
};

struct RolloutSpec {
  std::vector<std::uint32_t> steps;  // 1..100 each, not decreasing
  std::chrono::milliseconds interval{30'000};
  std::uint64_t min_requests = 200;
  std::chrono::milliseconds ready_timeout{60'000};
  std::chrono::milliseconds stop_grace{10'000};
};

struct OutcomeSpec {
  std::string name;
  std::chrono::milliseconds attribution{60'000};
};

struct AnalysisSpec {
  double alpha = 0.05;                          // (0, 0.5]
  std::optional<double> error_rate_max_delta;   // [0, 1]
  std::optional<double> latency_p99_max_ratio;  // > 0
  std::optional<OutcomeSpec> outcome;
};

struct RecordSpec {
  std::string code;     // a git work tree, as written; empty: none
  std::string dataset;  // free text
};

struct ExperimentSpec {
  std::string name;
  route::RouteConfig route;  // variants named, no upstreams yet
  std::vector<VariantSpec> variants;
  RolloutSpec rollout;
  AnalysisSpec analysis;
  RecordSpec record;
};

// "[a-z0-9][a-z0-9._-]*", at most 64 characters. kInvalidArgument otherwise.
[[nodiscard]] Status check_experiment_name(std::string_view name);

// Splits a command line into words: whitespace separates, single quotes keep everything,
// double quotes keep everything but \" and \\, a backslash outside quotes escapes the next
// character. kInvalidArgument for an unterminated quote or an empty command.
[[nodiscard]] Result<std::vector<std::string>> split_command(std::string_view command);

// Parses and validates experiment.yml text. `file_name` is used in messages only. Errors are
// kInvalidArgument "file:line: message" with the source line and a caret (base::YamlReader),
// unknown keys with a did-you-mean.
[[nodiscard]] Result<ExperimentSpec> parse_experiment_spec(std::string_view text,
                                                           std::string_view file_name);

}  // namespace graft::experiment
