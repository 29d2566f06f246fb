// `graft env list [--json]`: the environments graft knows (the root prefix when it is one,
// <root>/envs/*, and ~/.conda/environments.txt entries that still exist), in conda 26's
// table ("*" marks the active environment, "+" a frozen one) or as {"envs": [...]}.
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
    out += fmt::format("{:20} {} {} {}\n", env::environment_name(settings.root_prefix, prefix),
                       is_active ? '*' : ' ', frozen ? '+' : ' ', prefix.string());
  }
  return out + "\n";
}

int run_env_list(const EnvListFlags& flags) {
  auto settings = env::load_settings(flags.root_prefix);
  if (!settings) return report_error(settings.error());
  auto registry = env::environments_registry(settings->environment);
  const std::vector<fs::path> prefixes =
      env::known_environments(settings->root_prefix, registry ? *registry : fs::path(), settings->envs_dirs);
  std::string out;
  if (flags.json) {
    nlohmann::json envs = nlohmann::json::array();
    for (const fs::path& prefix : prefixes) envs.push_back(prefix.string());
    out = json_text(nlohmann::json{{"envs", envs}});
  } else {
    out = format_table(*settings, prefixes);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

VerbRun setup_env_list(CLI::App& command) {
  auto flags = std::make_shared<EnvListFlags>();
  add_root_prefix_flag(command, flags->root_prefix);
  command.add_flag("--json", flags->json, "print {\"envs\": [paths...]} as conda does");
  return [flags] { return run_env_list(*flags); };
}

}  // namespace

GRAFT_VERB({.name = "env list", .help = "list the known environments", .setup = setup_env_list});

}  // namespace graft::cli
