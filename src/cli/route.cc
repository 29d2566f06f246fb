// `graft route status|set|rollback`: talk to a running proxy's admin API (see
// src/proxy/admin.h; the client is cli/route_admin.h).
//   graft route status [--admin ADDR | -c route.yml] [--token-file F] [--json]
//   graft route set NAME=W... [--admin ADDR | -c route.yml] [--token-file F]
//   graft route rollback [--admin ADDR | -c route.yml] [--token-file F]
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/json_output.h"
#include "cli/route_admin.h"
#include "cli/verb.h"

namespace graft::cli {
namespace {

void add_admin_flags(CLI::App& command, AdminOptions& options) {
  command.add_option("--admin", options.admin,
                     fmt::format("admin API address HOST:PORT (default {})", kDefaultAdminAddress));
  command.add_option("-c,--config", options.config_path,
                     "read the admin address and token file from this route.yml");
  command.add_option("--token-file", options.token_file, "file holding the admin bearer token");
}

int run_status(const AdminOptions& options, bool json) {
  auto target = resolve_admin_target(options);
  if (!target) return report_error(target.error());
  auto status = call_admin(*target, "GET", "/status");
  if (!status) return report_error(status.error());
  if (json) {
    std::fputs(json_text(*status).c_str(), stdout);
    return 0;
  }
  auto table = format_status(*status);
  if (!table) return report_error(table.error());
  std::fputs(table->c_str(), stdout);
  return 0;
}

int run_set(const AdminOptions& options, const std::vector<std::string>& assignments) {
  auto weights = parse_weight_assignments(assignments);
  if (!weights) return report_error(weights.error());
  auto target = resolve_admin_target(options);
  if (!target) return report_error(target.error());
  auto applied = call_admin(*target, "PUT", "/weights", weights->dump());
  if (!applied) return report_error(applied.error());
  std::printf("weights: %s\n", format_weights(*applied).c_str());
  return 0;
}

int run_rollback(const AdminOptions& options) {
  auto target = resolve_admin_target(options);
  if (!target) return report_error(target.error());
  auto applied = call_admin(*target, "POST", "/rollback");
  if (!applied) return report_error(applied.error());
  std::printf("rolled back: all traffic to the baseline\nweights: %s\n",
              format_weights(*applied).c_str());
  return 0;
}

}  // namespace

GRAFT_VERB({.name = "route status",
            .help = "show a running proxy's variants, weights, health and request counts",
            .setup = [](CLI::App& command) -> VerbRun {
              auto options = std::make_shared<AdminOptions>();
              auto json = std::make_shared<bool>(false);
              add_admin_flags(command, *options);
              command.add_flag("--json", *json, "print the admin API's JSON as is");
              return [options, json] { return run_status(*options, *json); };
            }});

GRAFT_VERB({.name = "route set",
            .help = "change the traffic split of a running proxy: NAME=WEIGHT...",
            .setup = [](CLI::App& command) -> VerbRun {
              auto options = std::make_shared<AdminOptions>();
              auto assignments = std::make_shared<std::vector<std::string>>();
              command
                  .add_option("weights", *assignments,
                              "NAME=WEIGHT pairs, e.g. treatment=20 (the baseline takes "
                              "the rest when the weights add up to 100)")
                  ->required();
              add_admin_flags(command, *options);
              return [options, assignments] { return run_set(*options, *assignments); };
            }});

GRAFT_VERB({.name = "route rollback",
            .help = "send all traffic of a running proxy to the baseline, in one swap",
            .setup = [](CLI::App& command) -> VerbRun {
              auto options = std::make_shared<AdminOptions>();
              add_admin_flags(command, *options);
              return [options] { return run_rollback(*options); };
            }});

}  // namespace graft::cli
