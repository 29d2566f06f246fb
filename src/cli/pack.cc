// `graft pack DIR --name N --version V [...]`: package a directory as a conda package
// (see conda/package_builder.h). Prints the path of the written package.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "base/fs.h"
#include "cli/checked_flags.h"
#include "cli/verb.h"
#include "conda/package_builder.h"

namespace graft::cli {
namespace {

struct PackFlags {
  std::string source_dir;
  std::string name;
  std::string version;
  std::string build;
  std::int64_t build_number = 0;
  std::vector<std::string> depends;
  std::vector<std::string> constrains;
  std::string noarch;
  std::string subdir;
  std::vector<std::string> entry_points;
  std::string prefix_placeholder;
  std::string license;
  std::string format = "conda";
  std::string output_dir;
  int compression_level = 0;
  bool force = false;
};

// conda stores build numbers as ints.
constexpr std::int64_t kMaxBuildNumber = 2'147'483'647;

// index.json's timestamp: SOURCE_DATE_EPOCH (seconds) for reproducible builds, else now.
std::int64_t timestamp_ms() {
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    char* end = nullptr;
    long long seconds = std::strtoll(epoch, &end, 10);
    if (end != nullptr && *end == '\0' && seconds >= 0) return seconds * 1000;
  }
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
}

Result<conda::PackOptions> to_options(const PackFlags& flags) {
  conda::PackOptions options{
      .source_dir = flags.source_dir,
      .name = flags.name,
      .version = flags.version,
      .build = flags.build,
      .build_number = flags.build_number,
      .depends = flags.depends,
      .constrains = flags.constrains,
      .subdir = flags.subdir,
      .entry_points = flags.entry_points,
      .prefix_placeholder = flags.prefix_placeholder,
      .license = flags.license,
      .format = flags.format == "tar.bz2" ? conda::ArchiveFormat::kTarBz2
                                          : conda::ArchiveFormat::kConda,
      .output_dir = flags.output_dir,
      .timestamp_ms = timestamp_ms(),
      .compression_level = flags.compression_level,
      .overwrite = flags.force ? conda::Overwrite::kReplace : conda::Overwrite::kRefuse,
  };
  if (flags.format == "tar.bz2" && flags.compression_level > 9) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("--compression-level must be a whole number from 1 to 9 for "
                            "tar.bz2, got '{}'",
                            flags.compression_level));
  }
  if (flags.noarch == "generic") options.noarch = conda::NoarchKind::kGeneric;
  if (flags.noarch == "python") options.noarch = conda::NoarchKind::kPython;
  return options;
}

int run_pack(const PackFlags& flags) {
  auto options = to_options(flags);
  if (!options) return report_error(options.error());
  // Like conda-build, a missing output directory is created (the package dir must exist).
  if (!flags.output_dir.empty() && std::filesystem::is_directory(flags.source_dir)) {
    if (auto made = base::make_directories(flags.output_dir); !made) return report_error(made.error());
  }
  auto packed = conda::pack_package(*options);
  if (!packed) {
    Error error = std::move(packed).error();
    if (error.code() == ErrorCode::kAlreadyExists) error.with_hint("pass --force to replace it");
    return report_error(error);
  }
  std::printf("%s\n", packed->output.string().c_str());
  return 0;
}

VerbRun setup_pack(CLI::App& command) {
  auto flags = std::make_shared<PackFlags>();
  command.add_option("DIR", flags->source_dir, "directory laid out as the package installs")
      ->required();
  command.add_option("--name", flags->name, "package name")->required();
  command.add_option("--version", flags->version, "package version")->required();
  command.add_option("--build", flags->build,
                     "build string (default: the build number; py_<number> for noarch python)");
  add_number_option(command, "--build-number", flags->build_number, "build number (default 0)",
                    NumberRange<std::int64_t>{0, kMaxBuildNumber});
  command.add_option("--depends", flags->depends, "a run dependency (MatchSpec); repeatable");
  command.add_option("--constrains", flags->constrains,
                     "a run constraint (MatchSpec); repeatable");
  add_choice_option(command, "--noarch", flags->noarch, "noarch kind", {"generic", "python"});
  command.add_option("--subdir", flags->subdir,
                     "platform subdir (default: noarch for noarch packages, else this machine's)");
  command.add_option("--entry-point", flags->entry_points,
                     "'cmd = module:function' console script (noarch python); repeatable");
  command.add_option("--prefix-placeholder", flags->prefix_placeholder,
                     "files holding this path are relocated at install (listed in has_prefix)");
  command.add_option("--license", flags->license, "license name for index.json");
  add_choice_option(command, "--format", flags->format, "archive format (default conda)",
                    {"conda", "tar.bz2"});
  command.add_option("--output-dir", flags->output_dir, "where to write (default: .)");
  add_number_option(command, "--compression-level", flags->compression_level,
                    "zstd 1..22 for .conda (default 7), bzip2 1..9 for .tar.bz2 (default 9)",
                    NumberRange<int>{1, 22});
  command.add_flag("--force", flags->force, "replace an existing package file");
  return [flags] { return run_pack(*flags); };
}

}  // namespace

GRAFT_VERB({.name = "pack",
            .help = "package a directory as a conda package (.conda or .tar.bz2)",
            .setup = setup_pack});

}  // namespace graft::cli
