#include "env/linker.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <unordered_map>

#include "base/interrupt.h"
#include "base/parallel.h"
#include "base/strings.h"
#include "base/subprocess.h"
#include "env/file_ops.h"
#include "env/prefix_fs.h"

namespace graft::env {
namespace fs = std::filesystem;
using detail::FileAction;
using detail::FileOp;

namespace {

// One package's share of the plan: its ops are [first_op, end_op).
struct PackagePlan {
  std::size_t first_op = 0;
  std::size_t end_op = 0;
  std::vector<conda::PathEntry> entries;
  std::vector<std::size_t> entry_op;  // op index of entries[i], or npos
  std::vector<std::string> files;
};

constexpr std::size_t kNoOp = static_cast<std::size_t>(-1);

FileAction action_for(const PackagePath& path, LinkMode mode) {
  if (path.type == PathType::kSoftLink) return FileAction::kSymlink;
  if (path.type == PathType::kDirectory) return FileAction::kDirectory;
  if (!path.prefix_placeholder.empty()) return FileAction::kRewrite;
  if (path.no_link || mode == LinkMode::kCopy) return FileAction::kCopy;
  return FileAction::kLink;
}

conda::PathEntry manifest_entry(const PackagePath& path) {
  conda::PathEntry entry;
  entry.path = path.path;
  entry.path_type = std::string(path_type_name(path.type));
  entry.sha256 = path.sha256;
  if (path.has_size) entry.size_in_bytes = path.size;
  if (path.no_link) entry.no_link = true;
  if (!path.prefix_placeholder.empty()) {
    entry.prefix_placeholder = path.prefix_placeholder;
    entry.file_mode = std::string(file_mode_name(path.file_mode));
  }
  if (path.type == PathType::kHardLink) entry.sha256_in_prefix = path.sha256;
  return entry;
}

void add_python_extras(const PackageInfo& info, const PythonTarget& python,
                       const std::string& final_python, PackagePlan& plan, std::vector<FileOp>& ops,
                       std::vector<std::string>& python_files) {
  std::vector<std::string> pyc_files;
  for (const PackagePath& path : info.paths) {
    if (info.link_noarch != "python") break;  // as conda: no info/link.json, no .pyc
    if (path.type != PathType::kHardLink || !base::starts_with(path.path, "site-packages/"))
      continue;
    if (auto pyc = pyc_path(noarch_python_path(path.path, python), python.version)) {
      python_files.push_back(noarch_python_path(path.path, python));
      pyc_files.push_back(std::move(*pyc));
    }
  }
  for (std::string& pyc : pyc_files) {
    plan.files.push_back(pyc);
    plan.entries.push_back({.path = std::move(pyc), .path_type = "pyc_file"});
    plan.entry_op.push_back(kNoOp);
  }
  for (const std::string& definition : info.entry_points) {
    auto entry_point = parse_entry_point(definition);
    if (!entry_point) continue;  // validated in plan_package()
    const std::string target = "bin/" + entry_point->command;
    ops.push_back({.target = target,
                   .action = FileAction::kScript,
                   .content = entry_point_script(*entry_point, final_python)});
    plan.files.push_back(target);
    plan.entries.push_back({.path = target, .path_type = "unix_python_entry_point"});
    plan.entry_op.push_back(ops.size() - 1);
  }
}

// Every path a package would write (its files, noarch: python targets, entry points,
// .pyc files) stays inside the prefix.
Status check_destinations(const std::vector<FileOp>& ops, const PackagePlan& plan) {
  auto unsafe = [](Status status) {
    return fail(Error(ErrorCode::kCorrupt, "unsafe path: " + status.error().message())
                    .with_hint("the package is broken or hostile: nothing was written"));
  };
  for (std::size_t i = plan.first_op; i < plan.end_op; ++i) {
    if (auto status = check_prefix_path(ops[i].target); !status) return unsafe(std::move(status));
  }
  for (const std::string& file : plan.files) {
    if (auto status = check_prefix_path(file); !status) return unsafe(std::move(status));
  }
  return ok();
}

Result<PackagePlan> plan_package(const PackageInfo& info, const LinkTarget& target,
                                 std::vector<FileOp>& ops, std::vector<std::string>& python_files) {
  GRAFT_RETURN_IF_ERROR(check_package_names(info.record));
  PackagePlan plan;
  plan.first_op = ops.size();
  const bool noarch_python = info.noarch == "python";
  if (noarch_python && !target.python) {
    return fail(Error(ErrorCode::kInvalidArgument,
                      "'" + info.record.name +
                          "' is a noarch: python package but the environment has no python")
                    .with_hint("install python in the same transaction or before"));
  }
  for (const std::string& definition : info.entry_points) {
    GRAFT_RETURN_IF_ERROR(parse_entry_point(definition));
  }
  plan.entries.reserve(info.paths.size());
  plan.files.reserve(info.paths.size());
  for (const PackagePath& path : info.paths) {
    std::string destination =
        noarch_python ? noarch_python_path(path.path, *target.python) : path.path;
    ops.push_back({.target = destination,
                   .source = info.directory / path.path,
                   .action = action_for(path, target.mode),
                   .manifest = &path});
    plan.entries.push_back(manifest_entry(path));
    plan.entry_op.push_back(ops.size() - 1);
    if (path.type != PathType::kDirectory) plan.files.push_back(std::move(destination));
  }
  if (noarch_python) {
    const std::string python = (target.final_prefix / python_short_path(*target.python)).string();
    add_python_extras(info, *target.python, python, plan, ops, python_files);
  }
  plan.end_op = ops.size();
  GRAFT_RETURN_IF_ERROR(check_destinations(ops, plan));
  return plan;
}

// Later packages win: earlier ops at the same target are skipped and reported.
std::vector<Clobber> drop_superseded(std::vector<FileOp>& ops,
                                     const std::vector<PackagePlan>& plans,
                                     const std::vector<PackageToLink>& packages) {
  std::vector<std::size_t> owner(ops.size());
  for (std::size_t p = 0; p < plans.size(); ++p) {
    std::fill(owner.begin() + plans[p].first_op, owner.begin() + plans[p].end_op, p);
  }
  std::vector<Clobber> clobbers;
  std::unordered_map<std::string_view, std::size_t> last;
  last.reserve(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].action == FileAction::kDirectory) continue;
    auto [it, inserted] = last.try_emplace(ops[i].target, i);
    if (inserted) continue;
    const std::size_t previous = it->second;
    ops[previous].action = FileAction::kSkip;
    clobbers.push_back({.path = ops[i].target,
                        .loser = packages[owner[previous]].info.record.name,
                        .winner = packages[owner[i]].info.record.name});
    it->second = i;
  }
  return clobbers;
}

// Each directory the ops need (their parents, and kDirectory targets), with the first op
// that needs it; parents sort before their children.
std::map<std::string_view, std::size_t> parent_directories(const std::vector<FileOp>& ops) {
  std::map<std::string_view, std::size_t> directories;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    std::string_view path = ops[i].target;
    if (ops[i].action == FileAction::kDirectory) directories.try_emplace(path, i);
    for (std::size_t slash = path.rfind('/'); slash != std::string_view::npos && slash > 0;
         slash = path.rfind('/', slash - 1)) {
      if (!directories.try_emplace(path.substr(0, slash), i).second) break;
    }
  }
  return directories;
}

// The package whose plan holds op `op`.
const PackageToLink& package_of(std::size_t op, const std::vector<PackagePlan>& plans,
                                const std::vector<PackageToLink>& packages) {
  auto plan = std::upper_bound(plans.begin(), plans.end(), op,
                               [](std::size_t i, const PackagePlan& p) { return i < p.first_op; });
  return packages[static_cast<std::size_t>(plan - plans.begin()) - 1];
}

Error in_package(Error error, std::size_t op, const std::vector<PackagePlan>& plans,
                 const std::vector<PackageToLink>& packages) {
  return std::move(error).with_context(
      "linking '" + package_label(package_of(op, plans, packages).info.record) + "'");
}

// One package's symlink or file where another (or the same) needs a directory: refused
// before anything is written, as writing through it could leave the prefix.
Status check_directories_free(const std::vector<FileOp>& ops,
                              const std::map<std::string_view, std::size_t>& directories,
                              const std::vector<PackagePlan>& plans,
                              const std::vector<PackageToLink>& packages) {
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].action == FileAction::kDirectory || ops[i].action == FileAction::kSkip) continue;
    auto needed = directories.find(ops[i].target);
    if (needed == directories.end()) continue;
    const std::string kind = ops[i].action == FileAction::kSymlink ? "a symlink" : "a file";
    return fail(in_package(
        Error(ErrorCode::kConflict, "cannot place '" + ops[needed->second].target + "': '" +
                                        ops[i].target + "' is " + kind + " of '" +
                                        package_label(package_of(i, plans, packages).info.record) +
                                        "', not a directory")
            .with_hint(std::string(detail::kSymlinkParentHint)),
        needed->second, plans, packages));
  }
  return ok();
}

conda::PrefixRecord finish_record(const PackageToLink& package, PackagePlan& plan,
                                  const std::vector<FileOp>& ops, LinkMode mode) {
  for (std::size_t i = 0; i < plan.entries.size(); ++i) {
    const std::size_t op = plan.entry_op[i];
    if (op != kNoOp && ops[op].action == FileAction::kRewrite) {
      plan.entries[i].sha256_in_prefix = ops[op].sha256_in_prefix;
    }
    if (op != kNoOp && ops[op].softlinked) plan.entries[i].path_type = "softlink";
  }
  const PackageInfo& info = package.info;
  conda::PrefixRecord record = conda::make_prefix_record(info.record);
  fs::path tarball = package.tarball;
  if (tarball.empty() && !info.record.fn.empty())
    tarball = info.directory.parent_path() / info.record.fn;
  record.package_tarball_full_path = tarball.string();
  record.extracted_package_dir = info.directory.string();
  record.files = std::move(plan.files);
  record.paths_data = conda::PathsData{.paths_version = 1, .paths = std::move(plan.entries)};
  record.link = conda::Link{
      .source = info.directory.string(),
      .type = mode == LinkMode::kCopy ? conda::LinkType::kCopy : conda::LinkType::kHardLink};
  record.requested_spec = package.requested_spec;
  record.requested_specs = package.requested_spec.empty()
                               ? std::vector<std::string>{}
                               : std::vector<std::string>{package.requested_spec};
  return record;
}

// Where each thread's share of `ops` starts: at every change of directory, and every
// kMaxRun files within one, so that two threads rarely create names in the same directory
// at once (the kernel serialises that on the directory's lock).
std::vector<std::size_t> directory_chunks(const std::vector<FileOp>& ops) {
  constexpr std::size_t kMaxRun = 256;
  const auto directory = [](const std::string& path) {
    const std::size_t slash = path.rfind('/');
    return std::string_view(path).substr(0, slash == std::string::npos ? 0 : slash);
  };
  std::vector<std::size_t> begins;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (begins.empty() || i - begins.back() >= kMaxRun ||
        directory(ops[i].target) != directory(ops[i - 1].target)) {
      begins.push_back(i);
    }
  }
  return begins;
}

Status place_files(std::vector<FileOp>& ops, const std::vector<PackagePlan>& plans,
                   const std::vector<PackageToLink>& packages, const LinkTarget& target,
                   Journal* journal) {
  const auto directories = parent_directories(ops);
  GRAFT_RETURN_IF_ERROR(check_directories_free(ops, directories, plans, packages));
  GRAFT_ASSIGN_OR_RETURN(const PrefixRoot root, PrefixRoot::open(target.write_prefix));
  const detail::OpContext context{.root = &root,
                                  .final_prefix = target.final_prefix.string(),
                                  .journal = journal,
                                  .allow_softlinks = target.allow_softlinks};
  std::vector<std::string> names;
  std::vector<std::size_t> first_ops;
  for (const auto& [directory, op] : directories) {
    names.emplace_back(directory);
    first_ops.push_back(op);
  }
  std::size_t failed = 0;
  if (auto made = detail::make_directories_in(names, context, &failed); !made) {
    return fail(in_package(std::move(made).error(), first_ops[failed], plans, packages));
  }
  return base::parallel_for_each_chunk(
      ops.size(), directory_chunks(ops), target.threads,
      [&](std::size_t begin, std::size_t end) -> Status {
        DirectoryCursor cursor(root, Symlinks::kRefuse);
        for (std::size_t i = begin; i < end; ++i) {
          GRAFT_RETURN_IF_ERROR(base::check_interrupt());
          if (auto status = detail::run_file_op(ops[i], context, cursor); !status) {
            return fail(in_package(std::move(status).error(), i, plans, packages));
          }
        }
        return ok();
      });
}

}  // namespace

std::string package_label(const conda::PackageRecord& record) {
  return record.name + "-" + record.version + "-" + record.build;
}

Result<LinkResult> link_packages(const std::vector<PackageToLink>& packages,
                                 const LinkTarget& target, Journal* journal) {
  LinkResult result;
  std::vector<FileOp> ops;
  std::vector<PackagePlan> plans;
  plans.reserve(packages.size());
  for (const PackageToLink& package : packages) {
    auto plan = plan_package(package.info, target, ops, result.python_files);
    if (!plan)
      return fail(std::move(plan).error().with_context("linking '" +
                                                       package_label(package.info.record) + "'"));
    plans.push_back(std::move(*plan));
  }
  result.clobbers = drop_superseded(ops, plans, packages);
  GRAFT_RETURN_IF_ERROR(place_files(ops, plans, packages, target, journal));
  for (std::size_t p = 0; p < plans.size(); ++p) {
    for (std::size_t i = plans[p].first_op; i < plans[p].end_op; ++i) {
      if (ops[i].clobbered) {
        result.clobbers.push_back({.path = ops[i].target, .winner = packages[p].info.record.name});
      }
    }
    result.records.push_back(finish_record(packages[p], plans[p], ops, target.mode));
  }
  return result;
}

Result<CompileOutcome> compile_python_files(const fs::path& write_prefix,
                                            const std::vector<std::string>& python_files,
                                            const PythonTarget& python) {
  const fs::path interpreter = write_prefix / python_short_path(python);
  std::error_code error;
  if (python_files.empty() || !fs::exists(interpreter, error)) return CompileOutcome::kNoPython;
  base::ProcessOptions options;
  options.argv = {interpreter.string(), "-Wi", "-m", "compileall", "-q", "-l", "-i", "-"};
  const std::vector<std::string_view> parts = base::split(python.version, '.');
  auto number = [](std::string_view text) { return std::atoi(std::string(text).c_str()); };
  if (parts.size() >= 2 &&
      (number(parts[0]) > 3 || (number(parts[0]) == 3 && number(parts[1]) > 5))) {
    options.argv.insert(options.argv.end(), {"-j", "0"});
  }
  options.working_directory = write_prefix;
  options.stdin_data = base::join(python_files, "\n") + "\n";
  GRAFT_ASSIGN_OR_RETURN(base::ProcessResult process, base::run_process(options));
  return process.exit_code == 0 ? CompileOutcome::kCompiled : CompileOutcome::kFailed;
}

}  // namespace graft::env
