// `graft create --file FILE` and `graft install --file FILE`: an @EXPLICIT file or a
// conda-lock v1 file installs exactly the packages it lists (by URL, checksums verified by
// the fetcher, no solve); a plain spec list solves like specs on the command line.
// `--file` may be repeated, as in conda: spec lists add up, @EXPLICIT files join into one
// list (two different builds of one name are an error), and a conda-lock file stands alone.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fmt/core.h>

#include "base/fs.h"
#include "base/progress.h"
#include "base/strings.h"
#include "cli/install.h"
#include "cli/pip_step.h"
#include "cli/verb.h"
#include "env/conda_lock.h"
#include "env/explicit_file.h"
#include "env/export.h"
#include "env/locations.h"
#include "env/package_info.h"
#include "store/fetch.h"

namespace graft::cli {
namespace {

namespace fs = std::filesystem;

// The packages of lock or explicit files, and the pip lines that follow them.
struct FilePackages {
  std::string source;  // the (first) file they came from, for messages and pip's directory
  std::vector<conda::PackageRecord> records;
  std::vector<std::string> pip;
};

bool same_package(const conda::PackageRecord& a, const conda::PackageRecord& b) {
  return a.name == b.name && a.version == b.version && a.build == b.build;
}

// Links `records` (unlinking installed packages of the same names); requested specs are
// conda's "<channel>::name==version=build".
env::Change explicit_change(const InstallFlags& flags, const env::Context& context,
                            const std::vector<conda::PackageRecord>& records) {
  env::Change change;
  for (const conda::PackageRecord& record : records) {
    const auto installed = std::find_if(context.installed.begin(), context.installed.end(),
                                        [&](const auto& old) { return old.name == record.name; });
    if (installed != context.installed.end()) {
      if (same_package(*installed, record)) continue;
      change.transaction.unlink.push_back(*installed);
    }
    change.transaction.link.push_back(record);
    const std::string spec = env::explicit_spec(record);
    change.requested_specs[record.name] = spec;
    change.added_specs.push_back(spec);
  }
  change.options = env::default_options(flags, context);
  change.options.update_specs = change.added_specs;
  return change;
}

bool has_python(const env::Context& context) {
  return std::any_of(context.installed.begin(), context.installed.end(),
                     [](const auto& record) { return record.name == "python"; });
}

// As conda does for explicit packages: fetch them into the cache first (checksums
// verified), so the plan shows the complete records of the packages themselves.
Result<std::vector<conda::PackageRecord>> fetch_first(
    const InstallFlags& flags, const env::Context& context, store::PackageCache& cache,
    const std::vector<conda::PackageRecord>& records) {
  if (flags.dry_run) return records;
  if (!flags.json)
    std::fputs("\nDownloading and Extracting Packages: ...working... done\n", stdout);
  base::Progress progress;
  store::FetchOptions options{.network = context.settings.network};
  options.download.progress = &progress;
  GRAFT_ASSIGN_OR_RETURN(auto directories, store::fetch_packages(cache, records, options));
  std::vector<conda::PackageRecord> complete;
  for (const fs::path& directory : directories) {
    GRAFT_ASSIGN_OR_RETURN(env::PackageInfo info, env::read_package_info(directory));
    complete.push_back(std::move(info.record));
  }
  return complete;
}

// Installs `packages`, then runs pip for its pip lines; a new environment whose pip step
// fails is removed again.
int install_packages(const InstallFlags& flags, const FilePackages& packages) {
  if (!flags.specs.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              fmt::format("'{}' lists exact packages: package specs can not be "
                                          "added to it",
                                          packages.source))
                            .with_hint("install the specs in a second command"));
  }
  auto context = gather(flags);
  if (!context) return report_error(context.error());
  auto cache = store::PackageCache::open(context->settings.pkgs_dirs);
  if (!cache) return report_error(cache.error());
  auto records = fetch_first(flags, *context, *cache, packages.records);
  if (!records) return report_error(records.error());
  env::Change change = explicit_change(flags, *context, *records);
  if (!packages.pip.empty()) {
    auto python = check_python_for_pip(change.transaction, has_python(*context));
    if (!python) return report_error(python.error());
  }
  if (!packages.pip.empty()) {
    change.after_apply = [&, registry = change.options.registry] {
      return run_pip({.prefix = context->prefix,
                      .requirements = packages.pip,
                      .directory = fs::absolute(packages.source).parent_path(),
                      .extra_arguments = {"--no-deps"},
                      .quiet = flags.json,
                      .remove_on_failure = flags.action == env::Action::kCreate,
                      .registry = registry});
    };
  }
  return carry_out(flags, *context, *cache, change);
}

// The pip requirement line of a locked pip package: "name @ url".
std::string pip_requirement(const env::LockedPackage& package) {
  return package.name + " @ " + package.url;
}

Result<FilePackages> lock_packages(const std::string& text, const std::string& file,
                                   const std::string& platform,
                                   const std::vector<std::string>& categories) {
  GRAFT_ASSIGN_OR_RETURN(env::CondaLock lock, env::parse_conda_lock(text, file));
  if (!lock.platforms.empty() &&
      std::find(lock.platforms.begin(), lock.platforms.end(), platform) == lock.platforms.end()) {
    return fail(ErrorCode::kNotFound,
                fmt::format("'{}' has no packages for platform '{}': it locks {}", file,
                            platform, base::join(lock.platforms, ", ")));
  }
  FilePackages packages{.source = file};
  for (const std::string& category : categories) {
    if (env::select_packages(lock, platform, {category}).empty()) {
      return fail(ErrorCode::kNotFound, fmt::format("'{}' has no '{}' packages in category '{}'",
                                                    file, platform, category));
    }
  }
  for (const env::LockedPackage& package : env::select_packages(lock, platform, categories)) {
    if (package.manager == env::LockManager::kPip) {
      packages.pip.push_back(pip_requirement(package));
      continue;
    }
    auto record = env::locked_record(package);
    if (!record) return fail(record.error().with_context("'" + file + "'"));
    packages.records.push_back(std::move(*record));
  }
  // Lock files list packages by name; link them in dependency order.
  packages.records = env::explicit_order(std::move(packages.records));
  return packages;
}

}  // namespace

// One --file, read and classified.
struct ReadFile {
  std::string name;
  std::string text;
  bool conda_lock = false;
  env::PackageList list;  // when not a conda-lock file
};

Result<ReadFile> read_one(const std::string& name) {
  ReadFile file{.name = name};
  GRAFT_ASSIGN_OR_RETURN(file.text, base::read_file(name));
  file.conda_lock = env::looks_like_conda_lock(file.text);
  if (file.conda_lock) return file;
  auto list = env::parse_package_list(file.text, name, fs::current_path().string());
  if (!list) {
    const std::string extension = fs::path(name).extension().string();
    if (extension == ".yml" || extension == ".yaml") {
      list.error().with_hint("for an environment file, use 'graft env create -f " + name + "'");
    }
    return fail(std::move(list).error());
  }
  file.list = std::move(*list);
  return file;
}

// The packages of several @EXPLICIT files, in order, each once.
Result<FilePackages> join_explicit(std::vector<ReadFile>& files) {
  FilePackages joined{.source = files.front().name};
  std::vector<std::string> from;  // the file each record came from
  for (ReadFile& file : files) {
    for (conda::PackageRecord& record : file.list.packages) {
      auto same_name = std::find_if(joined.records.begin(), joined.records.end(),
                                    [&](const auto& seen) { return seen.name == record.name; });
      if (same_name == joined.records.end()) {
        joined.records.push_back(std::move(record));
        from.push_back(file.name);
        continue;
      }
      if (same_package(*same_name, record)) continue;
      const std::string& other = from[static_cast<std::size_t>(same_name - joined.records.begin())];
      return fail(Error(ErrorCode::kInvalidArgument,
                        fmt::format("'{}' and '{}' both list '{}': {}-{} and {}-{}", other,
                                    file.name, record.name, same_name->version, same_name->build,
                                    record.version, record.build))
                      .with_hint("keep one of them"));
    }
  }
  return joined;
}

int run_from_file(const InstallFlags& flags) {
  std::vector<ReadFile> files;
  for (const std::string& name : flags.files) {
    auto file = read_one(name);
    if (!file) return report_error(file.error());
    files.push_back(std::move(*file));
  }
  const auto lock = std::find_if(files.begin(), files.end(), [](const auto& f) { return f.conda_lock; });
  if (lock != files.end()) {
    if (files.size() > 1) {
      return report_error(Error(ErrorCode::kInvalidArgument,
                                fmt::format("'{}' is a conda-lock file: it must be the only "
                                            "'--file'",
                                            lock->name)));
    }
    auto settings = env::load_settings(flags.root_prefix);
    if (!settings) return report_error(settings.error());
    const std::vector<std::string> categories =
        flags.categories.empty() ? std::vector<std::string>{"main"} : flags.categories;
    auto packages = lock_packages(lock->text, lock->name, settings->platform, categories);
    if (!packages) return report_error(packages.error());
    return install_packages(flags, *packages);
  }
  if (!flags.categories.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              fmt::format("'--category' picks packages of a conda-lock file, "
                                          "and '{}' is not one",
                                          files.front().name)));
  }
  const auto is_explicit = [](const ReadFile& f) {
    return f.list.kind == env::PackageListKind::kExplicit;
  };
  const std::size_t explicit_count = static_cast<std::size_t>(std::count_if(files.begin(), files.end(), is_explicit));
  if (explicit_count == files.size()) {
    auto packages = join_explicit(files);
    if (!packages) return report_error(packages.error());
    return install_packages(flags, *packages);
  }
  if (explicit_count > 0) {
    const ReadFile& exact = *std::find_if(files.begin(), files.end(), is_explicit);
    const ReadFile& specs = *std::find_if_not(files.begin(), files.end(), is_explicit);
    return report_error(Error(ErrorCode::kInvalidArgument,
                              fmt::format("cannot mix '{}' (@EXPLICIT packages) with '{}' "
                                          "(package specs to solve)",
                                          exact.name, specs.name))
                            .with_hint("install the explicit file first, then the specs"));
  }
  InstallFlags solved = flags;
  solved.files.clear();
  for (const ReadFile& file : files) {
    solved.specs.insert(solved.specs.end(), file.list.specs.begin(), file.list.specs.end());
  }
  return run_install(solved);
}

}  // namespace graft::cli
