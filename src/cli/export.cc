// `graft env export [-n NAME | -p PATH] [--no-builds] [--from-history] [--ignore-channels]
// [--json] [--format F] [--file OUT]`: the environment as conda 26 exports it
// (environment.yml, JSON, @EXPLICIT or requirements), byte for byte.
#include <cstdio>
#include <memory>
#include <string>

#include "base/fs.h"
#include "base/strings.h"
#include "base/subprocess.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "conda/package_builder.h"
#include "env/export.h"
#include "env/locations.h"
#include "env/site_packages.h"

namespace graft::cli {
namespace {

struct ExportFlags {
  env::PrefixChoice prefix;
  bool no_builds = false;
  bool from_history = false;
  bool ignore_channels = false;
  bool json = false;
  std::string format;
  std::string file;
};

// conda refuses an explicit export of an environment with pip packages: an @EXPLICIT
// file holds conda package URLs only.
Status check_no_pip_packages(const std::filesystem::path& prefix) {
  const std::vector<std::string> pip = env::pip_distributions(prefix);
  if (pip.empty()) return ok();
  return fail(Error(ErrorCode::kConflict,
                    "environment '" + prefix.string() + "' has packages installed by pip ('" +
                        base::join(pip, "', '") + "'): an explicit file cannot list them")
                  .with_hint("export it with --format environment-yaml, which lists them "
                             "under 'pip:'"));
}

Result<std::string> render_records(const std::filesystem::path& prefix, env::ExportFormat format) {
  GRAFT_ASSIGN_OR_RETURN(auto records, env::load_package_records(prefix));
  const env::ExplicitOptions options{.platform = std::string(conda::native_subdir()),
                                     .created_by = graft_label()};
  if (format == env::ExportFormat::kExplicit) {
    GRAFT_RETURN_IF_ERROR(check_no_pip_packages(prefix));
    return env::format_explicit(records, options);
  }
  return env::format_requirements(records, options);
}

// The export's `name:` as conda 26 writes it: the -n name, the directory name of an
// environment in an envs dir, "base" for the root prefix, else the full path.
Result<std::string> export_name(const ExportFlags& flags, const std::filesystem::path& prefix) {
  if (!flags.prefix.name.empty()) return flags.prefix.name;
  GRAFT_ASSIGN_OR_RETURN(env::Settings settings, env::load_settings(flags.prefix.root_prefix_flag));
  const std::string name = env::environment_name(settings.root_prefix, prefix, settings.envs_dirs);
  return name.empty() ? prefix.string() : name;
}

Result<std::string> render(const ExportFlags& flags, const std::filesystem::path& prefix) {
  env::ExportFormat format =
      flags.json ? env::ExportFormat::kEnvironmentJson : env::ExportFormat::kEnvironmentYaml;
  if (!flags.format.empty()) {
    GRAFT_ASSIGN_OR_RETURN(format, env::parse_export_format(flags.format));
  }
  const bool environment_file = format == env::ExportFormat::kEnvironmentYaml ||
                                format == env::ExportFormat::kEnvironmentJson;
  if (!environment_file) {
    if (flags.from_history) {
      return fail(ErrorCode::kInvalidArgument, "'--from-history' cannot be used with format '" +
                                                   flags.format +
                                                   "': it applies to environment files only");
    }
    return render_records(prefix, format);
  }
  GRAFT_ASSIGN_OR_RETURN(std::string name, export_name(flags, prefix));
  const env::ExportOptions options{
      .name = std::move(name),
      .builds = flags.no_builds ? env::BuildStrings::kOmit : env::BuildStrings::kInclude,
      .source = flags.from_history ? env::SpecSource::kHistory : env::SpecSource::kInstalled,
      .ignore_channels = flags.ignore_channels};
  GRAFT_ASSIGN_OR_RETURN(auto data, env::collect_export(prefix, options));
  return format == env::ExportFormat::kEnvironmentJson ? env::format_environment_json(data)
                                                       : env::format_environment_yaml(data);
}

int run_export(const ExportFlags& flags) {
  auto prefix = resolve_prefix(flags.prefix);
  if (!prefix) return report_error(prefix.error());
  auto out = render(flags, *prefix);
  if (!out) return report_error(out.error());
  if (!flags.file.empty()) {
    auto written = base::write_output_file(flags.file, *out);
    if (!written) return report_error(written.error());
    return 0;
  }
  std::fwrite(out->data(), 1, out->size(), stdout);
  return 0;
}

VerbRun setup_export(CLI::App& command) {
  auto flags = std::make_shared<ExportFlags>();
  add_prefix_flags(command, flags->prefix);
  command.add_flag("--no-builds", flags->no_builds, "leave out build strings");
  command.add_flag("--from-history", flags->from_history,
                   "only the specs asked for explicitly (from conda-meta/history)");
  command.add_flag("--ignore-channels", flags->ignore_channels, "leave out the channels");
  command.add_flag("--json", flags->json, "environment-json instead of environment-yaml");
  command.add_option("--format", flags->format,
                     "environment-yaml, environment-json, explicit or requirements");
  command.add_option("-f,--file", flags->file,
                     "write to this file instead of stdout (a symlink is followed; a FIFO or "
                     "device is written through, never replaced)");
  return [flags] { return run_export(*flags); };
}

}  // namespace

GRAFT_VERB({.name = "env export",
            .help = "export an environment (environment.yml, JSON, explicit, requirements)",
            .setup = setup_export});

}  // namespace graft::cli
