// `graft verify [-n NAME | -p PATH] [--json] [--fast] [--extra] [--repair]`: checks every
// file of every installed package against its conda-meta record; exit 1 on drift. With
// --repair, first finishes a change a killed graft process left half-done, then
// reinstalls every damaged package (missing or modified files, a broken record) from the
// package cache or its channel, and verifies again.
#include <cstdio>
#include <memory>
#include <string>

#include "base/fs.h"
#include "base/hash.h"
#include "base/strings.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "conda/record.h"
#include "env/env_lock.h"
#include "env/journal.h"
#include "env/locations.h"
#include "env/repair.h"
#include "env/verify.h"
#include "store/fetch.h"

namespace graft::cli {
namespace {
namespace fs = std::filesystem;

struct VerifyFlags {
  env::PrefixChoice prefix;
  bool json = false;
  bool fast = false;
  bool extra = false;
  bool repair = false;
};

env::VerifyOptions verify_options(const VerifyFlags& flags) {
  return {.depth = flags.fast ? env::VerifyDepth::kSizeOnly : env::VerifyDepth::kHash,
          .extra = flags.extra ? env::ExtraFiles::kReport : env::ExtraFiles::kIgnore};
}

int print_report(const VerifyFlags& flags, const env::VerifyReport& report) {
  const std::string out =
      flags.json ? env::format_verify_json(report) : env::format_verify_text(report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!env::damaged_packages(report).empty() && !flags.repair) {
    std::fputs(("hint: 'graft verify --repair -p " + report.prefix +
                "' reinstalls the damaged packages from the package cache or their channel\n")
                   .c_str(),
               stderr);
  }
  return report.problems.empty() ? 0 : 1;
}

// The record a broken conda-meta file stood for, as the package cache holds it
// (<pkgs>/<dist>/info/repodata_record.json): url and digests to fetch it by.
Result<conda::PackageRecord> cached_record(const env::Settings& settings,
                                           const conda::PackageRecord& bare) {
  const std::string dist = conda::dist_name(bare);
  for (const fs::path& dir : settings.pkgs_dirs) {
    const fs::path path = dir / dist / "info" / "repodata_record.json";
    auto text = base::read_file(path);
    if (text) return conda::parse_package_record(*text, path.string());
  }
  return fail(Error(ErrorCode::kNotFound, "its conda-meta record is broken and '" + dist +
                                              "' is not in the package cache")
                  .with_hint("remove 'conda-meta/" + dist +
                             ".json' from the environment and install the package again"));
}

// Whether the files of `record` in its extracted package still have the package's bytes:
// a file changed in place in an environment changes the package cache too when it was
// hard-linked from there.
bool package_intact(const fs::path& directory, const conda::PrefixRecord& record) {
  if (!record.paths_data) return true;
  for (const conda::PathEntry& entry : record.paths_data->paths) {
    if (entry.path_type != "hardlink" || entry.sha256.empty()) continue;
    auto digest = base::file_digest_hex(directory / entry.path, base::DigestKind::kSha256);
    if (!digest || *digest != entry.sha256) return false;
  }
  return true;
}

// The extracted package of an installed record, extracted again when it was damaged.
Result<fs::path> intact_package(store::PackageCache& cache, const env::Settings& settings,
                                const conda::PrefixRecord& record) {
  conda::PackageRecord wanted = record;
  if (wanted.url.empty()) {
    GRAFT_ASSIGN_OR_RETURN(wanted, cached_record(settings, record));
  }
  const store::FetchOptions options{.network = settings.network};
  GRAFT_ASSIGN_OR_RETURN(fs::path directory, store::fetch_package(cache, wanted, options));
  if (package_intact(directory, record)) return directory;
  GRAFT_RETURN_IF_ERROR(base::remove_tree(directory));
  return store::fetch_package(cache, wanted, options);
}

// Reinstalls what `report` found damaged; prints what it did.
Status repair(const VerifyFlags& flags, const fs::path& prefix, const env::VerifyReport& report,
              const env::EnvLock& lock) {
  GRAFT_ASSIGN_OR_RETURN(env::Settings settings, env::load_settings(flags.prefix.root_prefix_flag));
  GRAFT_ASSIGN_OR_RETURN(store::PackageCache cache, store::PackageCache::open(settings.pkgs_dirs));
  env::RepairOptions options{.extracted = [&](const conda::PrefixRecord& record) {
    return intact_package(cache, settings, record);
  }};
  options.transaction.command = command_line();
  options.transaction.lock = &lock;
  options.transaction.root_prefix = settings.root_prefix;
  GRAFT_ASSIGN_OR_RETURN(env::RepairResult repaired,
                         env::repair_packages(prefix, env::damaged_packages(report), options));
  for (const std::string& message : repaired.transaction.messages) {
    std::fputs((message + "\n").c_str(), stdout);
  }
  if (!flags.json) {
    std::fputs(("reinstalled " + base::join(repaired.reinstalled, ", ") + "\n").c_str(), stdout);
  }
  return ok();
}

int run_repair(const VerifyFlags& flags, const fs::path& prefix) {
  auto lock = env::EnvLock::acquire(prefix);
  if (!lock) return report_error(lock.error());
  auto recovery = env::recover_journal(prefix);
  if (!recovery && recovery.error().code() == ErrorCode::kCorrupt) {
    // A journal that cannot be read back cannot undo anything: set it aside and let the
    // reinstall below mend what the interrupted change left.
    const fs::path journal = prefix / "conda-meta" / env::kJournalName;
    if (auto moved = base::rename_path(journal, journal.string() + ".unreadable"); !moved) {
      return report_error(moved.error());
    }
    report_warning(recovery.error().message() + "; it was renamed to '" + journal.string() +
                   ".unreadable'");
    recovery = env::Recovery::kNothing;
  }
  if (!recovery) return report_error(recovery.error());
  if (*recovery != env::Recovery::kNothing && !flags.json) {
    std::fputs((env::recovery_message(prefix, *recovery) + "\n").c_str(), stdout);
  }
  auto report = env::verify_prefix(prefix, {.depth = env::VerifyDepth::kHash});
  if (!report) return report_error(report.error());
  if (!env::damaged_packages(*report).empty()) {
    if (auto repaired = repair(flags, prefix, *report, *lock); !repaired) {
      return report_error(repaired.error());
    }
  }
  auto after = env::verify_prefix(prefix, verify_options(flags));
  if (!after) return report_error(after.error());
  return print_report(flags, *after);
}

int run_verify(const VerifyFlags& flags) {
  auto prefix = resolve_prefix(flags.prefix);
  if (!prefix) return report_error(prefix.error());
  if (flags.repair) return run_repair(flags, *prefix);
  auto report = env::verify_prefix(*prefix, verify_options(flags));
  if (!report) return report_error(report.error());
  return print_report(flags, *report);
}

VerbRun setup_verify(CLI::App& command) {
  auto flags = std::make_shared<VerifyFlags>();
  add_prefix_flags(command, flags->prefix);
  command.add_flag("--json", flags->json, "print the report as JSON");
  command.add_flag("--fast", flags->fast, "check sizes only (no hashing)");
  command.add_flag("--extra", flags->extra, "also report files no package owns");
  command.add_flag("--repair", flags->repair,
                   "roll back an interrupted change and reinstall damaged packages from the "
                   "package cache or their channel");
  return [flags] { return run_verify(*flags); };
}

}  // namespace

GRAFT_VERB({.name = "verify",
            .help = "check an environment's files against its package records",
            .setup = setup_verify});

}  // namespace graft::cli
