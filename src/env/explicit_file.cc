#include "env/explicit_file.h"

#include <algorithm>
#include <filesystem>

#include <fmt/core.h>

#include "base/strings.h"
#include "conda/channel.h"
#include "conda/match_spec.h"

namespace graft::env {
namespace {

constexpr std::string_view kExplicitMarker = "@EXPLICIT";

bool is_hex(std::string_view text, std::size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Error not_a_package_url(std::string_view text) {
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("'{}' is not a package URL: expected .../<name>-<version>-<build>.conda "
                           "or .tar.bz2, optionally followed by #<md5> or #sha256:<hash>",
                           text));
}

bool has_scheme(std::string_view text) {
  const auto colon = text.find("://");
  return colon != std::string_view::npos && colon > 0 &&
         text.substr(0, colon).find('/') == std::string_view::npos;
}

// A local path becomes a file:// URL, as conda's path_to_url does.
std::string as_url(std::string_view text, std::string_view working_directory) {
  if (has_scheme(text)) return std::string(text);
  std::filesystem::path path(text);
  if (path.is_relative()) path = std::filesystem::path(working_directory) / path;
  return "file://" + path.lexically_normal().string();
}

// Sets md5 or sha256 of `record` from a URL fragment.
Status apply_checksum(std::string_view fragment, conda::PackageRecord& record) {
  std::string_view digest = fragment;
  if (base::starts_with(digest, "sha256:")) digest.remove_prefix(7);
  if (is_hex(digest, 64)) {
    record.sha256 = std::string(digest);
  } else if (is_hex(digest, 32) && digest.size() == fragment.size()) {
    record.md5 = std::string(digest);
  } else {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not an md5 or sha256 checksum", fragment));
  }
  return ok();
}

Result<conda::PackageRecord> explicit_line(std::string_view line,
                                           std::string_view working_directory) {
  const auto hash = line.find('#');
  std::string_view location = base::trim(line.substr(0, hash));
  GRAFT_ASSIGN_OR_RETURN(conda::PackageRecord record,
                         record_from_url(as_url(location, working_directory)));
  if (hash != std::string_view::npos) {
    GRAFT_RETURN_IF_ERROR(apply_checksum(base::trim(line.substr(hash + 1)), record));
  }
  return record;
}

// A spec line without its comment: "numpy >=1.26  # why" -> "numpy >=1.26".
std::string_view without_comment(std::string_view line) {
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '#' && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return base::trim(line.substr(0, i));
    }
  }
  return line;
}

Error located(std::string_view source, std::size_t line, const Error& error) {
  return Error(error.code(), fmt::format("{}:{}: {}", source, line, error.message()));
}

bool is_explicit(std::string_view text) {
  for (std::string_view line : base::split(text, '\n')) {
    if (base::trim(line) == kExplicitMarker) return true;
  }
  return false;
}

}  // namespace

Result<conda::PackageRecord> record_from_url(std::string_view url) {
  const auto slash = url.rfind('/');
  const std::string_view fn = slash == std::string_view::npos ? url : url.substr(slash + 1);
  std::string_view stem;
  if (base::ends_with(fn, ".conda")) stem = fn.substr(0, fn.size() - 6);
  if (base::ends_with(fn, ".tar.bz2")) stem = fn.substr(0, fn.size() - 8);
  const auto build_dash = stem.rfind('-');
  const auto version_dash = build_dash == std::string_view::npos || build_dash == 0
                                ? std::string_view::npos
                                : stem.rfind('-', build_dash - 1);
  if (slash == std::string_view::npos || version_dash == std::string_view::npos ||
      version_dash == 0 || build_dash == version_dash + 1 || build_dash + 1 == stem.size()) {
    return fail(not_a_package_url(url));
  }
  conda::PackageRecord record;
  record.name = std::string(stem.substr(0, version_dash));
  record.version = std::string(stem.substr(version_dash + 1, build_dash - version_dash - 1));
  record.build = std::string(stem.substr(build_dash + 1));
  record.fn = std::string(fn);
  record.url = std::string(url);
  record.channel = std::string(url.substr(0, slash));
  const auto subdir_slash = record.channel.rfind('/');
  const std::string subdir =
      subdir_slash == std::string::npos ? "" : record.channel.substr(subdir_slash + 1);
  if (conda::is_known_subdir(subdir)) record.subdir = subdir;
  return record;
}

std::string explicit_spec(const conda::PackageRecord& record) {
  return fmt::format("{}::{}=={}={}", record.channel, record.name, record.version, record.build);
}

Result<PackageList> parse_package_list(std::string_view text, std::string_view source,
                                       std::string_view working_directory) {
  PackageList list;
  list.kind = is_explicit(text) ? PackageListKind::kExplicit : PackageListKind::kSpecs;
  std::size_t number = 0;
  for (std::string_view raw : base::split(text, '\n')) {
    ++number;
    std::string_view line = base::trim(raw);
    if (line.empty() || line.front() == '#' || line == kExplicitMarker) continue;
    if (list.kind == PackageListKind::kExplicit) {
      auto record = explicit_line(line, working_directory);
      if (!record) return fail(located(source, number, record.error()));
      list.packages.push_back(std::move(*record));
      continue;
    }
    line = without_comment(line);
    auto spec = conda::MatchSpec::parse(line);
    if (!spec) return fail(located(source, number, spec.error()));
    list.specs.emplace_back(line);
  }
  return list;
}

}  // namespace graft::env
