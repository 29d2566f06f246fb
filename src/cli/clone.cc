// graft create -n B --clone A: no solve. A's records are linked into B as create links
// them (from the package cache, fetched by their recorded URL when missing), and A's
// untracked files, pinned specs and env vars are carried over (env/clone.h), all inside
// one env::apply(), so B appears whole or not at all.
#include <cstdio>

#include <fmt/core.h>

#include "cli/install.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "env/clone.h"

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

// conda's clone header: where from, where to, how many packages and untracked files.
void print_header(const env::CloneSource& source, const env::Context& context) {
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
  auto prefix = env::clone_source_prefix(flags, *context);
  if (!prefix) return report_error(prefix.error());
  recover_environment(*prefix);
  auto source = env::read_clone_source(*prefix);
  if (!source) return report_error(source.error());
  auto cache = store::PackageCache::open(context->settings.pkgs_dirs);
  if (!cache) return report_error(cache.error());
  auto change = env::clone_change(flags, *context, *cache, *source);
  if (!change) return report_error(change.error());
  if (!flags.json) print_header(*source, *context);
  return carry_out(flags, *context, *cache, *change);
}

}  // namespace graft::cli
