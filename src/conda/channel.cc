#include "conda/channel.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "base/strings.h"

namespace graft::conda {
namespace {

struct Url {
  std::string scheme;
  std::string auth;
  std::string host;
  std::vector<std::string> segments;  // path segments, empty ones dropped
};

// Where a channel lives and what it is called, before credentials and subdir.
struct Placement {
  std::string location;
  std::string name;
  std::string canonical_name;
};

std::string without_scheme(std::string_view url) {
  const std::size_t at = url.find("://");
  std::string rest(at == std::string_view::npos ? url : url.substr(at + 3));
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  return rest;
}

std::string join_path(std::string_view location, std::string_view name) {
  if (location.empty()) return std::string(name);
  if (name.empty()) return std::string(location);
  return std::string(location) + (location.back() == '/' ? "" : "/") + std::string(name);
}

Result<Url> split_url(std::string_view value) {
  Url url;
  const std::size_t scheme_end = value.find("://");
  url.scheme = base::to_lower(value.substr(0, scheme_end));
  const std::string_view rest = value.substr(scheme_end + 3);
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::size_t at = authority.rfind('@');
  url.host = std::string(at == std::string_view::npos ? authority : authority.substr(at + 1));
  if (at != std::string_view::npos) url.auth = std::string(authority.substr(0, at));
  if (url.host.empty() && url.scheme != "file") {
    return fail(ErrorCode::kInvalidArgument,
                "channel '" + std::string(value) + "' is not a valid URL: missing host");
  }
  if (slash != std::string_view::npos) {
    for (std::string_view segment : base::split(rest.substr(slash), '/')) {
      if (!segment.empty()) url.segments.emplace_back(segment);
    }
  }
  return url;
}

bool is_path(std::string_view value) {
  const bool drive = value.size() >= 3 && std::isalpha(static_cast<unsigned char>(value[0])) &&
                     value[1] == ':' && (value[2] == '\\' || value[2] == '/');
  return drive || value.starts_with('/') || value.starts_with("./") || value.starts_with("../") ||
         value == "." || value == ".." || value.starts_with('~');
}

Result<std::string> path_to_url(std::string_view value, const ChannelContext& context) {
  std::string path = base::replace_all(value, "\\", "/");
  const auto missing = [&](std::string_view what) {
    return fail(ErrorCode::kInvalidArgument,
                "channel '" + std::string(value) + "' is a " + std::string(what));
  };
  if (path.starts_with('~')) {
    if (context.home_directory.empty())
      return missing("home-relative path: no home directory known");
    path = context.home_directory + path.substr(1);
  } else if (!path.starts_with('/') && !(path.size() > 1 && path[1] == ':')) {
    if (context.working_directory.empty()) {
      return missing("relative path: no working directory to resolve it against");
    }
    path = context.working_directory + "/" + path;
  }
  std::string normal = std::filesystem::path(path).lexically_normal().generic_string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return "file://" + std::string(normal.starts_with('/') ? "" : "/") + normal;
}

// Pulls "/t/<token>", a package file name and a known subdir out of the path segments.
void take_token_file_platform(std::vector<std::string>& segments, Channel& channel) {
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i] == "t") {
      channel.token = segments[i + 1];
      segments.erase(segments.begin() + static_cast<std::ptrdiff_t>(i),
                     segments.begin() + static_cast<std::ptrdiff_t>(i + 2));
      break;
    }
  }
  if (!segments.empty() && (base::ends_with(segments.back(), ".conda") ||
                            base::ends_with(segments.back(), ".tar.bz2"))) {
    channel.package_filename = segments.back();
    segments.pop_back();
  }
  if (!segments.empty() && is_known_subdir(segments.back())) {
    channel.platform = segments.back();
    segments.pop_back();
  }
}

// Finds where `full` ("host/path/name", no scheme) lives: a default channel, a custom
// channel, the alias, or else its own parent.
Placement place(std::string_view scheme, const std::string& full, const ChannelContext& context) {
  for (const std::string& member : context.default_channels) {
    const std::string member_full = without_scheme(member);
    if (full == member_full) {
      const std::size_t slash = member_full.find('/');
      return {member_full.substr(0, slash),
              slash == std::string::npos ? "" : member_full.substr(slash + 1), "defaults"};
    }
  }
  for (const auto& [name, url] : context.custom_channels) {
    const std::string location = without_scheme(url);
    const std::string prefix = join_path(location, name);
    if (full == prefix || full.starts_with(prefix + "/")) {
      const std::string channel_name = full.substr(location.size() + 1);
      return {location, channel_name, channel_name};
    }
  }
  const std::string alias = without_scheme(context.channel_alias);
  if (full.starts_with(alias + "/")) {
    const std::string name = full.substr(alias.size() + 1);
    return {alias, name, name};
  }
  const std::size_t slash = full.rfind('/');
  Placement placement;
  placement.location = slash == std::string::npos ? "" : full.substr(0, slash);
  placement.name = slash == std::string::npos ? full : full.substr(slash + 1);
  if (placement.location.empty() && scheme == "file") placement.location = "/";
  placement.canonical_name =
      std::string(scheme) + "://" + join_path(placement.location, placement.name);
  return placement;
}

Result<Channel> parse_url_channel(std::string_view value, const ChannelContext& context) {
  GRAFT_ASSIGN_OR_RETURN(Url url, split_url(value));
  Channel channel;
  channel.scheme = url.scheme;
  channel.auth = url.auth;
  take_token_file_platform(url.segments, channel);
  std::string full = url.host;
  for (const std::string& segment : url.segments) full += "/" + segment;
  Placement placement = place(channel.scheme, full, context);
  channel.location = std::move(placement.location);
  channel.name = std::move(placement.name);
  channel.canonical_name = std::move(placement.canonical_name);
  channel.base_urls = {channel.scheme + "://" + join_path(channel.location, channel.name)};
  return channel;
}

// A bare name: under a custom channel, a default channel ("pkgs/main") or the alias.
Result<Channel> parse_name_channel(std::string_view value, const ChannelContext& context) {
  std::vector<std::string> segments;
  for (std::string_view segment : base::split(value, '/')) {
    if (!segment.empty()) segments.emplace_back(segment);
  }
  Channel channel;
  take_token_file_platform(segments, channel);
  const std::string name = base::join(segments, "/");
  std::string root = context.channel_alias;
  for (const std::string& member : context.default_channels) {
    const std::string member_full = without_scheme(member);
    const std::size_t slash = member_full.find('/');
    if (slash != std::string::npos && member_full.substr(slash + 1) == name) {
      root = member.substr(0, member.size() - name.size() - 1);
    }
  }
  const auto custom = context.custom_channels.find(segments.empty() ? "" : segments.front());
  if (custom != context.custom_channels.end()) root = custom->second;
  while (root.ends_with('/')) root.pop_back();
  std::string url = root + "/" + name;
  if (!channel.platform.empty()) url += "/" + channel.platform;
  GRAFT_ASSIGN_OR_RETURN(Channel parsed, parse_url_channel(url, context));
  parsed.token = channel.token.empty() ? parsed.token : channel.token;
  return parsed;
}

std::string with_credentials(const std::string& url, const Channel& channel) {
  if (channel.auth.empty() && channel.token.empty()) return url;
  const std::size_t host_start = url.find("://") + 3;
  std::string out = url.substr(0, host_start);
  if (!channel.auth.empty()) out += channel.auth + "@";
  const std::size_t host_end = std::min(url.find('/', host_start), url.size());
  out += url.substr(host_start, host_end - host_start);
  if (!channel.token.empty()) out += "/t/" + channel.token;
  return out + url.substr(host_end);
}

}  // namespace

std::vector<std::string> Channel::subdir_urls(std::string_view subdir,
                                              Credentials credentials) const {
  std::vector<std::string> urls;
  for (const std::string& url : base_urls) {
    const std::string full = url + "/" + std::string(subdir);
    urls.push_back(credentials == Credentials::kWith ? with_credentials(full, *this) : full);
  }
  return urls;
}

Result<Channel> parse_channel(std::string_view value, const ChannelContext& context) {
  const std::string_view trimmed = base::trim(value);
  if (trimmed.empty()) return fail(ErrorCode::kInvalidArgument, "channel '' is empty");
  if (trimmed == "defaults") {
    Channel channel{.name = "defaults", .canonical_name = "defaults"};
    for (const std::string& member : context.default_channels) {
      GRAFT_ASSIGN_OR_RETURN(Channel parsed, parse_url_channel(member, context));
      channel.base_urls.push_back(parsed.base_url());
    }
    return channel;
  }
  if (is_path(trimmed)) {
    GRAFT_ASSIGN_OR_RETURN(std::string url, path_to_url(trimmed, context));
    return parse_url_channel(url, context);
  }
  if (trimmed.find("://") != std::string_view::npos) return parse_url_channel(trimmed, context);
  return parse_name_channel(trimmed, context);
}

std::vector<std::string> repodata_urls(const Channel& channel, std::string_view platform,
                                       Credentials credentials) {
  std::vector<std::string_view> subdirs;
  const std::string_view first = channel.platform.empty() ? platform : channel.platform;
  if (first != "noarch") subdirs.push_back(first);
  subdirs.push_back("noarch");
  std::vector<std::string> urls;
  for (std::size_t i = 0; i < channel.base_urls.size(); ++i) {
    for (std::string_view subdir : subdirs) {
      urls.push_back(channel.subdir_urls(subdir, credentials)[i] + "/repodata.json");
    }
  }
  return urls;
}

const std::vector<std::string_view>& known_subdirs() {
  static const std::vector<std::string_view> subdirs = {"noarch",        "emscripten-wasm32",
                                                        "wasi-wasm32",   "freebsd-64",
                                                        "linux-32",      "linux-64",
                                                        "linux-aarch64", "linux-armv6l",
                                                        "linux-armv7l",  "linux-ppc64",
                                                        "linux-ppc64le", "linux-riscv64",
                                                        "linux-s390x",   "osx-64",
                                                        "osx-arm64",     "win-32",
                                                        "win-64",        "win-arm64",
                                                        "zos-z"};
  return subdirs;
}

bool is_known_subdir(std::string_view subdir) {
  const auto& subdirs = known_subdirs();
  return std::find(subdirs.begin(), subdirs.end(), subdir) != subdirs.end();
}

std::string_view compiled_platform() {
#if defined(__EMSCRIPTEN__)
  return "emscripten-wasm32";
#elif defined(_WIN32) && (defined(_M_ARM64) || defined(__aarch64__))
  return "win-arm64";
#elif defined(_WIN64)
  return "win-64";
#elif defined(_WIN32)
  return "win-32";
#elif defined(__APPLE__) && (defined(__arm64__) || defined(__aarch64__))
  return "osx-arm64";
#elif defined(__APPLE__)
  return "osx-64";
#elif defined(__FreeBSD__)
  return "freebsd-64";
#elif defined(__linux__) && defined(__x86_64__)
  return "linux-64";
#elif defined(__linux__) && defined(__aarch64__)
  return "linux-aarch64";
#elif defined(__linux__) && defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "linux-ppc64le";
#elif defined(__linux__) && defined(__powerpc64__)
  return "linux-ppc64";
#elif defined(__linux__) && defined(__s390x__)
  return "linux-s390x";
#elif defined(__linux__) && defined(__riscv) && __riscv_xlen == 64
  return "linux-riscv64";
#elif defined(__linux__) && defined(__i386__)
  return "linux-32";
#elif defined(__linux__) && defined(__arm__) && defined(__ARM_ARCH_6__)
  return "linux-armv6l";
#elif defined(__linux__) && defined(__arm__)
  return "linux-armv7l";
#else
  return "noarch";
#endif
}

Result<std::string> running_platform(std::string_view conda_subdir) {
  if (conda_subdir.empty()) return std::string(compiled_platform());
  if (is_known_subdir(conda_subdir)) return std::string(conda_subdir);
  std::vector<std::string> candidates(known_subdirs().begin(), known_subdirs().end());
  Error error(ErrorCode::kInvalidArgument,
              "CONDA_SUBDIR '" + std::string(conda_subdir) + "' is not a known subdir");
  const std::string suggestion = base::closest_match(conda_subdir, candidates);
  error.with_hint(suggestion.empty() ? "known subdirs: " + base::join(candidates, ", ")
                                     : "did you mean '" + suggestion + "'?");
  return fail(std::move(error));
}

std::string strip_url_token(std::string_view url) {
  const std::size_t at = url.find("/t/");
  if (at == std::string_view::npos) return std::string(url);
  const std::size_t end = url.find('/', at + 3);
  if (end == std::string_view::npos) return std::string(url.substr(0, at));
  return std::string(url.substr(0, at)) + std::string(url.substr(end));
}

}  // namespace graft::conda
