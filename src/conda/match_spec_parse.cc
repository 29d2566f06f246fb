// MatchSpec::parse: conda's _parse_spec_str, step by step.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include <fmt/core.h>

#include "base/strings.h"
#include "conda/match_spec.h"
#include "conda/match_spec_internal.h"

namespace graft::conda {
namespace {

using F = MatchSpecField;
constexpr std::size_t kName = static_cast<std::size_t>(F::kName);

std::optional<F> field_of(std::string_view key) {
  for (std::size_t i = 0; i < kMatchSpecFieldCount; ++i) {
    if (match_spec_field_name(static_cast<F>(i)) == key) return static_cast<F>(i);
  }
  return std::nullopt;
}

std::vector<std::string> field_names() {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < kMatchSpecFieldCount; ++i) {
    names.emplace_back(match_spec_field_name(static_cast<F>(i)));
  }
  return names;
}

bool is_package_file(std::string_view text) {
  return text.ends_with(".tar.bz2") || text.ends_with(".conda");
}

// conda's _sanitize_version_str: "==1.2" -> "1.2" and "=1.2" -> "1.2*" when no build
// follows; "=1.2" with a build is exact.
std::string sanitize_version(std::string_view version, bool has_build) {
  if (version == "==" || version == "=" || !version.starts_with("=") ||
      version.starts_with("===")) {
    return std::string(version);
  }
  std::string_view bare = version.substr(version.find_first_not_of('='));
  bool single = bare.find_first_of("=,|") == std::string_view::npos;
  // conda strips "==" from compound specs too; equal in meaning, kept so text round-trips.
  if (version.starts_with("==") && !has_build && single) return std::string(bare);
  if (single) {
    if (!has_build && !bare.ends_with("*")) return std::string(bare) + "*";
    return std::string(bare);
  }
  return std::string(version);
}

// conda's _parse_version_plus_build regex, unrolled: the shortest version such that the
// rest is empty or `[ =]build`, where the separator does not follow an operator character
// and the build holds none of "-=,|<>~".
std::pair<std::string, std::optional<std::string>> split_version_build(std::string_view text) {
  auto build_at = [&](std::size_t end) -> std::optional<std::string_view> {
    if (end >= text.size() || (text[end] != ' ' && text[end] != '=')) return std::nullopt;
    if (std::string_view("=!|,<>~").find(text[end - 1]) != std::string_view::npos) {
      return std::nullopt;
    }
    std::string_view build = text.substr(end + 1);
    if (build.empty() || build.find_first_of("-=,|<>~") != std::string_view::npos) {
      return std::nullopt;
    }
    return build;
  };
  for (std::size_t length = 1; length <= text.size(); ++length) {
    for (std::size_t extra : {1, 0}) {
      if (extra == 1 && (length >= text.size() ||
                         std::string_view("><!,|").find(text[length]) != std::string_view::npos)) {
        continue;
      }
      std::size_t end = length + extra;
      if (auto build = build_at(end)) {
        return {base::replace_all(text.substr(0, end), " ", ""), std::string(base::trim(*build))};
      }
      if (end == text.size()) return {base::replace_all(text, " ", ""), std::nullopt};
    }
  }
  return {base::replace_all(text, " ", ""), std::nullopt};
}

class Parser {
 public:
  explicit Parser(std::string_view text) : original_(text) {}

  Result<MatchSpec::RawFields> run() {
    std::string_view spec = base::trim(original_);
    // Whitespace around the spec is dropped, as conda strips it; a control character inside
    // (a newline, a tab) can not be printed back as a spec that means the same.
    if (std::any_of(spec.begin(), spec.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
      return fail(error("it contains a control character (a newline or tab, say)"));
    }
    if (spec.ends_with("@") && spec.size() > 1) {  // legacy "mkl@": a feature
      const std::string_view feature = spec.substr(0, spec.size() - 1);
      const bool valid = std::all_of(feature.begin(), feature.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
      });
      if (!valid) {
        return fail(
            error("a legacy feature spec ('name@') needs a feature name of letters, "
                  "digits, '_', '-' and '.'"));
      }
      set(F::kName, "*");
      set(F::kTrackFeatures, feature);
      return std::move(raw_);
    }
    spec = base::trim(spec.substr(0, find_comment(spec)));
    if (is_package_file(spec)) return parse_package(spec);
    std::string rest(spec);
    GRAFT_RETURN_IF_ERROR(take_brackets(rest));
    if (rest.find(" if ") != std::string::npos) {
      return fail(error("conditional (' if ') specs are not supported"));
    }
    drop_legacy_parens(rest);
    GRAFT_RETURN_IF_ERROR(take_channel(rest));
    GRAFT_RETURN_IF_ERROR(take_name_version_build(rest));
    for (auto& [field, value] : brackets_) {
      if (field == F::kName) continue;  // conda ignores a name inside brackets
      if (field == F::kChannel) continue;
      raw_[static_cast<std::size_t>(field)] = std::move(value);
    }
    return std::move(raw_);
  }

 private:
  Error error(std::string_view why) const {
    return Error(ErrorCode::kInvalidArgument,
                 "invalid match spec '" + base::abbreviate(original_) + "': " + std::string(why));
  }
  void set(F field, std::string_view value) {
    raw_[static_cast<std::size_t>(field)] = std::string(value);
  }

  // A comment starts at a '#' that begins the text or follows whitespace, outside quotes.
  static std::size_t find_comment(std::string_view spec) {
    char quote = 0;
    for (std::size_t i = 0; i < spec.size(); ++i) {
      char c = spec[i];
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '#' && (i == 0 || spec[i - 1] == ' ' || spec[i - 1] == '\t')) {
        return i;
      }
    }
    return spec.size();
  }

  // A URL or path to a package file: channel, subdir, name, version and build come from it.
  Result<MatchSpec::RawFields> parse_package(std::string_view spec) {
    std::string url(spec);
    if (spec.find("://") == std::string_view::npos) {
      std::filesystem::path path(spec);
      if (spec.starts_with("~/") && std::getenv("HOME") != nullptr) {
        path = std::filesystem::path(std::getenv("HOME")) / spec.substr(2);
      }
      url = "file://" + std::filesystem::absolute(path).lexically_normal().generic_string();
    }
    std::string_view directory(url);
    directory = directory.substr(0, directory.rfind('/'));
    std::string file = detail::percent_decode(std::string_view(url).substr(directory.size() + 1));
    std::string_view subdir = directory.substr(directory.rfind('/') + 1);
    set(F::kUrl, url);
    set(F::kFn, file);
    if (!detail::is_known_subdir(subdir)) {
      set(F::kName, "*");
      return std::move(raw_);
    }
    std::string_view stem(file);
    stem = stem.substr(0, stem.size() - (stem.ends_with(".conda") ? 6 : 8));
    std::size_t build_dash = stem.rfind('-');
    std::size_t version_dash = build_dash == 0 || build_dash == std::string_view::npos
                                   ? std::string_view::npos
                                   : stem.rfind('-', build_dash - 1);
    if (version_dash == std::string_view::npos || version_dash == 0) {
      return fail(error("package file name '" + file + "' is not name-version-build"));
    }
    set(F::kChannel, detail::split_channel(directory).name);
    set(F::kSubdir, subdir);
    set(F::kName, stem.substr(0, version_dash));
    set(F::kVersion, stem.substr(version_dash + 1, build_dash - version_dash - 1));
    set(F::kBuild, stem.substr(build_dash + 1));
    return std::move(raw_);
  }

  // Removes `[key=value, ...]` from `spec` and records its pairs in brackets_.
  Status take_brackets(std::string& spec) {
    std::size_t open = spec.find('[');
    if (open == std::string::npos) {
      if (spec.find(']') != std::string::npos) return fail(error("unbalanced brackets"));
      return ok();
    }
    std::size_t close = spec.rfind(']');
    if (close == std::string::npos || close < open) return fail(error("unbalanced brackets"));
    std::string_view body = std::string_view(spec).substr(open + 1, close - open - 1);
    if (has_unquoted_bracket(body)) return fail(error("multiple bracket sections not allowed"));
    std::string_view after = base::trim(std::string_view(spec).substr(close + 1));
    if (!after.empty() && !(after.front() == '(' && after.back() == ')')) {
      return fail(
          error("unrecognized text after the bracket section: '" + std::string(after) + "'"));
    }
    GRAFT_RETURN_IF_ERROR(parse_pairs(body));
    spec = spec.substr(0, open) + std::string(after);
    return ok();
  }

  static bool has_unquoted_bracket(std::string_view body) {
    char quote = 0;
    for (char c : body) {
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '[' || c == ']') {
        return true;
      }
    }
    return false;
  }

  Status parse_pairs(std::string_view body) {
    std::size_t position = 0;
    auto skip = [&](std::string_view chars) {
      while (position < body.size() && chars.find(body[position]) != std::string_view::npos) {
        ++position;
      }
    };
    while (true) {
      skip(" ,");
      if (position == body.size()) break;
      std::size_t key_start = position;
      while (position < body.size() && (std::isalnum(static_cast<unsigned char>(body[position])) ||
                                        body[position] == '_' || body[position] == '-')) {
        ++position;
      }
      std::string_view key = body.substr(key_start, position - key_start);
      skip(" ");
      if (position == body.size() || body[position] != '=') {
        if (body.find('=') == std::string_view::npos) {
          return fail(error("no key-value pairs found in square brackets"));
        }
        return fail(error("a key or a value is missing"));
      }
      ++position;
      skip(" ");
      GRAFT_ASSIGN_OR_RETURN(std::string value, read_value(body, position));
      if (key.empty() || value.empty()) return fail(error("a key or a value is missing"));
      GRAFT_RETURN_IF_ERROR(add_pair(key, std::move(value)));
    }
    if (brackets_.empty()) return fail(error("no key-value pairs found in square brackets"));
    return ok();
  }

  Result<std::string> read_value(std::string_view body, std::size_t& position) {
    if (position < body.size() && (body[position] == '\'' || body[position] == '"')) {
      std::size_t close = body.find(body[position], position + 1);
      if (close == std::string_view::npos) return fail(error("unterminated quote in brackets"));
      std::string value(body.substr(position + 1, close - position - 1));
      position = close + 1;
      if (position < body.size() && body[position] != ',' && body[position] != ' ') {
        return fail(error("expected ',' after the quoted value '" + value + "'"));
      }
      return value;
    }
    std::size_t end = body.find_first_of(", ", position);
    if (end == std::string_view::npos) end = body.size();
    std::string value(body.substr(position, end - position));
    position = end;
    return value;
  }

  Status add_pair(std::string_view key, std::string value) {
    std::optional<F> field = field_of(key);
    if (!field) {
      std::string message = "cannot match on field '" + std::string(key) + "'";
      std::string guess = base::closest_match(key, field_names());
      if (!guess.empty()) message += ", did you mean '" + guess + "'?";
      return fail(error(message));
    }
    for (const auto& [existing, unused] : brackets_) {
      if (existing == *field) {
        return fail(error("key can only be specified once: '" + std::string(key) + "'"));
      }
    }
    if (*field == F::kVersion) value = sanitize_version(value, false);
    brackets_.emplace_back(*field, std::move(value));
    return ok();
  }

  // conda ignores a trailing "(target=..., optional)" section.
  static void drop_legacy_parens(std::string& spec) {
    std::string_view trimmed = base::trim(spec);
    if (!trimmed.ends_with(')')) return;
    std::size_t open = trimmed.rfind('(');
    if (open == std::string_view::npos) return;
    std::string_view body = base::trim(trimmed.substr(open + 1));
    if (body.starts_with("target=") || body.starts_with("optional")) {
      spec = std::string(trimmed.substr(0, open));
    }
  }

  Status take_channel(std::string& spec) {
    std::optional<std::string> channel;
    std::size_t last = spec.rfind(':');
    if (last != std::string::npos) {
      std::size_t before = last == 0 ? std::string::npos : spec.rfind(':', last - 1);
      if (before != std::string::npos) channel = spec.substr(0, before);
      spec = spec.substr(last + 1);
    }
    if (channel && !channel->empty()) {
      detail::ChannelParts parts = detail::split_channel(*channel);
      set(F::kChannel, parts.name);
      if (!parts.subdir.empty()) set(F::kSubdir, parts.subdir);
    }
    for (const auto& [field, value] : brackets_) {
      if (field != F::kChannel) continue;
      detail::ChannelParts parts = detail::split_channel(value);
      if (!parts.name.empty()) set(F::kChannel, parts.name);
      if (!parts.subdir.empty()) set(F::kSubdir, parts.subdir);
    }
    return ok();
  }

  Status take_name_version_build(std::string_view spec) {
    spec = base::trim(spec);
    std::size_t name_end = std::min(spec.find_first_of(" \t\n\v\f\r=<>!~"), spec.size());
    if (name_end == 0) {
      return fail(error("no package name found in '" + std::string(spec) + "'"));
    }
    set(F::kName, spec.substr(0, name_end));
    std::string_view rest = base::trim(spec.substr(name_end));
    if (rest.empty() || rest == "=") return ok();  // conda reads "numpy=" as "numpy"
    if (rest.find('[') != std::string_view::npos) {
      return fail(error("multiple bracket sections not allowed"));
    }
    auto [version, build] = split_version_build(rest);
    set(F::kVersion, sanitize_version(version, build.has_value()));
    if (build) set(F::kBuild, *build);
    return ok();
  }

  std::string_view original_;
  MatchSpec::RawFields raw_;
  std::vector<std::pair<F, std::string>> brackets_;
};

}  // namespace

Result<MatchSpec> MatchSpec::parse(std::string_view text) {
  if (text.size() > kMaxMatchSpecLength) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid match spec '{}': it is {} bytes long, the limit is {}",
                            base::abbreviate(text), text.size(), kMaxMatchSpecLength));
  }
  GRAFT_ASSIGN_OR_RETURN(RawFields raw, Parser(text).run());
  if (!raw[kName]) raw[kName] = "*";
  return build(std::move(raw), std::string(text));
}

}  // namespace graft::conda
