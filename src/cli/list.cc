// `graft list [-n NAME | -p PATH] [REGEX] [--json]`: the packages of an environment, in
// conda list's table or JSON shape. Reads records written by conda, mamba or graft.
// `--revisions` prints the revisions of its conda-meta/history instead, as conda does.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>

#include "base/fs.h"
#include "base/subprocess.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "conda/package_builder.h"
#include "env/export.h"
#include "env/listing.h"
#include "env/locations.h"
#include "env/prefix_data.h"
#include "env/revisions.h"
#include "env/site_packages.h"

namespace graft::cli {
namespace {

struct ListFlags {
  env::PrefixChoice prefix;
  std::string pattern;
  bool json = false;
  bool explicit_urls = false, md5 = false, sha256 = false;
  bool revisions = false;
};

int run_revisions(const ListFlags& flags, const std::filesystem::path& prefix) {
  const std::filesystem::path path = prefix / "conda-meta" / "history";
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return report_error(
        Error(ErrorCode::kNotFound,
              "'" + path.string() + "' does not exist: the environment has no revisions"));
  }
  auto text = base::read_file(path);
  if (!text) return report_error(text.error());
  const auto entries = env::parse_history(*text);
  const std::string out =
      flags.json ? env::format_revisions_json(entries) : env::format_revisions(entries);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

// As conda 26 lists them: the pip-installed packages of site-packages beside the conda
// records ("foo-bar 1.2.3 pypi_0 pypi"), sorted by name with them.
Status add_pip_packages(const std::filesystem::path& prefix,
                        std::vector<conda::PrefixRecord>& records) {
  GRAFT_ASSIGN_OR_RETURN(std::vector<env::PipPackage> pip, env::pip_installed(prefix));
  for (const env::PipPackage& package : pip) records.push_back(env::pypi_record(package));
  std::stable_sort(records.begin(), records.end(),
                   [](const auto& a, const auto& b) { return a.name < b.name; });
  return ok();
}

int run_list(const ListFlags& flags) {
  auto prefix = resolve_prefix(flags.prefix);
  if (!prefix) return report_error(prefix.error());
  if (flags.revisions) return run_revisions(flags, *prefix);
  // Listings need no file lists: skip "files" and "paths_data" (most of a big record).
  auto records = env::load_records(*prefix, conda::PrefixRecordParts::kPackageOnly);
  if (!records) return report_error(records.error());
  if (!flags.explicit_urls) {
    if (auto added = add_pip_packages(*prefix, *records); !added) {
      return report_error(added.error());
    }
  }
  if (!flags.pattern.empty()) {
    std::regex pattern;
    try {
      pattern = std::regex(flags.pattern);
    } catch (const std::regex_error& error) {
      return report_error(Error(ErrorCode::kInvalidArgument,
                                "'" + flags.pattern + "' is not a valid regular expression: " +
                                    error.what()));
    }
    std::erase_if(*records, [&](const auto& record) {
      return !std::regex_search(record.name, pattern);
    });
  }
  const env::ExplicitHash hash = flags.sha256 ? env::ExplicitHash::kSha256
                                 : flags.md5  ? env::ExplicitHash::kMd5 : env::ExplicitHash::kNone;
  if (flags.explicit_urls) {
    const std::string out = env::format_explicit({records->begin(), records->end()},
                                                 {.platform = std::string(conda::native_subdir()),
                                                  .hash = hash,
                                                  .created_by = graft_label()});
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  // conda list --json ends without a newline (conda 26 prints the JSON text as it is).
  const std::string out =
      flags.json ? env::format_list_json(*records) : env::format_list_table(*prefix, *records);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

VerbRun setup_list(CLI::App& command) {
  auto flags = std::make_shared<ListFlags>();
  add_prefix_flags(command, flags->prefix);
  command.add_option("REGEX", flags->pattern, "only packages whose name matches");
  command.add_flag("--json", flags->json, "print conda list --json output");
  command.add_flag("--explicit", flags->explicit_urls, "print an @EXPLICIT file (package URLs)");
  command.add_flag("--md5", flags->md5, "with --explicit: add each package's md5");
  command.add_flag("--sha256", flags->sha256, "with --explicit: add each package's sha256");
  command.add_flag("--revisions", flags->revisions,
                   "list the revisions of the environment's history");
  return [flags] { return run_list(*flags); };
}

}  // namespace

GRAFT_VERB({.name = "list", .help = "list the packages of an environment", .setup = setup_list});

}  // namespace graft::cli
