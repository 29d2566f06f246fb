// `graft env config vars set K=V... | list | unset K... [-n NAME | -p PATH]`: the
// environment's own variables in conda-meta/state (env/state.h), byte-compatible with
// `conda env config vars`; `graft run` exports them. set and unset refuse a frozen
// environment unless --override-frozen.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "base/subprocess.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "env/frozen.h"
#include "env/locations.h"
#include "env/state.h"

namespace graft::cli {
namespace {

struct VarsFlags {
  env::PrefixChoice prefix;
  std::vector<std::string> words;  // set: K=V; unset: K
  bool override_frozen = false;
  bool json = false;
};

// The environment to change: it exists and is not frozen (unless overridden).
Result<std::filesystem::path> changeable_prefix(const VarsFlags& flags) {
  GRAFT_ASSIGN_OR_RETURN(auto prefix,
                         resolve_prefix(flags.prefix));
  if (auto writable = env::check_not_frozen(prefix, flags.override_frozen); !writable) {
    // conda 26 lets `env config vars` change a frozen environment; graft keeps refusing, as
    // CEP 22 asks tools to, and says so.
    return fail(std::move(writable).error().with_hint(
        "graft refuses to change the variables of a frozen environment (CEP 22; conda allows "
        "it): pass --override-frozen to change them anyway, or run 'graft env unfreeze' first"));
  }
  return prefix;
}

// conda asks to reactivate when the active environment's variables changed.
void remind_to_reactivate(const std::filesystem::path& prefix) {
  const auto environment = base::current_environment();
  auto active = environment.find("CONDA_PREFIX");
  if (active != environment.end() && std::filesystem::path(active->second) == prefix) {
    std::fputs("To make your changes take effect please reactivate your environment\n", stdout);
  }
}

int run_set(const VarsFlags& flags) {
  auto variables = env::parse_assignments(flags.words);
  if (!variables) return report_error(variables.error());
  auto prefix = changeable_prefix(flags);
  if (!prefix) return report_error(prefix.error());
  auto set = env::set_env_vars(*prefix, *variables);
  if (!set) return report_error(set.error());
  remind_to_reactivate(*prefix);
  return 0;
}

int run_unset(const VarsFlags& flags) {
  std::vector<std::string> names;
  for (const std::string& word : flags.words) names.emplace_back(base::trim(word));
  auto prefix = changeable_prefix(flags);
  if (!prefix) return report_error(prefix.error());
  auto not_set = env::unset_env_vars(*prefix, names);
  if (!not_set) return report_error(not_set.error());
  for (const std::string& name : *not_set) {
    report_warning("variable '" + name + "' is not set in '" + prefix->string() + "'");
  }
  remind_to_reactivate(*prefix);
  return 0;
}

int run_list(const VarsFlags& flags) {
  auto prefix = resolve_prefix(flags.prefix);
  if (!prefix) return report_error(prefix.error());
  auto variables = env::read_env_vars(*prefix);
  if (!variables) return report_error(variables.error());
  std::string out;
  if (flags.json) {  // conda's json.dumps(indent=2, sort_keys=True)
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [key, value] : *variables) object[key] = value;
    out =
        object.dump(2, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace) + "\n";
  } else {
    for (const auto& [key, value] : *variables) out += key + " = " + value + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

VerbRun setup_set(CLI::App& command) {
  auto flags = std::make_shared<VarsFlags>();
  add_prefix_flags(command, flags->prefix);
  command.add_option("VARS", flags->words, "KEY=VALUE assignments")->required();
  command.add_flag("--override-frozen", flags->override_frozen,
                   "change a frozen environment anyway");
  return [flags] { return run_set(*flags); };
}

VerbRun setup_unset(CLI::App& command) {
  auto flags = std::make_shared<VarsFlags>();
  add_prefix_flags(command, flags->prefix);
  command.add_option("VARS", flags->words, "names of the variables to unset")->required();
  command.add_flag("--override-frozen", flags->override_frozen,
                   "change a frozen environment anyway");
  return [flags] { return run_unset(*flags); };
}

VerbRun setup_vars_list(CLI::App& command) {
  auto flags = std::make_shared<VarsFlags>();
  add_prefix_flags(command, flags->prefix);
  command.add_flag("--json", flags->json, "print the variables as a JSON object");
  return [flags] { return run_list(*flags); };
}

}  // namespace

GRAFT_VERB({.name = "env config vars set",
            .help = "set environment variables of an environment (conda-meta/state)",
            .setup = setup_set});
GRAFT_VERB({.name = "env config vars unset",
            .help = "unset environment variables of an environment",
            .setup = setup_unset});
GRAFT_VERB({.name = "env config vars list",
            .help = "list the environment variables of an environment",
            .setup = setup_vars_list});

}  // namespace graft::cli
