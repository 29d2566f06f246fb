#include "conda/match_spec.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "base/strings.h"
#include "conda/match_spec_internal.h"

namespace graft::conda {

struct MatchSpec::Compiled {
  // Set for glob or regex values; exact values compare with the raw text.
  std::optional<std::regex> name, channel, build, license, license_family;
  std::optional<std::int64_t> build_number;          // a plain integer
  std::optional<VersionSpec> build_number_spec;      // anything else (">=3", "^1.$")
  std::vector<std::string> track_features, features;  // sorted, unique
};

namespace {

constexpr std::string_view kFieldNames[kMatchSpecFieldCount] = {
    "channel", "subdir", "name", "version", "build", "build_number", "track_features",
    "features", "url", "md5", "sha256", "license", "license_family", "fn"};

constexpr std::string_view kKnownSubdirs[] = {
    "noarch", "linux-32", "linux-64", "linux-aarch64", "linux-armv6l", "linux-armv7l",
    "linux-ppc64", "linux-ppc64le", "linux-riscv64", "linux-s390x", "osx-64", "osx-arm64",
    "win-32", "win-64", "win-arm64", "zos-z", "freebsd-64", "emscripten-wasm32",
    "wasi-wasm32"};

// Hosts whose URL path is the channel's canonical name.
constexpr std::string_view kNamedHosts[] = {"conda.anaconda.org", "repo.anaconda.com",
                                            "anaconda.org", "repo.continuum.io"};

std::string escape_glob(std::string_view glob) {
  std::string pattern = "^(?:";
  for (char c : glob) {
    if (c == '*') {
      pattern += ".*";
      continue;
    }
    if (std::string_view("\\^$.|?+()[]{}").find(c) != std::string_view::npos) pattern += '\\';
    pattern += c;
  }
  return pattern + ")$";
}

// conda's GlobStrMatch: `^...$` is a regex, a value with `*` a glob, anything else exact.
Result<std::optional<std::regex>> compile_glob(std::string_view value) {
  std::string pattern;
  if (value.size() >= 2 && value.front() == '^' && value.back() == '$') {
    pattern = std::string(value);
  } else if (value.find('*') != std::string_view::npos) {
    pattern = escape_glob(value);
  } else {
    return std::optional<std::regex>();
  }
  try {
    return std::optional<std::regex>(std::regex(pattern, std::regex::ECMAScript));
  } catch (const std::regex_error& e) {
    return fail(ErrorCode::kInvalidArgument,
                "'" + std::string(value) + "' is not a valid regular expression: " + e.what());
  }
}

std::vector<std::string> feature_set(std::string_view value) {
  std::vector<std::string> features;
  std::string current;
  for (char c : std::string(value) + " ") {
    if (c == ' ' || c == ',') {
      if (!current.empty()) features.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  std::sort(features.begin(), features.end());
  features.erase(std::unique(features.begin(), features.end()), features.end());
  return features;
}

bool match_text(const std::optional<std::string>& raw, const std::optional<std::regex>& regex,
                std::string_view text) {
  if (!raw || *raw == "*") return true;
  if (regex) return std::regex_match(text.begin(), text.end(), *regex);
  return *raw == text;
}

bool match_channel(const std::string& spec, const std::optional<std::regex>& regex,
                   std::string_view record_channel) {
  std::string name = detail::split_channel(record_channel).name;
  if (regex) return std::regex_match(name, *regex);
  if (spec == name) return true;
  return spec == "defaults" &&
         (name == "pkgs/main" || name == "pkgs/r" || name == "pkgs/msys2");
}

bool any_of_chars(std::string_view text, std::string_view chars) {
  return text.find_first_of(chars) != std::string_view::npos;
}

// `key='value'` (or `key="value"` when the value holds a single quote).
std::string quoted_pair(std::string_view key, std::string_view value) {
  char quote = value.find('\'') == std::string_view::npos ? '\'' : '"';
  return std::string(key) + "=" + quote + std::string(value) + quote;
}

// `key=value`, quoted when the value holds a separator (conda quotes on ", =").
std::string bracket_pair(std::string_view key, std::string_view value) {
  if (any_of_chars(value, ", =[]'\"")) return quoted_pair(key, value);
  return std::string(key) + "=" + std::string(value);
}

}  // namespace

namespace detail {

bool is_known_subdir(std::string_view name) {
  return std::find(std::begin(kKnownSubdirs), std::end(kKnownSubdirs), name) !=
         std::end(kKnownSubdirs);
}

ChannelParts split_channel(std::string_view value) {
  while (value.size() > 1 && value.back() == '/') value.remove_suffix(1);
  ChannelParts parts;
  if (std::size_t slash = value.rfind('/'); slash != std::string_view::npos) {
    if (is_known_subdir(value.substr(slash + 1))) {
      parts.subdir = std::string(value.substr(slash + 1));
      value = value.substr(0, slash);
    }
  }
  std::size_t scheme = value.find("://");
  if (scheme != std::string_view::npos) {
    std::string_view rest = value.substr(scheme + 3);
    std::size_t path = rest.find('/');
    std::string_view host = rest.substr(0, path);
    for (std::string_view named : kNamedHosts) {
      if (host == named && path != std::string_view::npos) {
        parts.name = std::string(rest.substr(path + 1));
        return parts;
      }
    }
  }
  parts.name = std::string(value);
  return parts;
}

std::string percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() + 0 && hex(text[i + 1]) >= 0 &&
        hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace detail

std::string_view match_spec_field_name(MatchSpecField field) {
  return kFieldNames[static_cast<std::size_t>(field)];
}

MatchSpec::MatchSpec() : compiled_(std::make_shared<Compiled>()) {
  raw_[index(MatchSpecField::kName)] = "*";
}

Result<MatchSpec> MatchSpec::from_fields(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  RawFields raw;
  for (const auto& [key, value] : fields) {
    auto* found = std::find(std::begin(kFieldNames), std::end(kFieldNames), key);
    if (found == std::end(kFieldNames)) {
      return fail(ErrorCode::kInvalidArgument, "invalid match spec: cannot match on field '" +
                                                   key + "'");
    }
    raw[static_cast<std::size_t>(found - std::begin(kFieldNames))] = value;
  }
  if (!raw[index(MatchSpecField::kName)]) raw[index(MatchSpecField::kName)] = "*";
  return build(std::move(raw), "");
}

namespace {

std::optional<std::string>& field(MatchSpec::RawFields& raw, MatchSpecField which) {
  return raw[static_cast<std::size_t>(which)];
}

// Name, build, license and channel values: lower-cased where conda does, globs compiled.
Status compile_globs(MatchSpec::RawFields& raw, MatchSpec::Compiled& compiled) {
  using F = MatchSpecField;
  std::optional<std::string>& channel = field(raw, F::kChannel);
  if (channel && (channel->empty() || *channel == "*")) channel.reset();  // matches all
  for (auto [which, target, lower] :
       {std::tuple{F::kName, &compiled.name, true}, std::tuple{F::kBuild, &compiled.build, false},
        std::tuple{F::kLicense, &compiled.license, true},
        std::tuple{F::kLicenseFamily, &compiled.license_family, true},
        std::tuple{F::kChannel, &compiled.channel, false}}) {
    std::optional<std::string>& value = field(raw, which);
    if (!value) continue;
    if (lower) *value = base::to_lower(*value);
    if (*value == "*") continue;
    GRAFT_ASSIGN_OR_RETURN(*target, compile_glob(*value));
  }
  return ok();
}

// Name and channel are written outside brackets: they cannot hold what ends them there.
Status validate_name_and_channel(const MatchSpec::RawFields& raw) {
  const std::string& name = *raw[static_cast<std::size_t>(MatchSpecField::kName)];
  bool bad = name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("=<>!~[]#:@'\"").find(c) != std::string_view::npos;
  });
  if (bad) {
    return fail(ErrorCode::kInvalidArgument,
                "'" + base::abbreviate(name) + "' is not a valid package name");
  }
  const std::optional<std::string>& channel = raw[static_cast<std::size_t>(MatchSpecField::kChannel)];
  if (channel && std::any_of(channel->begin(), channel->end(), [](char c) {
        return std::isspace(static_cast<unsigned char>(c)) != 0 ||
               std::string_view("[]#'\"").find(c) != std::string_view::npos;
      })) {
    return fail(ErrorCode::kInvalidArgument,
                "'" + base::abbreviate(*channel) + "' is not a valid channel");
  }
  return ok();
}

// A plain integer compares as one; anything else (">=3", "^1.$") as a version spec.
Status compile_build_number(MatchSpec::RawFields& raw, MatchSpec::Compiled& compiled) {
  std::optional<std::string>& number = field(raw, MatchSpecField::kBuildNumber);
  if (!number) return ok();
  *number = std::string(base::trim(*number));
  bool digits = !number->empty() && number->size() < 19 &&
                std::all_of(number->begin(), number->end(),
                            [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    compiled.build_number = std::stoll(*number);
    return ok();
  }
  GRAFT_ASSIGN_OR_RETURN(compiled.build_number_spec, VersionSpec::parse(*number));
  return ok();
}

void compile_features(MatchSpec::RawFields& raw, MatchSpec::Compiled& compiled) {
  for (auto [which, target] :
       {std::pair{MatchSpecField::kTrackFeatures, &compiled.track_features},
        std::pair{MatchSpecField::kFeatures, &compiled.features}}) {
    if (std::optional<std::string>& value = field(raw, which)) {
      *target = feature_set(*value);
      *value = base::join(*target, " ");
    }
  }
}

// Parses the version; "*" constrains nothing and is dropped, as conda prints it.
Result<std::optional<VersionSpec>> compile_version(MatchSpec::RawFields& raw) {
  std::optional<std::string>& version = field(raw, MatchSpecField::kVersion);
  if (!version) return std::optional<VersionSpec>();
  GRAFT_ASSIGN_OR_RETURN(VersionSpec parsed, VersionSpec::parse(*version));
  version.reset();
  if (parsed.is_any()) return std::optional<VersionSpec>();
  version = parsed.to_string();
  return std::optional<VersionSpec>(std::move(parsed));
}

}  // namespace

Result<MatchSpec> MatchSpec::build(RawFields raw, std::string original) {
  auto compiled = std::make_shared<Compiled>();
  Status status = validate_name_and_channel(raw);
  if (status) status = compile_globs(raw, *compiled);
  if (status) status = compile_build_number(raw, *compiled);
  auto version = status ? compile_version(raw) : tl::unexpected<Error>(status.error());
  if (!version) {
    return fail(ErrorCode::kInvalidArgument, "invalid match spec '" + base::abbreviate(original) +
                                                 "': " + version.error().message());
  }
  compile_features(raw, *compiled);
  MatchSpec spec;
  spec.version_ = std::move(*version);
  spec.raw_ = std::move(raw);
  spec.compiled_ = std::move(compiled);
  spec.original_ = std::move(original);
  return spec;
}

bool MatchSpec::has_exact_name() const { return name() != "*" && !compiled_->name; }

std::optional<std::string_view> MatchSpec::get(MatchSpecField field) const {
  const std::optional<std::string>& value = raw_[index(field)];
  if (!value) return std::nullopt;
  return std::string_view(*value);
}

bool MatchSpec::matches(const PackageRecord& record) const {
  if (!version_) return matches_fields(record);
  auto version = Version::parse(record.version);
  if (!version) return version_->matches(record.version) && matches_fields(record);
  return matches(record, *version);
}

bool MatchSpec::matches(const PackageRecord& record, const Version& version) const {
  return (!version_ || version_->matches(version)) && matches_fields(record);
}

bool MatchSpec::matches_fields(const PackageRecord& record) const {
  using F = MatchSpecField;
  const Compiled& c = *compiled_;
  auto exact = [&](F field, std::string_view text) {
    return !raw_[index(field)] || *raw_[index(field)] == text;
  };
  if (!match_text(raw_[index(F::kName)], c.name, record.name)) return false;
  if (!match_text(raw_[index(F::kBuild)], c.build, record.build)) return false;
  if (c.build_number && *c.build_number != record.build_number) return false;
  if (c.build_number_spec && !c.build_number_spec->matches(std::to_string(record.build_number))) {
    return false;
  }
  if (!exact(F::kSubdir, record.subdir) || !exact(F::kMd5, record.md5) ||
      !exact(F::kSha256, record.sha256) || !exact(F::kUrl, record.url) ||
      !exact(F::kFn, record.fn)) {
    return false;
  }
  const std::optional<std::string>& channel = raw_[index(F::kChannel)];
  if (channel && !match_channel(*channel, c.channel, record.channel)) return false;
  if (raw_[index(F::kTrackFeatures)] &&
      c.track_features != feature_set(base::join(record.track_features, " "))) {
    return false;
  }
  if (raw_[index(F::kFeatures)] && c.features != feature_set(record.features)) return false;
  return match_text(raw_[index(F::kLicense)], c.license, base::to_lower(record.license)) &&
         match_text(raw_[index(F::kLicenseFamily)], c.license_family,
                    base::to_lower(record.license_family));
}

void MatchSpec::append_version_and_build(std::string& out,
                                         std::vector<std::string>& brackets) const {
  const std::optional<std::string>& build = raw_[index(MatchSpecField::kBuild)];
  bool version_exact = false;
  if (const std::optional<std::string>& v = raw_[index(MatchSpecField::kVersion)]) {
    std::string_view operand = *v;
    if (operand.starts_with("==") || operand.starts_with("!=") || operand.starts_with("~=")) {
      operand.remove_prefix(operand.starts_with("===") ? 3 : 2);
    }
    // conda brackets versions with operators; graft also those that would not re-parse.
    if (any_of_chars(*v, "><$^|,") || any_of_chars(operand, "= []#'\"")) {
      brackets.push_back(quoted_pair("version", *v));
    } else if (v->starts_with("!=") || v->starts_with("~=")) {
      if (build) brackets.push_back(quoted_pair("version", *v));
      else out += *v;
    } else if (v->starts_with("===")) {
      out += *v;
      version_exact = true;
    } else if (v->ends_with(".*")) {
      out += "=" + v->substr(0, v->size() - 2);
    } else if (v->ends_with("*")) {  // "=x" reads back as "x*" unless x ends with '*'
      out += "=" + (v->ends_with("**") ? *v : v->substr(0, v->size() - 1));
    } else {
      out += v->starts_with("==") ? *v : "==" + *v;
      version_exact = true;
    }
  }
  if (!build) return;
  if (any_of_chars(*build, "><$^|,")) {
    brackets.push_back(quoted_pair("build", *build));
  } else if (build->find('*') == std::string::npos && version_exact &&
             !any_of_chars(*build, " =[]")) {
    out += "=" + *build;
  } else {
    brackets.push_back(bracket_pair("build", *build));
  }
}

std::string MatchSpec::to_string() const {
  using F = MatchSpecField;
  std::string out;
  std::vector<std::string> brackets;
  const std::optional<std::string>& channel = raw_[index(F::kChannel)];
  const std::optional<std::string>& subdir = raw_[index(F::kSubdir)];
  bool channel_exact = channel && !compiled_->channel;
  if (channel_exact) out += *channel;
  else if (channel) brackets.push_back(bracket_pair("channel", *channel));
  if (subdir && channel_exact) out += "/" + *subdir;
  else if (subdir) brackets.push_back(bracket_pair("subdir", *subdir));
  out += (out.empty() ? "" : "::") + name();
  append_version_and_build(out, brackets);
  for (F field : {F::kBuildNumber, F::kTrackFeatures, F::kFeatures, F::kUrl, F::kMd5,
                  F::kSha256, F::kLicense, F::kLicenseFamily, F::kFn}) {
    const std::optional<std::string>& value = raw_[index(field)];
    if (!value || (field == F::kFn && raw_[index(F::kUrl)]) || (field == F::kUrl && channel)) {
      continue;
    }
    brackets.push_back(bracket_pair(match_spec_field_name(field), *value));
  }
  if (!brackets.empty()) out += "[" + base::join(brackets, ",") + "]";
  return out;
}

}  // namespace graft::conda
