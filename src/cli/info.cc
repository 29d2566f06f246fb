// `graft info [--json] [--base]`: what `conda info` shows, for graft: the active
// environment, the condarc files read, graft's version, the virtual packages, the root
// prefix, channel URLs, package caches, envs directories, platform and offline mode. The
// JSON uses conda's key names (root_prefix, pkgs_dirs, envs_dirs, channels, platform,
// virtual_pkgs, config_files, offline, active_prefix, ...) plus graft_version.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "cli/json_output.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "env/locations.h"
#include "solve/virtual_packages.h"

namespace graft::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct InfoFlags {
  std::string root_prefix;
  bool json = false;
  bool base = false;
  std::string version;  // "graft 0.1.0"
};


// conda's all_channel_urls: every channel's platform and noarch subdir URLs, in order,
// without repeats.
Result<std::vector<std::string>> channel_urls(const env::Settings& settings) {
  std::vector<std::string> urls;
  for (const std::string& value : settings.channels) {
    GRAFT_ASSIGN_OR_RETURN(conda::Channel channel,
                           conda::parse_channel(value, settings.channel_context));
    const std::string platform = channel.platform.empty() ? settings.platform : channel.platform;
    const auto platform_urls = channel.subdir_urls(platform);
    const auto noarch_urls = channel.subdir_urls("noarch");
    for (std::size_t i = 0; i < platform_urls.size(); ++i) {
      for (const std::string& url : {platform_urls[i], noarch_urls[i]}) {
        if (std::find(urls.begin(), urls.end(), url) == urls.end()) urls.push_back(url);
      }
    }
  }
  return urls;
}

// Whether graft may write the root prefix (or, before it exists, create it).
bool root_writable(const fs::path& root) {
  fs::path existing = root;
  std::error_code error;
  while (!fs::exists(existing, error) && existing.has_relative_path()) {
    existing = existing.parent_path();
  }
  return ::access(existing.c_str(), W_OK) == 0;
}

json paths(const std::vector<fs::path>& list) {
  json array = json::array();
  for (const fs::path& path : list) array.push_back(path.string());
  return array;
}

void add_active_fields(const env::Settings& settings, json& info) {
  const std::optional<fs::path> active = env::active_prefix(settings.environment);
  info["active_prefix"] = info["active_prefix_name"] = nullptr;
  if (!active) return;
  const std::string name = env::environment_name(settings.root_prefix, *active);
  info["active_prefix"] = active->string();
  info["active_prefix_name"] = name.empty() ? active->string() : name;
}

Result<json> gather_info(const env::Settings& settings, const std::string& version) {
  json info;
  add_active_fields(settings, info);
  GRAFT_ASSIGN_OR_RETURN(info["channels"], channel_urls(settings));
  info["config_files"] = paths(settings.condarc_files);
  auto registry = env::environments_registry(settings.environment);
  info["envs"] = paths(env::known_environments(settings.root_prefix,
                                               registry ? *registry : fs::path(), settings.envs_dirs));
  info["envs_dirs"] = paths(settings.envs_dirs);
  info["graft_version"] = version.substr(version.rfind(' ') + 1);
  info["offline"] = settings.network == store::NetworkMode::kOffline;
  info["pkgs_dirs"] = paths(settings.pkgs_dirs);
  info["platform"] = settings.platform;
  info["root_prefix"] = settings.root_prefix.string();
  info["root_writable"] = root_writable(settings.root_prefix);
  auto home = settings.environment.find("HOME");
  info["user_rc_path"] = home == settings.environment.end()
                             ? json(nullptr)
                             : json((fs::path(home->second) / ".condarc").string());
  info["virtual_pkgs"] = json::array();
  for (const auto& record :
       solve::virtual_packages(settings.platform, solve::probe_host(), settings.environment)) {
    info["virtual_pkgs"].push_back({record.name, record.version, record.build});
  }
  info["UID"] = ::geteuid();
  info["GID"] = ::getegid();
  return info;
}

std::string text(const json& value) {
  if (value.is_null()) return "None";
  if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
  return value.is_string() ? value.get<std::string>() : value.dump();
}

using Rows = std::vector<std::pair<std::string, std::vector<std::string>>>;

std::vector<std::string> texts(const json& list, bool offline_marks = false) {
  std::vector<std::string> values;
  for (const json& item : list) {
    std::string value = text(item);
    // conda marks the URLs it will not reach while offline.
    if (offline_marks && !base::starts_with(value, "file:")) value += "  (offline)";
    values.push_back(std::move(value));
  }
  return values;
}

// The rows of `conda info`, in its order, with graft's version in place of conda's.
Rows info_rows(const json& info) {
  Rows rows;
  rows.push_back({"active environment", {text(info["active_prefix_name"])}});
  if (!info["active_prefix"].is_null() && info["active_prefix_name"] != info["active_prefix"]) {
    rows.push_back({"active env location", {text(info["active_prefix"])}});
  }
  rows.push_back({"user config file", {text(info["user_rc_path"])}});
  rows.push_back({"populated config files", texts(info["config_files"])});
  rows.push_back({"graft version", {text(info["graft_version"])}});
  std::vector<std::string> virtual_packages;
  for (const json& package : info["virtual_pkgs"]) {
    virtual_packages.push_back(fmt::format("{}={}={}", text(package[0]), text(package[1]),
                                           text(package[2])));
  }
  rows.push_back({"virtual packages", virtual_packages});
  rows.push_back({"base environment", {text(info["root_prefix"]) +
                  (info["root_writable"].get<bool>() ? "  (writable)" : "  (read only)")}});
  rows.push_back({"channel URLs", texts(info["channels"], info["offline"].get<bool>())});
  rows.push_back({"package cache", texts(info["pkgs_dirs"])});
  rows.push_back({"envs directories", texts(info["envs_dirs"])});
  rows.push_back({"platform", {text(info["platform"])}});
  rows.push_back({"UID:GID", {fmt::format("{}:{}", text(info["UID"]), text(info["GID"]))}});
  rows.push_back({"offline mode", {text(info["offline"])}});
  return rows;
}

// conda's detail view: " <key right-aligned> : <value>", further values of a list one per
// line under the first, a blank line before and after.
std::string format_rows(const Rows& rows) {
  std::size_t width = 0;
  for (const auto& [key, values] : rows) width = std::max(width, key.size());
  std::string out = "\n";
  for (const auto& [key, values] : rows) {
    out += fmt::format(" {:>{}} : ", key, width);
    for (std::size_t i = 0; i < values.size(); ++i) {
      out += (i == 0 ? "" : "\n" + std::string(width + 4, ' ')) + values[i];
    }
    out += "\n";
  }
  return out + "\n";
}

int run_info(const InfoFlags& flags) {
  auto settings = env::load_settings(flags.root_prefix);
  if (!settings) return report_error(settings.error());
  std::string out;
  if (flags.base) {
    out = flags.json ? json_text(json{{"root_prefix", settings->root_prefix.string()}})
                     : settings->root_prefix.string() + "\n";
  } else {
    auto info = gather_info(*settings, flags.version);
    if (!info) return report_error(info.error());
    out = flags.json ? json_text(*info) : format_rows(info_rows(*info));
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

VerbRun setup_info(CLI::App& command) {
  auto flags = std::make_shared<InfoFlags>();
  add_root_prefix_flag(command, flags->root_prefix);
  command.add_flag("--json", flags->json, "print conda info's JSON keys");
  command.add_flag("--base", flags->base, "print only the root prefix");
  return [flags] {
    flags->version = graft_label();
    return run_info(*flags);
  };
}

}  // namespace

GRAFT_VERB({.name = "info", .help = "show graft's configuration and this machine's facts",
            .setup = setup_info});

}  // namespace graft::cli
