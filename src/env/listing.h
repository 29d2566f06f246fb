// `graft list` output in conda's shapes: the human table of `conda list` and the JSON list
// of `conda list --json` (keys sorted, 2-space indent). Pure formatting; thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "conda/prefix_record.h"

namespace graft::env {

// How conda names a record's channel (conda/models/channel.py), from record.channel with
// the subdir removed: base_url "https://conda.anaconda.org/conda-forge", name
// "conda-forge", canonical "conda-forge". For other URLs (file://, mirrors) the name is the
// last path component and the canonical name is the whole URL. Plain names ("conda-forge")
// resolve against conda.anaconda.org.
struct ChannelNames {
  std::string base_url;
  std::string name;
  std::string canonical;
};
[[nodiscard]] ChannelNames channel_names(const conda::PackageRecord& record);

// "# packages in environment at <prefix>:\n#\n", then conda 26's table: name, version and
// build left-aligned in fields of 25, 15 and 15 characters, two spaces between columns
// (the "# Name  Version  Build  Channel" header too), then "  [features]" when the record
// has some and "  <canonical channel>".
[[nodiscard]] std::string format_list_table(const std::filesystem::path& prefix,
                                            const std::vector<conda::PrefixRecord>& records);

// conda list --json: [{base_url, build_number, build_string, channel, dist_name, name,
// platform, version}], no trailing newline.
[[nodiscard]] std::string format_list_json(const std::vector<conda::PrefixRecord>& records);

}  // namespace graft::env
