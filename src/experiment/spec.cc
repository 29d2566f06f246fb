#include "experiment/spec.h"

#include <charconv>
#include <cmath>

#include <fmt/core.h>

#include "base/yaml.h"
#include "route/checks.h"
#include "route/values.h"

namespace graft::experiment {
namespace {

using base::YamlReader;

constexpr std::size_t kMaxNameLength = 64;
constexpr std::uint64_t kMaxReplicas = 64;
constexpr std::size_t kMaxSteps = 100;

class SpecParser {
 public:
  SpecParser(const YamlReader& reader, std::string_view text) : reader_(reader), text_(text) {}

  Result<ExperimentSpec> parse(const YAML::Node& root) {
    if (root.IsNull() || !root.IsDefined()) {
      return fail(reader_.error_at(root,
                                   "the experiment spec is empty: expected a map with "
                                   "'name', 'route', 'variants' and 'rollout'"));
    }
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(root, "the experiment spec"));
    GRAFT_RETURN_IF_ERROR(reader_.check_keys(
        root, "", {"name", "route", "variants", "rollout", "analysis", "record"}));
    for (const char* required : {"name", "route", "variants", "rollout"}) {
      if (!root[required]) {
        return fail(reader_.error_at(root, fmt::format("missing key '{}'", required)));
      }
    }
    GRAFT_ASSIGN_OR_RETURN(spec_.name, reader_.string(root["name"], "'name'"));
    GRAFT_RETURN_IF_ERROR(reader_.located(root["name"], check_experiment_name(spec_.name)));
    GRAFT_RETURN_IF_ERROR(parse_variants(root["variants"]));
    std::vector<route::VariantConfig> routed;
    for (const VariantSpec& variant : spec_.variants) {
      routed.push_back(
          {.name = variant.name, .upstreams = {}, .weight = routed.empty() ? 100u : 0u});
    }
    GRAFT_ASSIGN_OR_RETURN(spec_.route,
                           route::parse_route_config_at(text_, reader_.source(), "route", &routed));
    GRAFT_RETURN_IF_ERROR(parse_rollout(root["rollout"]));
    if (root["analysis"]) GRAFT_RETURN_IF_ERROR(parse_analysis(root["analysis"]));
    if (root["record"]) GRAFT_RETURN_IF_ERROR(parse_record(root["record"]));
    return std::move(spec_);
  }

 private:
  Status parse_variants(const YAML::Node& variants) {
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(variants, "'variants'"));
    if (variants.size() < 2) {
      return fail(reader_.error_at(variants,
                                   "an experiment needs at least two variants: the "
                                   "baseline first, then one or more treatments"));
    }
    GRAFT_RETURN_IF_ERROR(reader_.located(variants, route::checks::variant_count(variants.size())));
    for (const auto& entry : variants) {
      GRAFT_ASSIGN_OR_RETURN(std::string name, reader_.string(entry.first, "a variant name"));
      GRAFT_RETURN_IF_ERROR(reader_.located(entry.first, route::checks::variant_name(name)));
      for (const VariantSpec& earlier : spec_.variants) {
        if (earlier.name == name) {
          return fail(
              reader_.error_at(entry.first, fmt::format("variant '{}' is defined twice", name)));
        }
      }
      GRAFT_ASSIGN_OR_RETURN(VariantSpec variant, parse_variant(name, entry.first, entry.second));
      spec_.variants.push_back(std::move(variant));
    }
    return ok();
  }

  Result<VariantSpec> parse_variant(const std::string& name, const YAML::Node& key,
                                    const YAML::Node& body) {
    const std::string what = fmt::format("variant '{}'", name);
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(body, what));
    GRAFT_RETURN_IF_ERROR(
        reader_.check_keys(body, name, {"env", "command", "replicas", "health", "vars"}));
    for (const char* required : {"env", "command"}) {
      if (!body[required]) {
        return fail(reader_.error_at(key, fmt::format("{} has no '{}'", what, required)));
      }
    }
    VariantSpec variant{.name = name};
    GRAFT_ASSIGN_OR_RETURN(variant.env,
                           reader_.string(body["env"], fmt::format("'env' of '{}'", name)));
    if (variant.env.empty()) {
      return fail(reader_.error_at(body["env"], fmt::format("'env' of '{}' is empty: name a "
                                                            "graft environment or give its path",
                                                            name)));
    }
    GRAFT_ASSIGN_OR_RETURN(variant.command,
                           reader_.string(body["command"], fmt::format("'command' of '{}'", name)));
    auto argv = split_command(variant.command);
    if (!argv) return fail(reader_.error_at(body["command"], argv.error().message()));
    variant.argv = std::move(*argv);
    if (body["replicas"]) {
      GRAFT_ASSIGN_OR_RETURN(
          std::uint64_t replicas,
          reader_.unsigned_integer(body["replicas"], fmt::format("'replicas' of '{}'", name)));
      if (replicas < 1 || replicas > kMaxReplicas) {
        return fail(reader_.error_at(
            body["replicas"], fmt::format("'replicas' of '{}' must be from 1 to {}, got {}", name,
                                          kMaxReplicas, replicas)));
      }
      variant.replicas = static_cast<std::uint32_t>(replicas);
    }
    if (body["health"]) {
      GRAFT_ASSIGN_OR_RETURN(variant.health,
                             reader_.string(body["health"], fmt::format("'health' of '{}'", name)));
      if (!variant.health.starts_with('/')) {
        return fail(reader_.error_at(body["health"],
                                     fmt::format("'health' of '{}' must be a path starting with "
                                                 "'/', got '{}'",
                                                 name, variant.health)));
      }
    }
    if (const YAML::Node vars = body["vars"]; vars && !vars.IsNull()) {
      GRAFT_RETURN_IF_ERROR(reader_.expect_map(vars, fmt::format("'vars' of '{}'", name)));
      for (const auto& entry : vars) {
        GRAFT_ASSIGN_OR_RETURN(std::string var, reader_.string(entry.first, "a variable name"));
        if (!valid_variable_name(var)) {
          return fail(
              reader_.error_at(entry.first, fmt::format("'{}' is not a valid environment variable "
                                                        "name: use letters, digits and '_', not "
                                                        "starting with a digit",
                                                        var)));
        }
        GRAFT_ASSIGN_OR_RETURN(std::string value,
                               reader_.string(entry.second, fmt::format("variable '{}'", var)));
        variant.vars[var] = std::move(value);
      }
    }
    return variant;
  }

  Status parse_rollout(const YAML::Node& rollout) {
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(rollout, "'rollout'"));
    GRAFT_RETURN_IF_ERROR(reader_.check_keys(
        rollout, "rollout", {"steps", "interval", "min_requests", "ready_timeout", "stop_grace"}));
    const YAML::Node steps = rollout["steps"];
    if (!steps) return fail(reader_.error_at(rollout, "'rollout' has no 'steps'"));
    if (!steps.IsSequence() || steps.size() == 0 || steps.size() > kMaxSteps) {
      return fail(reader_.error_at(steps, fmt::format("'rollout.steps' must be a list of 1 to {} "
                                                      "weights in percent, e.g. [1, 10, 50, 100]",
                                                      kMaxSteps)));
    }
    std::uint32_t previous = 0;
    for (const YAML::Node& step : steps) {
      GRAFT_ASSIGN_OR_RETURN(std::uint64_t weight,
                             reader_.unsigned_integer(step, "a step of 'rollout.steps'"));
      if (weight < 1 || weight > 100) {
        return fail(reader_.error_at(step, fmt::format("a step of 'rollout.steps' must be a "
                                                       "percentage from 1 to 100, got {}",
                                                       weight)));
      }
      if (weight < previous) {
        return fail(reader_.error_at(step, fmt::format("'rollout.steps' must not decrease: {} "
                                                       "after {}",
                                                       weight, previous)));
      }
      previous = static_cast<std::uint32_t>(weight);
      spec_.rollout.steps.push_back(previous);
    }
    const std::size_t treatments = spec_.variants.size() - 1;
    if (static_cast<std::uint64_t>(previous) * treatments > 100 && treatments > 1) {
      return fail(reader_.error_at(steps, fmt::format("with {} treatments each step's weight "
                                                      "must be at most {}%, got {}%",
                                                      treatments, 100 / treatments, previous)));
    }
    const std::pair<const char*, std::chrono::milliseconds*> durations[] = {
        {"interval", &spec_.rollout.interval},
        {"ready_timeout", &spec_.rollout.ready_timeout},
        {"stop_grace", &spec_.rollout.stop_grace}};
    for (const auto& [key, field] : durations) {
      if (!rollout[key]) continue;
      GRAFT_ASSIGN_OR_RETURN(*field, read_duration(rollout[key], fmt::format("'rollout.{}'", key)));
    }
    if (rollout["min_requests"]) {
      GRAFT_ASSIGN_OR_RETURN(
          spec_.rollout.min_requests,
          reader_.unsigned_integer(rollout["min_requests"], "'rollout.min_requests'"));
    }
    return ok();
  }

  Status parse_analysis(const YAML::Node& analysis) {
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(analysis, "'analysis'"));
    GRAFT_RETURN_IF_ERROR(
        reader_.check_keys(analysis, "analysis", {"alpha", "guardrails", "outcome"}));
    AnalysisSpec& out = spec_.analysis;
    if (analysis["alpha"]) {
      GRAFT_ASSIGN_OR_RETURN(out.alpha, read_number(analysis["alpha"], "'analysis.alpha'"));
      if (!(out.alpha > 0 && out.alpha <= 0.5)) {
        return fail(reader_.error_at(analysis["alpha"],
                                     fmt::format("'analysis.alpha' must be above 0 and at most "
                                                 "0.5, got {}",
                                                 out.alpha)));
      }
    }
    if (const YAML::Node guardrails = analysis["guardrails"]; guardrails) {
      GRAFT_RETURN_IF_ERROR(reader_.expect_map(guardrails, "'analysis.guardrails'"));
      GRAFT_RETURN_IF_ERROR(
          reader_.check_keys(guardrails, "guardrails", {"error_rate", "latency_p99_ms"}));
      if (const YAML::Node error_rate = guardrails["error_rate"]; error_rate) {
        GRAFT_RETURN_IF_ERROR(reader_.expect_map(error_rate, "'guardrails.error_rate'"));
        GRAFT_RETURN_IF_ERROR(reader_.check_keys(error_rate, "error_rate", {"max_delta"}));
        if (!error_rate["max_delta"]) {
          return fail(reader_.error_at(error_rate, "'guardrails.error_rate' has no 'max_delta'"));
        }
        GRAFT_ASSIGN_OR_RETURN(double delta,
                               read_number(error_rate["max_delta"], "'error_rate.max_delta'"));
        if (!(delta >= 0 && delta <= 1)) {
          return fail(reader_.error_at(error_rate["max_delta"],
                                       fmt::format("'error_rate.max_delta' must be from 0 to 1 "
                                                   "(an absolute difference of error rates), "
                                                   "got {}",
                                                   delta)));
        }
        out.error_rate_max_delta = delta;
      }
      if (const YAML::Node latency = guardrails["latency_p99_ms"]; latency) {
        GRAFT_RETURN_IF_ERROR(reader_.expect_map(latency, "'guardrails.latency_p99_ms'"));
        GRAFT_RETURN_IF_ERROR(reader_.check_keys(latency, "latency_p99_ms", {"max_ratio"}));
        if (!latency["max_ratio"]) {
          return fail(reader_.error_at(latency, "'guardrails.latency_p99_ms' has no 'max_ratio'"));
        }
        GRAFT_ASSIGN_OR_RETURN(double ratio,
                               read_number(latency["max_ratio"], "'latency_p99_ms.max_ratio'"));
        if (!(ratio > 0 && ratio <= 1000)) {
          return fail(reader_.error_at(latency["max_ratio"],
                                       fmt::format("'latency_p99_ms.max_ratio' must be above 0 "
                                                   "and at most 1000, got {}",
                                                   ratio)));
        }
        out.latency_p99_max_ratio = ratio;
      }
    }
    if (const YAML::Node outcome = analysis["outcome"]; outcome) {
      GRAFT_RETURN_IF_ERROR(reader_.expect_map(outcome, "'analysis.outcome'"));
      GRAFT_RETURN_IF_ERROR(reader_.check_keys(outcome, "outcome", {"name", "attribution"}));
      OutcomeSpec result;
      if (!outcome["name"]) return fail(reader_.error_at(outcome, "'outcome' has no 'name'"));
      GRAFT_ASSIGN_OR_RETURN(result.name, reader_.string(outcome["name"], "'outcome.name'"));
      if (outcome["attribution"]) {
        GRAFT_ASSIGN_OR_RETURN(result.attribution,
                               read_duration(outcome["attribution"], "'outcome.attribution'"));
      }
      out.outcome = std::move(result);
    }
    return ok();
  }

  Status parse_record(const YAML::Node& record) {
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(record, "'record'"));
    GRAFT_RETURN_IF_ERROR(reader_.check_keys(record, "record", {"code", "dataset"}));
    if (record["code"]) {
      GRAFT_ASSIGN_OR_RETURN(spec_.record.code, reader_.string(record["code"], "'record.code'"));
    }
    if (record["dataset"]) {
      GRAFT_ASSIGN_OR_RETURN(spec_.record.dataset,
                             reader_.string(record["dataset"], "'record.dataset'"));
    }
    return ok();
  }

  Result<std::chrono::milliseconds> read_duration(const YAML::Node& node, std::string_view what) {
    GRAFT_ASSIGN_OR_RETURN(std::string text, reader_.string(node, what));
    auto parsed = route::parse_duration(text);
    if (!parsed) {
      return fail(reader_.error_at(node, fmt::format("{}: {}", what, parsed.error().message())));
    }
    return *parsed;
  }

  Result<double> read_number(const YAML::Node& node, std::string_view what) {
    GRAFT_ASSIGN_OR_RETURN(std::string text, reader_.string(node, what));
    double value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
      return fail(reader_.error_at(node, fmt::format("{} must be a number, got '{}'", what, text)));
    }
    return value;
  }

  static bool valid_variable_name(std::string_view name) {
    if (name.empty() || name.size() > 255 || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name) {
      if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9'))) {
        return false;
      }
    }
    return true;
  }

  const YamlReader& reader_;
  std::string_view text_;
  ExperimentSpec spec_;
};

}  // namespace

Status check_experiment_name(std::string_view name) {
  auto allowed = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (!first && (c == '.' || c == '_' || c == '-'));
  };
  bool valid = !name.empty() && name.size() <= kMaxNameLength;
  for (std::size_t i = 0; valid && i < name.size(); ++i) valid = allowed(name[i], i == 0);
  if (!valid) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a valid experiment name: use lowercase letters, digits, "
                            "'.', '_' and '-', starting with a letter or digit, at most {} "
                            "characters",
                            name.substr(0, kMaxNameLength), kMaxNameLength));
  }
  return ok();
}

Result<std::vector<std::string>> split_command(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      const std::size_t close = command.find('\'', i + 1);
      if (close == std::string_view::npos) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("unterminated single quote in command '{}'", command));
      }
      word.append(command.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < command.size() && command[j] != '"'; ++j) {
        if (command[j] == '\\' && j + 1 < command.size() &&
            (command[j + 1] == '"' || command[j + 1] == '\\')) {
          ++j;
        }
        word.push_back(command[j]);
      }
      if (j >= command.size()) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("unterminated double quote in command '{}'", command));
      }
      i = j;
    } else if (c == '\\' && i + 1 < command.size()) {
      word.push_back(command[++i]);
    } else {
      word.push_back(c);
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return fail(ErrorCode::kInvalidArgument, "the command is empty");
  return words;
}

Result<ExperimentSpec> parse_experiment_spec(std::string_view text, std::string_view file_name) {
  YamlReader reader(text, file_name);
  GRAFT_ASSIGN_OR_RETURN(YAML::Node root, reader.load());
  try {
    return SpecParser(reader, text).parse(root);
  } catch (const YAML::Exception& error) {
    return fail(reader.error_at(error.mark, fmt::format("invalid YAML: {}", error.msg)));
  }
}

}  // namespace graft::experiment
