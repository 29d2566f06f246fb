// Pure half of `graft pack`: option checks and the info/ metadata texts. The disk half
// (scanning the source directory, writing the archive) is in package_pack.cc.
#include "conda/package_builder.h"

#include <algorithm>
#include <regex>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "conda/version.h"
#include "conda/match_spec.h"

namespace graft::conda {
namespace {

using Json = nlohmann::json;

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

Error invalid(std::string_view what, std::string_view value, std::string_view cause) {
  return Error(ErrorCode::kInvalidArgument,
               in_quotes(value) + " is not a valid " + std::string(what) + ": " + std::string(cause));
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

Status check_name(std::string_view name) {
  if (name.empty()) return fail(ErrorCode::kInvalidArgument, "the package name is empty");
  if (!std::all_of(name.begin(), name.end(), is_name_char)) {
    return fail(invalid("package name", name,
                        "use lowercase letters, digits, '_', '-' and '.'"));
  }
  if (name.front() == '.' || name.front() == '-') {
    return fail(invalid("package name", name, "it must start with a letter, digit or '_'"));
  }
  return ok();
}

Status check_version(std::string_view version) {
  if (version.find('-') != std::string_view::npos || version.find(' ') != std::string_view::npos) {
    return fail(invalid("version", version, "conda versions may not contain '-' or spaces"));
  }
  auto parsed = Version::parse(version);
  if (!parsed) return fail(invalid("version", version, parsed.error().message()));
  return ok();
}

Status check_build(std::string_view build) {
  bool good = !build.empty() && std::all_of(build.begin(), build.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '+';
  });
  if (!good) return fail(invalid("build string", build, "use letters, digits, '_', '.' and '+'"));
  return ok();
}

// Checks "name", "name >=1.2", "name 1.2.* build*", "name>=1.2" and bracket forms; returns
// the spec trimmed with runs of spaces collapsed.
Result<std::string> check_spec(std::string_view what, std::string_view spec) {
  std::vector<std::string> words;
  for (std::string_view word : base::split(base::trim(spec), ' ')) {
    if (!word.empty()) words.emplace_back(word);
  }
  std::string text = base::join(words, " ");
  if (text.empty()) return fail(invalid(what, spec, "the spec is empty"));
  if (text.find("::") != std::string::npos) {
    return fail(invalid(what, text, "channel prefixes are not allowed in package metadata"));
  }
  std::size_t name_end = 0;
  while (name_end < text.size() && (is_name_char(text[name_end]) ||
                                    std::isupper(static_cast<unsigned char>(text[name_end])))) {
    ++name_end;
  }
  if (name_end == 0) return fail(invalid(what, text, "it must start with a package name"));
  std::string_view rest = base::trim(std::string_view(text).substr(name_end));
  if (!base::starts_with(rest, "[") && base::split(rest, ' ').size() > 2) {
    return fail(invalid(what, text, "expected 'name [version [build]]'"));
  }
  auto parsed = MatchSpec::parse(text);
  if (!parsed) return fail(invalid(what, text, parsed.error().message()));
  return text;
}

Result<std::vector<std::string>> check_specs(std::string_view what,
                                             const std::vector<std::string>& specs) {
  std::vector<std::string> checked;
  for (const std::string& spec : specs) {
    GRAFT_ASSIGN_OR_RETURN(std::string text, check_spec(what, spec));
    checked.push_back(std::move(text));
  }
  std::sort(checked.begin(), checked.end());
  checked.erase(std::unique(checked.begin(), checked.end()), checked.end());
  return checked;
}

Result<std::string> check_entry_point(std::string_view entry_point) {
  static const std::regex kPattern(
      R"(\s*([^\s=]+)\s*=\s*([A-Za-z_][A-Za-z0-9_.]*)\s*:\s*([A-Za-z_][A-Za-z0-9_.]*)\s*)");
  std::cmatch match;
  if (!std::regex_match(entry_point.begin(), entry_point.end(), match, kPattern)) {
    return fail(invalid("entry point", entry_point, "expected 'command = module:function'"));
  }
  return match[1].str() + " = " + match[2].str() + ":" + match[3].str();
}

Status check_subdir(std::string_view subdir) {
  static const std::regex kPattern("(linux|osx|win|emscripten|wasi|freebsd|zos)-[a-z0-9_]+");
  if (subdir == "noarch" || std::regex_match(subdir.begin(), subdir.end(), kPattern)) return ok();
  return fail(invalid("subdir", subdir, "expected 'noarch' or '<platform>-<arch>' like 'linux-64'"));
}

// conda-build's index.json platform and arch for a subdir ("linux-64" -> linux, x86_64).
std::pair<std::string, std::string> platform_and_arch(std::string_view subdir) {
  std::size_t dash = subdir.find('-');
  std::string platform(subdir.substr(0, dash));
  std::string arch(subdir.substr(dash + 1));
  if (arch == "64") arch = "x86_64";
  if (arch == "32") arch = "x86";
  return {platform, arch};
}

std::string dump(const Json& json) { return json.dump(2, ' ', true); }

}  // namespace

std::string_view native_subdir() {
#if defined(__APPLE__) && defined(__aarch64__)
  return "osx-arm64";
#elif defined(__APPLE__)
  return "osx-64";
#elif defined(__aarch64__)
  return "linux-aarch64";
#elif defined(__powerpc64__)
  return "linux-ppc64le";
#elif defined(__s390x__)
  return "linux-s390x";
#else
  return "linux-64";
#endif
}

Result<PackagePlan> plan_package(const PackOptions& options) {
  PackagePlan plan{.options = options};
  GRAFT_RETURN_IF_ERROR(check_name(options.name));
  GRAFT_RETURN_IF_ERROR(check_version(options.version));
  if (options.build_number < 0) {
    return fail(invalid("build number", std::to_string(options.build_number), "it is negative"));
  }
  std::string number = std::to_string(options.build_number);
  plan.build = !options.build.empty() ? options.build
               : options.noarch == NoarchKind::kPython ? "py_" + number
                                                       : number;
  GRAFT_RETURN_IF_ERROR(check_build(plan.build));
  bool noarch = options.noarch != NoarchKind::kNone;
  plan.subdir = !options.subdir.empty() ? options.subdir
                : noarch                ? "noarch"
                                        : std::string(native_subdir());
  GRAFT_RETURN_IF_ERROR(check_subdir(plan.subdir));
  if (noarch != (plan.subdir == "noarch")) {
    return fail(ErrorCode::kInvalidArgument,
                noarch ? "noarch packages belong in subdir 'noarch', not " + in_quotes(plan.subdir)
                       : "subdir 'noarch' needs a noarch kind: 'generic' or 'python'");
  }
  GRAFT_ASSIGN_OR_RETURN(plan.depends, check_specs("dependency", options.depends));
  GRAFT_ASSIGN_OR_RETURN(plan.constrains, check_specs("constraint", options.constrains));
  if (!options.entry_points.empty() && options.noarch != NoarchKind::kPython) {
    return fail(ErrorCode::kInvalidArgument, "entry points need a noarch: python package");
  }
  for (const std::string& entry_point : options.entry_points) {
    GRAFT_ASSIGN_OR_RETURN(std::string normalized, check_entry_point(entry_point));
    plan.entry_points.push_back(std::move(normalized));
  }
  plan.file_name = options.name + "-" + options.version + "-" + plan.build +
                   std::string(archive_extension(options.format));
  return plan;
}

std::string index_json(const PackagePlan& plan) {
  Json json = {{"build", plan.build},
               {"build_number", plan.options.build_number},
               {"depends", plan.depends},
               {"name", plan.options.name},
               {"subdir", plan.subdir},
               {"timestamp", plan.options.timestamp_ms},
               {"version", plan.options.version}};
  if (plan.subdir == "noarch") {
    json["arch"] = nullptr;
    json["platform"] = nullptr;
    json["noarch"] = plan.options.noarch == NoarchKind::kPython ? "python" : "generic";
  } else {
    auto [platform, arch] = platform_and_arch(plan.subdir);
    json["arch"] = arch;
    json["platform"] = platform;
  }
  if (!plan.constrains.empty()) json["constrains"] = plan.constrains;
  if (!plan.options.license.empty()) json["license"] = plan.options.license;
  return dump(json);
}

std::string paths_json(const PackagePlan& plan, const std::vector<PackagedPath>& paths) {
  Json entries = Json::array();
  for (const PackagedPath& path : paths) {
    Json entry = {{"_path", path.path},
                  {"path_type", path.symlink ? "softlink" : "hardlink"},
                  {"sha256", path.sha256},
                  {"size_in_bytes", path.size}};
    if (path.has_placeholder) {
      entry["file_mode"] = path.binary ? "binary" : "text";
      entry["prefix_placeholder"] = plan.options.prefix_placeholder;
    }
    entries.push_back(std::move(entry));
  }
  return dump(Json{{"paths", std::move(entries)}, {"paths_version", 1}});
}

std::string files_list(const std::vector<PackagedPath>& paths) {
  std::string text;
  for (const PackagedPath& path : paths) text += path.path + "\n";
  return text;
}

std::string has_prefix(const PackagePlan& plan, const std::vector<PackagedPath>& paths) {
  auto quote_if_spaced = [](const std::string& text) {
    return text.find_first_of(" \t") == std::string::npos ? text : "\"" + text + "\"";
  };
  std::string text;
  for (const PackagedPath& path : paths) {
    if (!path.has_placeholder) continue;
    text += quote_if_spaced(plan.options.prefix_placeholder) + " " +
            (path.binary ? "binary" : "text") + " " + quote_if_spaced(path.path) + "\n";
  }
  return text;
}

std::string link_json(const PackagePlan& plan) {
  if (plan.options.noarch != NoarchKind::kPython) return "";
  Json noarch = {{"type", "python"}};
  if (!plan.entry_points.empty()) noarch["entry_points"] = plan.entry_points;
  return dump(Json{{"noarch", std::move(noarch)}, {"package_metadata_version", 1}});
}

std::string about_json(const PackagePlan& plan) {
  if (plan.options.license.empty()) return "";
  return dump(Json{{"license", plan.options.license}});
}

}  // namespace graft::conda
