// Helpers shared by match_spec.cc (matching, printing) and match_spec_parse.cc (parsing).
// Not part of the conda module's API.
#pragma once

#include <string>
#include <string_view>

namespace graft::conda::detail {

// A channel as conda's Channel model splits it: canonical name and trailing subdir.
//   "conda-forge/linux-64"                               -> {"conda-forge", "linux-64"}
//   "https://conda.anaconda.org/conda-forge/noarch"       -> {"conda-forge", "noarch"}
//   "https://repo.anaconda.com/pkgs/main"                 -> {"pkgs/main", ""}
//   "file:///srv/channel/linux-64"                        -> {"file:///srv/channel", "linux-64"}
struct ChannelParts {
  std::string name;
  std::string subdir;  // "" when the value does not end with a known subdir
};
[[nodiscard]] ChannelParts split_channel(std::string_view value);

// True for conda's known platform subdirs ("linux-64", "osx-arm64", "noarch", ...).
[[nodiscard]] bool is_known_subdir(std::string_view name);

// "%21" -> "!"; invalid escapes are kept as written.
[[nodiscard]] std::string percent_decode(std::string_view text);

}  // namespace graft::conda::detail
