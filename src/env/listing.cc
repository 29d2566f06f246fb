#include "env/listing.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace graft::env {
namespace {

constexpr std::string_view kChannelAlias = "https://conda.anaconda.org/";

// `text` left-aligned in a field of `width` (longer text is kept whole).
std::string padded(std::string_view text, std::size_t width) {
  std::string out(text);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

}  // namespace

ChannelNames channel_names(const conda::PackageRecord& record) {
  std::string url = record.channel;
  const std::string suffix = "/" + record.subdir;
  if (!record.subdir.empty() && base::ends_with(url, suffix)) url.resize(url.size() - suffix.size());
  while (!url.empty() && url.back() == '/') url.pop_back();
  ChannelNames names;
  if (url.find("://") == std::string::npos) {
    names.name = url;
    names.canonical = url;
    names.base_url = url.empty() ? "" : std::string(kChannelAlias) + url;
    return names;
  }
  names.base_url = url;
  for (std::string_view alias : {kChannelAlias, std::string_view("http://conda.anaconda.org/"),
                                 std::string_view("https://repo.anaconda.com/")}) {
    if (base::starts_with(url, alias)) {
      names.name = url.substr(alias.size());
      names.canonical = names.name;
      return names;
    }
  }
  names.name = url.substr(url.rfind('/') + 1);
  names.canonical = url;
  return names;
}

std::string format_list_table(const std::filesystem::path& prefix,
                              const std::vector<conda::PrefixRecord>& records) {
  std::string out = "# packages in environment at " + prefix.string() + ":\n#\n";
  out += padded("# Name", 25) + "  " + padded("Version", 15) + "  " + padded("Build", 15) +
         "  Channel\n";
  for (const conda::PrefixRecord& record : records) {
    std::string line = padded(record.name, 25) + "  " + padded(record.version, 15) + "  " +
                       padded(record.build, 15);
    if (!record.features.empty()) line += "  [" + record.features + "]";
    const std::string channel = channel_names(record).canonical;
    if (!channel.empty()) line += "  " + channel;
    out += line + "\n";
  }
  return out;
}

std::string format_list_json(const std::vector<conda::PrefixRecord>& records) {
  nlohmann::json list = nlohmann::json::array();
  for (const conda::PrefixRecord& record : records) {
    const ChannelNames names = channel_names(record);
    list.push_back({{"base_url", names.base_url},
                    {"build_number", record.build_number},
                    {"build_string", record.build},
                    {"channel", names.name},
                    {"dist_name", record.name + "-" + record.version + "-" + record.build},
                    {"name", record.name},
                    {"platform", record.subdir},
                    {"version", record.version}});
  }
  return list.dump(2, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace);
}

}  // namespace graft::env
