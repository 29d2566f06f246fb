// `graft env list [--json]`: the environments graft knows (the root prefix when it is one,
// <root>/envs/*, and ~/.conda/environments.txt entries that still exist), in conda 26's
// table ("*" marks the active environment, "+" a frozen one) or as {"envs": [...],
// "envs_details": {...}}.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/json_output.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "env/frozen.h"
#include "env/locations.h"

namespace graft::cli {
namespace {

namespace fs = std::filesystem;

struct EnvListFlags {
  std::string root_prefix;
  bool json = false;
};

// conda's envs_list renderer: a blank line, the legend, one "%-20s %s %s %s" row per
// environment, a blank line.
std::string format_table(const env::Settings& settings, const std::vector<fs::path>& prefixes) {
  const std::optional<fs::path> active = env::active_prefix(settings.environment);
  std::string out = "\n# conda environments:\n#\n# * -> active\n# + -> frozen\n";
  for (const fs::path& prefix : prefixes) {
    const bool is_active = active == prefix;
    const bool frozen = env::frozen_reason(prefix).has_value();
    out += fmt::format("{:20} {} {} {}\n",
                       env::environment_name(settings.root_prefix, prefix, settings.envs_dirs),
                       is_active ? '*' : ' ', frozen ? '+' : ' ', prefix.string());
  }
  return out + "\n";
}

// conda 26's `env list --json`: {"envs": [paths], "envs_details": {path: {"created",
// "frozen", "last_modified", "name", "writable"}}}, keys sorted; times in ISO 8601 (local
// time, as Python's datetime.isoformat() prints them), null when unknown.
nlohmann::json envs_json(const env::Settings& settings, const std::vector<fs::path>& prefixes) {
  nlohmann::json envs = nlohmann::json::array();
  nlohmann::json details = nlohmann::json::object();
  auto time = [](const std::optional<double>& seconds) {
    return seconds ? nlohmann::json(env::iso_local_time(*seconds)) : nlohmann::json(nullptr);
  };
  for (const fs::path& prefix : prefixes) {
    envs.push_back(prefix.string());
    const env::EnvironmentDetails found =
        env::environment_details(settings.root_prefix, prefix, settings.envs_dirs);
    details[prefix.string()] = {{"created", time(found.created)},
                                {"frozen", found.frozen},
                                {"last_modified", time(found.last_modified)},
                                {"name", found.name},
                                {"writable", found.writable}};
  }
  return {{"envs", envs}, {"envs_details", details}};
}

int run_env_list(const EnvListFlags& flags) {
  auto settings = env::load_settings(flags.root_prefix);
  if (!settings) return report_error(settings.error());
  auto registry = env::environments_registry(settings->environment);
  const std::vector<fs::path> prefixes =
      env::known_environments(settings->root_prefix, registry ? *registry : fs::path(), settings->envs_dirs);
  std::string out;
  if (flags.json) {
    out = json_text(envs_json(*settings, prefixes));
  } else {
    out = format_table(*settings, prefixes);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

VerbRun setup_env_list(CLI::App& command) {
  auto flags = std::make_shared<EnvListFlags>();
  add_root_prefix_flag(command, flags->root_prefix);
  command.add_flag("--json", flags->json,
                   "print {\"envs\": [paths...], \"envs_details\": {...}} as conda 26 does");
  return [flags] { return run_env_list(*flags); };
}

}  // namespace

GRAFT_VERB({.name = "env list", .help = "list the known environments", .setup = setup_env_list});

}  // namespace graft::cli
