// `graft env freeze [-n NAME | -p PATH] [--message TEXT]` and `graft env unfreeze [-n | -p]`:
// mark an environment frozen (CEP 22 conda-meta/frozen, which conda honours too) so that
// install, update, remove, env remove and env config refuse to change it unless
// --override-frozen, and lift the mark again.
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/core.h>

#include "base/subprocess.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "env/frozen.h"
#include "env/locations.h"

namespace graft::cli {
namespace {

struct FreezeFlags {
  env::PrefixChoice prefix;
  std::string message;
};

// "'ml'" for -n ml, "'/path/env'" for -p.
std::string describe(const env::PrefixChoice& choice, const std::filesystem::path& prefix) {
  return "'" + (choice.name.empty() ? prefix.string() : choice.name) + "'";
}

int run_freeze(const FreezeFlags& flags) {
  auto prefix = resolve_prefix(flags.prefix);
  if (!prefix) return report_error(prefix.error());
  auto frozen = env::freeze(*prefix, flags.message);
  if (!frozen) return report_error(frozen.error());
  std::fputs(fmt::format("froze environment {}: install, update, remove, env remove and env "
                         "config will refuse to change it\n(undo with 'graft env unfreeze')\n",
                         describe(flags.prefix, *prefix))
                 .c_str(),
             stdout);
  return 0;
}

int run_unfreeze(const FreezeFlags& flags) {
  auto prefix = resolve_prefix(flags.prefix);
  if (!prefix) return report_error(prefix.error());
  const bool was_frozen = env::frozen_reason(*prefix).has_value();
  auto unfrozen = env::unfreeze(*prefix);
  if (!unfrozen) return report_error(unfrozen.error());
  const std::string name = describe(flags.prefix, *prefix);
  std::fputs((was_frozen ? "unfroze environment " + name + ": it can be changed again\n"
                         : "environment " + name + " was not frozen\n")
                 .c_str(),
             stdout);
  return 0;
}

VerbRun setup_freeze(CLI::App& command) {
  auto flags = std::make_shared<FreezeFlags>();
  add_prefix_flags(command, flags->prefix);
  command.add_option("-m,--message", flags->message,
                     "why it is frozen (shown when a change is refused)");
  return [flags] { return run_freeze(*flags); };
}

VerbRun setup_unfreeze(CLI::App& command) {
  auto flags = std::make_shared<FreezeFlags>();
  add_prefix_flags(command, flags->prefix);
  return [flags] { return run_unfreeze(*flags); };
}

}  // namespace

GRAFT_VERB({.name = "env freeze",
            .help = "protect an environment from changes (conda-meta/frozen, CEP 22)",
            .setup = setup_freeze});
GRAFT_VERB({.name = "env unfreeze",
            .help = "allow changes to a frozen environment again",
            .setup = setup_unfreeze});

}  // namespace graft::cli
