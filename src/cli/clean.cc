// `graft clean [--all] [--tarballs] [--index-cache] [--packages] [-y] [--dry-run] [--json]`:
// frees the package cache as `conda clean` does (store/clean.h decides what may go). Each
// target is shown, confirmed and removed in conda's order: tarballs, index cache, packages.
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/json_output.h"
#include "cli/plan.h"
#include "cli/prompt.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "env/locations.h"
#include "env/prefix_data.h"
#include "store/clean.h"

namespace graft::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct CleanFlags {
  std::string root_prefix;
  bool all = false;
  store::CleanTargets targets;
  bool yes = false;
  bool dry_run = false;
  bool json = false;
};

// The extracted package directories the known environments' records name. An environment
// whose records can not be read protects only what it hard-linked (with a warning).
std::set<fs::path> referenced_packages(const env::Settings& settings) {
  std::set<fs::path> referenced;
  auto registry = env::environments_registry(settings.environment);
  for (const fs::path& prefix :
       env::known_environments(settings.root_prefix, registry ? *registry : fs::path(), settings.envs_dirs)) {
    auto records = env::load_records(prefix);
    if (!records) {
      report_warning(records.error().message());
      continue;
    }
    for (const auto& record : *records) {
      if (!record.extracted_package_dir.empty()) referenced.insert(record.extracted_package_dir);
    }
  }
  return referenced;
}

// One target of the clean: what conda calls it and what the plan lists for it.
struct Section {
  std::string key;   // the JSON key: "tarballs", "index_cache", "packages"
  std::string noun;  // "tarball(s)", "index cache(s)", "package(s)"
  store::CleanPlan plan;  // only this target's list is filled
};

std::vector<Section> sections(const CleanFlags& flags, const store::CleanPlan& plan) {
  std::vector<Section> result;
  if (flags.targets.tarballs) result.push_back({"tarballs", "tarball(s)", {.tarballs = plan.tarballs}});
  if (flags.targets.index_cache) {
    result.push_back({"index_cache", "index cache(s)", {.index_caches = plan.index_caches}});
  }
  if (flags.targets.packages) result.push_back({"packages", "package(s)", {.packages = plan.packages}});
  return result;
}

const std::vector<store::CacheEntry>& entries(const Section& section) {
  if (section.key == "tarballs") return section.plan.tarballs;
  return section.key == "index_cache" ? section.plan.index_caches : section.plan.packages;
}

// conda's verbose listing: per cache directory the entries and sizes, then the total.
std::string describe(const Section& section) {
  const auto& list = entries(section);
  if (section.key == "index_cache") {
    if (list.empty()) return "There are no index cache(s) to remove.\n";
    std::string out = "Will remove the following index cache(s):\n";
    for (const auto& entry : list) out += "  - " + entry.path().string() + "\n";
    return out + "\n";
  }
  if (list.empty()) return "There are no unused " + section.noun + " to remove.\n";
  std::string out = "Will remove the following " + section.noun + ":\n";
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string dir = list[i].pkgs_dir.string();
    if (i == 0 || list[i - 1].pkgs_dir != list[i].pkgs_dir) {
      out += (i == 0 ? "" : "\n") + fmt::format("  {}\n  {}\n", dir, std::string(dir.size(), '-'));
    }
    out += fmt::format("  - {:<40} {:>10}\n", list[i].name, conda_human_bytes(list[i].bytes));
    total += list[i].bytes;
  }
  return out + fmt::format("\n{}\nTotal: {:>10}\n\n", std::string(17, '-'), conda_human_bytes(total));
}

// conda's JSON for a target: {"files": [...]} for the index cache, else pkg_sizes,
// pkgs_dirs, total_size and warnings.
json to_json(const Section& section, const std::vector<std::string>& warnings) {
  json files = json::array();
  json sizes = json::object();
  json dirs = json::object();
  std::uint64_t total = 0;
  for (const auto& entry : entries(section)) {
    files.push_back(entry.path().string());
    sizes[entry.pkgs_dir.string()][entry.name] = entry.bytes;
    dirs[entry.pkgs_dir.string()].push_back(entry.name);
    total += entry.bytes;
  }
  if (section.key == "index_cache") return {{"files", files}};
  return {{"pkg_sizes", sizes}, {"pkgs_dirs", dirs}, {"total_size", total}, {"warnings", warnings}};
}

struct Totals {
  std::size_t removed = 0;
  std::uint64_t bytes = 0;
};

// Shows one target, asks, removes. Returns the exit code (0 to go on).
int clean_section(const CleanFlags& flags, const Section& section,
                  const std::set<fs::path>& referenced, Totals& totals) {
  if (!flags.json) std::fputs(describe(section).c_str(), stdout);
  if (flags.dry_run || section.plan.empty()) return 0;
  if (!confirm_proceed(flags.yes || flags.json)) {
    return report_error(Error(ErrorCode::kConflict, "cancelled: nothing more was removed"));
  }
  auto result = store::execute_clean(section.plan, referenced);
  if (!result) return report_error(result.error());
  for (const fs::path& path : result->skipped) {
    report_warning("kept '" + path.string() + "': it came into use or went away while cleaning");
  }
  totals.removed += result->removed.size();
  totals.bytes += result->bytes_freed;
  return 0;
}

int run_clean(CleanFlags flags) {
  if (flags.all) flags.targets = {.tarballs = true, .index_cache = true, .packages = true};
  if (!flags.targets.tarballs && !flags.targets.index_cache && !flags.targets.packages) {
    return report_error(Error(ErrorCode::kInvalidArgument, "no removal target given: nothing to clean")
                            .with_hint("pass --all, --tarballs, --index-cache or --packages"));
  }
  auto settings = env::load_settings(flags.root_prefix);
  if (!settings) return report_error(settings.error());
  const std::set<fs::path> referenced = referenced_packages(*settings);
  const store::CleanPlan plan =
      store::plan_clean(settings->pkgs_dirs, {.targets = flags.targets, .referenced_packages = referenced});
  if (!flags.json) {
    for (const std::string& warning : plan.warnings) report_warning(warning);
  }
  json output{{"success", true}};
  Totals totals;
  for (const Section& section : sections(flags, plan)) {
    output[section.key] = to_json(section, plan.warnings);
    if (int code = clean_section(flags, section, referenced, totals); code != 0) return code;
  }
  if (flags.json) {
    output["bytes_freed"] = totals.bytes;
    std::fputs(json_text(output).c_str(), stdout);
  } else if (totals.removed > 0) {
    std::fputs(fmt::format("Removed {} item(s), freed {}.\n", totals.removed,
                           conda_human_bytes(totals.bytes)).c_str(), stdout);
  }
  return 0;
}

VerbRun setup_clean(CLI::App& command) {
  auto flags = std::make_shared<CleanFlags>();
  add_root_prefix_flag(command, flags->root_prefix);
  command.add_flag("-a,--all", flags->all, "remove tarballs, the index cache and unused packages");
  command.add_flag("-t,--tarballs", flags->targets.tarballs, "remove downloaded package archives");
  command.add_flag("-i,--index-cache", flags->targets.index_cache, "remove the repodata cache");
  command.add_flag("-p,--packages", flags->targets.packages,
                   "remove extracted packages no environment uses");
  command.add_flag("-y,--yes", flags->yes, "do not ask for confirmation");
  command.add_flag("-d,--dry-run", flags->dry_run, "show what would be removed, remove nothing");
  command.add_flag("--json", flags->json, "print conda clean's JSON");
  return [flags] { return run_clean(*flags); };
}

}  // namespace

GRAFT_VERB({.name = "clean", .help = "remove unused packages and caches from the package cache",
            .setup = setup_clean});

}  // namespace graft::cli
