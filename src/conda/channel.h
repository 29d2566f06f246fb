// Channels and platforms, resolved the way conda resolves them (conda/models/channel.py).
//
// A channel value is a name ("conda-forge", "conda-forge/label/dev", "pkgs/main"), a
// multichannel ("defaults"), a URL ("https://host/path[/linux-64][/pkg.conda]", with optional
// "user:pass@" and "/t/<token>/"), a file:// URL, or a local path (absolute, "./rel",
// "../rel", "~/x") which becomes a file:// URL. Names live under `channel_alias`
// (https://conda.anaconda.org by default) unless they are custom channels.
//
// Pure: no disk, no network, no environment variables (the caller passes CONDA_SUBDIR, the
// working directory and the home directory in). All functions are thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace graft::conda {

struct ChannelContext {
  // Where bare channel names live.
  std::string channel_alias = "https://conda.anaconda.org";
  // What "defaults" expands to, in priority order.
  std::vector<std::string> default_channels = {"https://repo.anaconda.com/pkgs/main",
                                               "https://repo.anaconda.com/pkgs/r"};
  // Channel name -> the URL it lives under, e.g. {"internal", "https://mirror.example/conda"}
  // makes "internal" https://mirror.example/conda/internal.
  std::map<std::string, std::string> custom_channels;
  std::string working_directory;  // resolves relative paths ("./chan"); "" rejects them
  std::string home_directory;     // resolves "~/chan"; "" rejects it
};

enum class Credentials { kWithout, kWith };

struct Channel {
  std::string scheme;            // "https", "http", "file"; "" for a multichannel
  std::string auth;              // "user:password" from the URL, "" when none
  std::string location;          // "conda.anaconda.org", "host:8080/prefix", "/srv" (file channels)
  std::string token;             // from "/t/<token>/", "" when none; never shown
  std::string name;              // "conda-forge", "conda-forge/label/dev", "pkgs/main", "defaults"
  std::string platform;          // the subdir named in the value ("linux-64"), "" when none
  std::string package_filename;  // "zlib-1.2.11-0.conda" when the value was a package URL
  // As conda prints it: "conda-forge", "defaults", or the URL for channels outside the
  // alias ("file:///srv/chan", "https://host/path/chan"). Never contains credentials.
  std::string canonical_name;
  // The channel URL(s), without credentials or subdir: one for a channel, the members for
  // a multichannel ("defaults").
  std::vector<std::string> base_urls;

  // The first (for a plain channel the only) base URL.
  [[nodiscard]] const std::string& base_url() const { return base_urls.front(); }
  // "<base_url>/<subdir>" for every base URL; with kWith, auth and "/t/<token>" included.
  [[nodiscard]] std::vector<std::string> subdir_urls(
      std::string_view subdir, Credentials credentials = Credentials::kWithout) const;

  friend bool operator==(const Channel&, const Channel&) = default;
};

// Parses a channel value. Errors (kInvalidArgument): "channel '' is empty",
// "channel './x' is a relative path: no working directory to resolve it against",
// "channel 'https://' is not a valid URL: missing host".
[[nodiscard]] Result<Channel> parse_channel(std::string_view value, const ChannelContext& context);

// The repodata.json URLs to fetch for `channel` on `platform`, in priority order:
// "<url>/<platform>/repodata.json" then "<url>/noarch/repodata.json" for every base URL. A
// channel that names its subdir fetches that subdir (and noarch).
[[nodiscard]] std::vector<std::string> repodata_urls(
    const Channel& channel, std::string_view platform,
    Credentials credentials = Credentials::kWithout);

// Every subdir conda knows, "noarch" first.
[[nodiscard]] const std::vector<std::string_view>& known_subdirs();
[[nodiscard]] bool is_known_subdir(std::string_view subdir);

// The platform graft was compiled for ("linux-64", "osx-arm64", "win-64", ...).
[[nodiscard]] std::string_view compiled_platform();

// The platform to install for: `conda_subdir` (the CONDA_SUBDIR variable's value) when set,
// else compiled_platform(). Errors (kInvalidArgument): "CONDA_SUBDIR 'linux-65' is not a
// known subdir" with a "did you mean" hint.
[[nodiscard]] Result<std::string> running_platform(std::string_view conda_subdir);

// Removes a "/t/<token>" segment from a URL ("https://h/t/abc/c" -> "https://h/c").
[[nodiscard]] std::string strip_url_token(std::string_view url);

}  // namespace graft::conda
