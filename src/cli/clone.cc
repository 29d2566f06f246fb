// graft create -n B --clone A: no solve. A's records are linked into B as create links
// them (from the package cache, fetched by their recorded URL when missing), and A's
// untracked files, pinned specs and env vars are carried over (env/clone.h), all inside
// one env::apply(), so B appears whole or not at all.
#include <algorithm>
#include <cstdio>
#include <system_error>

#include <fmt/core.h>

#include "cli/install.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "env/clone.h"
#include "env/linker.h"
#include "env/locations.h"

namespace graft::cli {
namespace {
namespace fs = std::filesystem;

Status check_flags(const InstallFlags& flags) {
  if (!flags.specs.empty()) {
    return fail(Error(ErrorCode::kInvalidArgument,
                      fmt::format("'--clone' takes no package specs: '{}' was given",
                                  flags.specs.front()))
                    .with_hint("clone first, then add packages with 'graft install'"));
  }
  if (!flags.files.empty()) {
    return fail(ErrorCode::kInvalidArgument, "cannot use '--clone' with '--file': pick one");
  }
  return ok();
}

// --clone SOURCE: a path when it contains a '/', else an environment name.
Result<fs::path> source_prefix(const InstallFlags& flags, const Context& context) {
  env::PrefixChoice choice{.root_prefix_flag = flags.root_prefix,
                           .envs_dirs = context.settings.envs_dirs};
  if (flags.clone.find('/') != std::string::npos) {
    choice.path = flags.clone;
  } else {
    choice.name = flags.clone;
  }
  GRAFT_ASSIGN_OR_RETURN(fs::path source,
                         env::resolve_existing_prefix(choice, context.settings.environment));
  recover_environment(source);
  const fs::path target = fs::absolute(context.prefix).lexically_normal();
  if (std::mismatch(source.begin(), source.end(), target.begin(), target.end()).first ==
      source.end()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("cannot clone '{}' into '{}': the new environment would be inside "
                            "the source", flags.clone, target.string()));
  }
  return source;
}

// Offline, every package must be in the cache already (or on a local channel): name all
// that are not, not just the first.
Status check_offline(const Context& context, const store::PackageCache& cache,
                     const env::CloneSource& source, const std::string& label) {
  if (context.settings.network != store::NetworkMode::kOffline) return ok();
  std::vector<std::string> missing;
  for (const auto& record : source.records) {
    if (cache.find_extracted(record) || record.url.starts_with("file://")) continue;
    bool archived = false;
    std::error_code error;
    for (const fs::path& dir : cache.dirs()) {
      archived = archived || fs::is_regular_file(dir / store::package_file_name(record), error);
    }
    if (!archived) {
      missing.push_back(fmt::format("  {} ({})", env::package_label(record),
                                    record.url.empty() ? "no url recorded" : record.url));
    }
  }
  if (missing.empty()) return ok();
  std::string message = fmt::format("cannot clone '{}' offline: {} package{} not in the package cache:",
                                    label, missing.size(), missing.size() == 1 ? " is" : "s are");
  for (const std::string& line : missing) message += "\n" + line;
  return fail(Error(ErrorCode::kNotFound, message)
                  .with_hint("run without --offline to download them by their recorded URLs"));
}

Change clone_change(const InstallFlags& flags, const Context& context,
                    const env::CloneSource& source) {
  Change change;
  std::vector<conda::PackageRecord> packages(source.records.begin(), source.records.end());
  change.transaction.link = solve::dependency_order(std::move(packages));
  for (const auto& record : source.records) {
    std::string spec = env::clone_requested_spec(record);
    if (!spec.empty()) change.requested_specs[record.name] = std::move(spec);
  }
  change.options = default_options(flags, context);
  change.options.update_specs = source.history_specs;
  change.options.before_commit = env::clone_before_commit(source, context.prefix);
  change.added_specs = source.history_specs;
  return change;
}

// conda's clone header: where from, where to, how many packages and untracked files.
void print_header(const env::CloneSource& source, const Context& context) {
  std::size_t files = 0;
  for (const auto& entry : source.untracked) files += entry.type != base::EntryType::kDirectory;
  std::fputs(fmt::format("Source:      {}\nDestination: {}\nPackages: {}\nFiles: {}\n\n",
                         source.prefix.string(), context.prefix.string(), source.records.size(),
                         files).c_str(), stdout);
}

}  // namespace

int run_clone(const InstallFlags& flags) {
  if (auto status = check_flags(flags); !status) return report_error(status.error());
  auto context = gather(flags);
  if (!context) return report_error(context.error());
  auto prefix = source_prefix(flags, *context);
  if (!prefix) return report_error(prefix.error());
  auto source = env::read_clone_source(*prefix);
  if (!source) return report_error(source.error());
  auto cache = store::PackageCache::open(context->settings.pkgs_dirs);
  if (!cache) return report_error(cache.error());
  if (auto status = check_offline(*context, *cache, *source, flags.clone); !status) {
    return report_error(status.error());
  }
  if (!flags.json) print_header(*source, *context);
  return carry_out(flags, *context, *cache, clone_change(flags, *context, *source));
}

}  // namespace graft::cli
