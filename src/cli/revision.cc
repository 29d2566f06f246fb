// graft install --revision N: puts an environment back in the state of revision N of its
// conda-meta/history (see env/revisions.h), as conda's revert does. Packages the revision
// had are taken from the package cache (pkgs/<dist>/info/repodata_record.json), else from
// the channels (-c / condarc, and the channel each history line names); the change goes
// through the same plan / confirm / fetch / apply pipeline as install, and the history
// block records conda's revert: the unlinked and linked dists, and as update specs every
// spec the user asked for that is still installed.
#include <algorithm>
#include <set>

#include <fmt/core.h>

#include "base/fs.h"
#include "base/strings.h"
#include "cli/install.h"
#include "cli/verb.h"
#include "env/channel_records.h"
#include "env/revisions.h"

namespace graft::cli {
namespace {
namespace fs = std::filesystem;

// The record of `dist` in the package cache, when an extracted package holds it.
std::optional<conda::PackageRecord> cached_record(const store::PackageCache& cache,
                                                  const env::HistoryDist& dist) {
  const std::string stem = dist.name + "-" + dist.version + "-" + dist.build;
  for (const fs::path& dir : cache.dirs()) {
    const fs::path file = dir / stem / "info" / "repodata_record.json";
    auto text = base::read_file(file);
    if (!text) continue;
    auto record = conda::parse_package_record(*text, file.string());
    if (record && env::same_package(dist, *record)) return std::move(*record);
  }
  return std::nullopt;
}

// Channels to search for what the cache lacks: the command's, then those the dists name.
std::vector<std::string> channels_to_search(const InstallFlags& flags, const env::Context& context,
                                            const std::vector<env::HistoryDist>& missing) {
  std::vector<std::string> channels;
  if (auto configured = env::effective_channels(context.settings, flags.channels))
    channels = *configured;
  for (const env::HistoryDist& dist : missing) {
    if (dist.channel == "<unknown>" || dist.channel.empty()) continue;
    if (std::find(channels.begin(), channels.end(), dist.channel) == channels.end()) {
      channels.push_back(dist.channel);
    }
  }
  return channels;
}

// Looks the still-missing dists up channel by channel; a channel that cannot be read is
// skipped (its error is kept for the message if something stays missing).
void find_in_channels(const InstallFlags& flags, const env::Context& context,
                      const store::PackageCache& cache, std::vector<env::HistoryDist>& missing,
                      std::vector<conda::PackageRecord>& found,
                      std::vector<std::string>& problems) {
  for (const std::string& channel : channels_to_search(flags, context, missing)) {
    if (missing.empty()) return;
    auto loaded = env::load_channel_records(context.settings, cache, {channel});
    if (!loaded) {
      problems.push_back(loaded.error().message());
      continue;
    }
    std::erase_if(missing, [&](const env::HistoryDist& dist) {
      for (const auto& group : *loaded) {
        for (const auto& record : group.records) {
          if (!env::same_package(dist, record)) continue;
          found.push_back(record);
          return true;
        }
      }
      return false;
    });
  }
}

Error not_found_error(int revision, const std::vector<env::HistoryDist>& missing,
                      const std::vector<std::string>& problems) {
  std::vector<std::string> names;
  for (const auto& dist : missing) names.push_back("'" + dist.text + "'");
  std::string message = fmt::format(
      "cannot restore revision {}: {} {} in neither the package cache "
      "nor the channels",
      revision, base::join(names, ", "), missing.size() == 1 ? "is" : "are");
  for (const auto& problem : problems) message += "\n  " + problem;
  return Error(ErrorCode::kNotFound, message)
      .with_hint("name the channel the packages came from with -c CHANNEL");
}

// The records of `dists`: from the package cache, else from the channels.
Result<std::vector<conda::PackageRecord>> find_records(const InstallFlags& flags,
                                                       const env::Context& context,
                                                       const store::PackageCache& cache,
                                                       const std::vector<env::HistoryDist>& dists) {
  std::vector<conda::PackageRecord> found;
  std::vector<env::HistoryDist> missing;
  for (const env::HistoryDist& dist : dists) {
    if (auto record = cached_record(cache, dist)) {
      found.push_back(std::move(*record));
    } else {
      missing.push_back(dist);
    }
  }
  std::vector<std::string> problems;
  if (!missing.empty()) find_in_channels(flags, context, cache, missing, found, problems);
  if (!missing.empty()) return fail(not_found_error(flags.revision, missing, problems));
  return found;
}

Result<std::vector<env::HistoryEntry>> read_history(const fs::path& prefix) {
  const fs::path path = prefix / "conda-meta" / "history";
  std::error_code error;
  if (!fs::exists(path, error)) return std::vector<env::HistoryEntry>{};
  GRAFT_ASSIGN_OR_RETURN(std::string text, base::read_file(path));
  return env::parse_history(text);
}

Result<env::Change> revert_change(const InstallFlags& flags, const env::Context& context,
                                  const store::PackageCache& cache) {
  if (!flags.specs.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "'--revision' takes no package specs: got '" + base::join(flags.specs, " ") + "'");
  }
  GRAFT_ASSIGN_OR_RETURN(auto entries, read_history(context.prefix));
  GRAFT_ASSIGN_OR_RETURN(env::Revision target,
                         env::find_revision(env::replay_history(entries), flags.revision));
  GRAFT_ASSIGN_OR_RETURN(env::RevertPlan plan, env::plan_revert(target, context.installed));
  env::Change change;
  GRAFT_ASSIGN_OR_RETURN(auto link, find_records(flags, context, cache, plan.link));
  change.transaction.link = solve::dependency_order(std::move(link));
  change.transaction.unlink = solve::dependency_order({plan.unlink.begin(), plan.unlink.end()});
  std::reverse(change.transaction.unlink.begin(), change.transaction.unlink.end());
  change.options = env::default_options(flags, context);
  change.options.update_specs = env::requested_specs(entries, context.installed);
  change.added_specs = change.options.update_specs;  // the plan lists them sorted, as conda
  std::sort(change.added_specs.begin(), change.added_specs.end());
  for (const std::string& text : change.options.update_specs) {
    if (auto spec = conda::MatchSpec::parse(text)) change.requested_specs[spec->name()] = text;
  }
  return change;
}

}  // namespace

int run_revision(const InstallFlags& flags) {
  auto context = gather(flags);
  if (!context) return report_error(context.error());
  auto cache = store::PackageCache::open(context->settings.pkgs_dirs);
  if (!cache) return report_error(cache.error());
  auto change = revert_change(flags, *context, *cache);
  if (!change) return report_error(change.error());
  return carry_out(flags, *context, *cache, *change);
}

}  // namespace graft::cli
