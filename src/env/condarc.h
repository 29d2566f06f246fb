// One condarc file (conda's YAML settings) read and checked: every key graft uses has the
// type conda gives it, and a value of the wrong type is an error naming the file, the line,
// the key and what is allowed. Keys graft does not use are ignored, as conda ignores keys
// it does not know; a key with no value is unset.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "solve/solver.h"

namespace graft::env {

struct Condarc {
  std::optional<std::vector<std::string>> channels;
  std::optional<std::vector<std::string>> default_channels;
  std::optional<std::vector<std::string>> pkgs_dirs;  // as written: ~ not expanded
  std::optional<std::vector<std::string>> envs_dirs;
  std::optional<std::string> channel_alias;            // a URL with a scheme
  std::map<std::string, std::string> custom_channels;  // name -> URL
  std::optional<solve::ChannelPriority> channel_priority;
  std::optional<bool> always_copy;
  std::optional<bool> allow_softlinks;
  std::optional<bool> offline;
};

// Parses a condarc's text; `source` (its path) names it in errors. An empty file is an
// empty Condarc. Errors: kInvalidArgument "<source>:<line>: <message>" with the source line
// and a caret, e.g. "~/.condarc:2: 'channels' must be a list of strings, got a number".
[[nodiscard]] Result<Condarc> parse_condarc(std::string_view text, std::string_view source);

// channel_priority's values: strict, flexible (also true) and disabled (also false).
// `where` names the setting in the error ("CONDA_CHANNEL_PRIORITY").
[[nodiscard]] Result<solve::ChannelPriority> parse_channel_priority(const std::string& value,
                                                                    const std::string& where);

}  // namespace graft::env
