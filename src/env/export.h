#pragma once
// Exporting an installed environment the way conda 26 does: environment.yml / JSON,
// requirements and @EXPLICIT files. collect_export() reads the prefix; the format_*
// functions are pure and byte-compatible with conda's output for the same data.
// Thread-safety: all functions are reentrant; nothing is shared.

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "conda/prefix_record.h"

namespace graft::env {

enum class ExportFormat { kEnvironmentYaml, kEnvironmentJson, kExplicit, kRequirements };

// "environment-yaml", "environment-json", "explicit" or "requirements" (also "yaml",
// "json", "txt"). Error: kInvalidArgument "'x' is not a valid export format: expected ...".
[[nodiscard]] Result<ExportFormat> parse_export_format(std::string_view text);

enum class BuildStrings { kInclude, kOmit };     // --no-builds omits them
enum class SpecSource { kInstalled, kHistory };  // --from-history reads the history

struct ExportOptions {
  std::string name;  // the environment's name ("" = the prefix's last component)
  BuildStrings builds = BuildStrings::kInclude;
  SpecSource source = SpecSource::kInstalled;
  bool ignore_channels = false;  // leave out the channels: section
};

// What an environment.yml holds; every list in output order.
struct EnvironmentExport {
  std::string name;
  std::vector<std::string> channels;      // channel URLs / names, first use first
  std::vector<std::string> dependencies;  // "name=version=build" (or history specs)
  std::vector<std::string> pip;           // "name==version" of pip-installed distributions
  std::vector<std::pair<std::string, std::string>> variables;  // conda-meta/state env_vars
  std::string prefix;
};

// Pure: the export of `records` (any order) with `history` the text of conda-meta/history
// (used with SpecSource::kHistory only). `pip` and `variables` are copied through.
[[nodiscard]] EnvironmentExport make_export(const std::filesystem::path& prefix,
                                            std::vector<conda::PackageRecord> records,
                                            std::string_view history, const ExportOptions& options);

// The package part of every conda-meta/*.json record of `prefix` (no "files" or
// "paths_data": fast on large environments), sorted by name. Errors: kIo when conda-meta/
// cannot be listed, kCorrupt "<file>:<line>:<column>: invalid JSON: ..." for a broken record.
[[nodiscard]] Result<std::vector<conda::PackageRecord>> load_package_records(
    const std::filesystem::path& prefix);

// Reads conda-meta/ (records, history, state) and site-packages/*.dist-info of `prefix`.
// Errors: kNotFound/kCorrupt/kIo from the records; kCorrupt from env/state.h's
// read_env_vars for a broken conda-meta/state.
[[nodiscard]] Result<EnvironmentExport> collect_export(const std::filesystem::path& prefix,
                                                       const ExportOptions& options);

// The "dependencies" from history: update specs minus remove specs, latest per name,
// first mention first, formatted as conda 26 prints them ("zlib=1.2.11=h7b6447c_3").
[[nodiscard]] std::vector<std::string> history_specs(std::string_view history);

[[nodiscard]] std::string format_environment_yaml(const EnvironmentExport& data);
[[nodiscard]] std::string format_environment_json(const EnvironmentExport& data);

enum class ExplicitHash { kNone, kMd5, kSha256 };

struct ExplicitOptions {
  std::string platform;  // "linux-64" (the "# platform:" header)
  ExplicitHash hash = ExplicitHash::kNone;
  // Who wrote the file, after "# created-by: " ("graft 0.1.0"). The one line where graft's
  // files differ from conda's ("conda 26.7.1"): it names the tool that wrote them.
  std::string created_by;
};

// conda's "@EXPLICIT" file, as `conda list --explicit` and `conda env export --format
// explicit` both write it: header ("--name <env>" literally), "@EXPLICIT", then one URL a
// line in dependency order (see explicit_order), with "#<md5>" or "#<sha256>" when asked.
// Records without a URL (virtual packages) are left out.
[[nodiscard]] std::string format_explicit(const std::vector<conda::PackageRecord>& records,
                                          const ExplicitOptions& options);

// conda export's requirements format: the explicit header's four lines, two notes, a blank
// line, then "<channel>::name==version=build" a line (sorted; the channel as `conda list`
// names it, left out when the record has none). `options.hash` is not used.
[[nodiscard]] std::string format_requirements(const std::vector<conda::PackageRecord>& records,
                                              const ExplicitOptions& options);

// conda's PrefixGraph order: level by level (all records whose dependencies are placed),
// each level sorted by name; noarch: python records depend on python; cycles are broken
// at the smallest name among the records with the fewest unplaced dependencies.
[[nodiscard]] std::vector<conda::PackageRecord> explicit_order(
    std::vector<conda::PackageRecord> records);

}  // namespace graft::env
