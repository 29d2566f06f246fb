// conda::MatchSpec: conda's package query language (conda/models/match_spec.py).
//
// Accepted forms (all of conda's):
//   numpy                      numpy 1.8*            numpy >=1.8,<2|1.7 py38_0
//   numpy=1.8                  (version starts with 1.8)   numpy==1.8   (exact)
//   numpy=1.8=py38_0           numpy 1.8 py38*       numpy !=1.8     numpy ~=1.8.1
//   conda-forge::numpy         conda-forge/linux-64::numpy   */linux-64::numpy
//   https://conda.anaconda.org/conda-forge::numpy
//   numpy[version='>=1.8,<2', build=py*, build_number='>=3', md5=..., channel=..., ...]
//   * >=1.0                    *[md5=0123...]        mkl@ (legacy: track_features=mkl)
//   https://host/chan/linux-64/foo-1.0-0.tar.bz2   file:///abs/foo-1.0-0.conda
//   ./foo-1.0-0.conda          (a package path: resolved against the current directory)
// Keys inside brackets override the positional parts (except `name`, which is ignored
// there, as conda does). Quotes ('...' or "...") are needed for values with `,`, ` ` or `=`.
// Build, name, channel and license values are exact, globs (`py3*`) or `^...$` regexes.
//
// to_string() is conda's canonical form (MatchSpec.__str__):
//   channel[/subdir]::name[==version[=build] | =fuzzy | !=x | ~=x][key=value,...]
// e.g. "conda-forge::numpy[version='>=1.2,<2',build=py*]", "numpy=1.2", "numpy==1.2.3=py_0".
// Channels print as conda's canonical names ("https://conda.anaconda.org/conda-forge" ->
// "conda-forge", "https://repo.anaconda.com/pkgs/main" -> "pkgs/main"); other URLs print in
// full. parse(to_string(x)) == x.
//
// Values are immutable and cheap to copy; concurrent reads are safe.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "conda/record.h"
#include "conda/version.h"
#include "conda/version_spec.h"

namespace graft::conda {

// The longest spec parse() reads, in bytes: a longer text (a pasted file, a hostile
// repodata `depends`) is refused before any work, and errors quote at most
// base::kMessageQuoteLimit bytes of a spec.
inline constexpr std::size_t kMaxMatchSpecLength = 4096;

// The fields a MatchSpec can constrain, in conda's canonical order (FIELD_NAMES).
enum class MatchSpecField {
  kChannel, kSubdir, kName, kVersion, kBuild, kBuildNumber, kTrackFeatures, kFeatures,
  kUrl, kMd5, kSha256, kLicense, kLicenseFamily, kFn,
};
inline constexpr std::size_t kMatchSpecFieldCount = 14;

// The field's key as written in brackets: "build_number", "track_features", ...
[[nodiscard]] std::string_view match_spec_field_name(MatchSpecField field);

class MatchSpec {
 public:
  // The spec that matches every package ("*").
  MatchSpec();

  // Parses one spec. Errors (kInvalidArgument) read "invalid match spec 'TEXT': REASON",
  // e.g. "...: no package name found in '!xyz 1.3'", "...: cannot match on field 'bild',
  // did you mean 'build'?", "...: key can only be specified once: 'build'",
  // "...: invalid version spec '>=1.2&': invalid version '1.2&': invalid character(s)",
  // "...: it is 50000000 bytes long, the limit is 4096".
  [[nodiscard]] static Result<MatchSpec> parse(std::string_view text);

  // conda's MatchSpec(**kwargs): builds from field values as they would appear inside
  // brackets (values are not sanitized: "1.2" is exact, "1.2*" is fuzzy). Keys are
  // match_spec_field_name()s; unknown keys fail as in parse().
  [[nodiscard]] static Result<MatchSpec> from_fields(
      const std::vector<std::pair<std::string, std::string>>& fields);

  // Package name, "*" when any (lower-cased, as conda stores it).
  [[nodiscard]] const std::string& name() const { return *raw_[index(MatchSpecField::kName)]; }
  // True when the name is a plain name (no glob, no regex): the solver's index key.
  [[nodiscard]] bool has_exact_name() const;
  // The version constraint, or null when any version matches.
  [[nodiscard]] const VersionSpec* version() const { return version_ ? &*version_ : nullptr; }
  // The raw value of a field as conda prints it, or nullopt when the field is unconstrained.
  [[nodiscard]] std::optional<std::string_view> get(MatchSpecField field) const;
  // The text given to parse() ("" for from_fields and the default spec).
  [[nodiscard]] const std::string& original() const { return original_; }

  // True when `record` satisfies every constrained field. Parses record.version when a
  // version is constrained; a record whose version does not parse matches only text-based
  // version constraints (regex, glob, exact text).
  [[nodiscard]] bool matches(const PackageRecord& record) const;
  // The solver's hot path: `version` must be record.version already parsed.
  [[nodiscard]] bool matches(const PackageRecord& record, const Version& version) const;

  [[nodiscard]] std::string to_string() const;

  // Field-by-field equality of the parsed components (the original text is ignored).
  friend bool operator==(const MatchSpec& a, const MatchSpec& b) { return a.raw_ == b.raw_; }

  struct Compiled;  // matchers built once per spec; defined in match_spec.cc
  using RawFields = std::array<std::optional<std::string>, kMatchSpecFieldCount>;

 private:
  static constexpr std::size_t index(MatchSpecField field) {
    return static_cast<std::size_t>(field);
  }
  // Validates and compiles `raw` (name must be set). `original` is only used in errors.
  static Result<MatchSpec> build(RawFields raw, std::string original);
  [[nodiscard]] bool matches_fields(const PackageRecord& record) const;
  void append_version_and_build(std::string& out, std::vector<std::string>& brackets) const;

  RawFields raw_;
  std::optional<VersionSpec> version_;
  std::shared_ptr<const Compiled> compiled_;
  std::string original_;
};

}  // namespace graft::conda
