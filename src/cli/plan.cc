#include "cli/plan.h"

#include <cmath>
#include <map>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/json_output.h"
#include "conda/channel.h"
#include "conda/version.h"

namespace graft::cli {
namespace {

struct ChannelLabel {
  std::string base_url;   // "file:///srv/test-recipes"
  std::string name;       // "test-recipes"
  std::string subdir;     // "noarch"
};

ChannelLabel channel_label(const conda::PackageRecord& record) {
  ChannelLabel label{.subdir = record.subdir};
  auto channel = conda::parse_channel(record.channel.empty() ? record.url : record.channel, {});
  if (channel) {
    label.base_url = channel->base_urls.empty() ? channel->canonical_name : channel->base_url();
    label.name = channel->name.empty() ? channel->canonical_name : channel->name;
    if (!channel->platform.empty()) label.subdir = channel->platform;
  } else {
    label.base_url = label.name = record.channel;
  }
  return label;
}

// "test-recipes/noarch::dependent-1.0-0"
std::string qualified(const conda::PackageRecord& record) {
  ChannelLabel label = channel_label(record);
  return fmt::format("{}/{}::{}-{}-{}", label.name, label.subdir, record.name, record.version,
                     record.build);
}

std::string short_name(const std::string& name) {
  return name.size() > 18 ? name.substr(0, 17) + "~" : name;
}

void append_downloads(std::string& out, const std::vector<conda::PackageRecord>& fetch) {
  if (fetch.empty()) return;
  out += "\nThe following packages will be downloaded:\n\n";
  out += "    package                    |            build\n";
  out += "    ---------------------------|-----------------\n";
  std::uint64_t total = 0;
  for (const conda::PackageRecord& record : fetch) {
    out += fmt::format("    {:<27}|{:>17}{:>15}  {}\n", record.name + "-" + record.version,
                       record.build, conda_human_bytes(record.size), channel_label(record).base_url);
    total += record.size;
  }
  out += "    " + std::string(60, '-') + "\n";
  out += fmt::format("{}Total:{:>15}\n", std::string(43, ' '), conda_human_bytes(total));
}

// How conda labels a package whose record changes (conda/core/link.py's change report).
enum class ChangeKind { kUpdated, kRevised, kSuperseded, kDowngraded, kReinstalled };

ChangeKind change_kind(const conda::PackageRecord& old, const conda::PackageRecord& next) {
  if (channel_label(old).name != channel_label(next).name) return ChangeKind::kSuperseded;
  if (old.version == next.version && old.build == next.build) return ChangeKind::kReinstalled;
  auto old_version = conda::Version::parse(old.version);
  auto next_version = conda::Version::parse(next.version);
  int order = old_version && next_version ? next_version->compare(*old_version)
                                          : next.version.compare(old.version);
  if (order == 0 && old.build != next.build && old.build_number >= next.build_number) {
    return ChangeKind::kRevised;
  }
  if (order == 0) order = next.build_number > old.build_number ? 1 : -1;
  return order > 0 ? ChangeKind::kUpdated : ChangeKind::kDowngraded;
}

std::string change_line(const conda::PackageRecord& old, const conda::PackageRecord& next,
                        ChangeKind kind) {
  if (kind == ChangeKind::kReinstalled) {
    return fmt::format("  {:<18} {} \n", short_name(next.name), qualified(next));
  }
  if (kind == ChangeKind::kSuperseded) {
    return fmt::format("  {:<18} {} --> {} \n", short_name(next.name), qualified(old), qualified(next));
  }
  return fmt::format("  {:<18} {:>38} --> {} \n", short_name(next.name), old.version + "-" + old.build,
                     next.version + "-" + next.build);
}

// Pairs unlink/link records of one name into changes; the rest are installs or removals.
void append_changes(std::string& out, const solve::Transaction& transaction) {
  std::map<std::string, const conda::PackageRecord*> removed;
  for (const auto& record : transaction.unlink) removed[record.name] = &record;
  std::map<std::string, std::string> installed;
  std::map<std::string, std::string> changed[5];
  for (const auto& record : transaction.link) {
    auto old = removed.find(record.name);
    if (old == removed.end()) {
      installed[record.name] = fmt::format("  {:<18} {} \n", short_name(record.name), qualified(record));
      continue;
    }
    ChangeKind kind = change_kind(*old->second, record);
    changed[static_cast<int>(kind)][record.name] = change_line(*old->second, record, kind);
    removed.erase(old);
  }
  const auto section = [&out](const char* title, const std::map<std::string, std::string>& lines) {
    if (lines.empty()) return;
    out += std::string("\nThe following ") + title + ":\n\n";
    for (const auto& [name, line] : lines) out += line;
  };
  std::map<std::string, std::string> gone;
  for (const auto& [name, record] : removed) {
    gone[name] = fmt::format("  {:<18} {} \n", short_name(name), qualified(*record));
  }
  section("NEW packages will be INSTALLED", installed);
  section("packages will be REMOVED", gone);
  section("packages will be UPDATED", changed[static_cast<int>(ChangeKind::kUpdated)]);
  section("packages will be REVISED", changed[static_cast<int>(ChangeKind::kRevised)]);
  section("packages will be SUPERSEDED by a higher-priority channel",
          changed[static_cast<int>(ChangeKind::kSuperseded)]);
  section("packages will be DOWNGRADED", changed[static_cast<int>(ChangeKind::kDowngraded)]);
  section("packages will be REINSTALLED", changed[static_cast<int>(ChangeKind::kReinstalled)]);
}

nlohmann::ordered_json link_entry(const conda::PackageRecord& record) {
  ChannelLabel label = channel_label(record);
  return {{"base_url", label.base_url},        {"build_number", record.build_number},
          {"build_string", record.build},      {"channel", label.name},
          {"dist_name", record.name + "-" + record.version + "-" + record.build},
          {"name", record.name},               {"platform", label.subdir},
          {"version", record.version}};
}

}  // namespace

std::string conda_human_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double kilo = static_cast<double>(bytes) / 1024;
  if (kilo < 1024) return fmt::format("{} KB", static_cast<long long>(std::lround(kilo)));
  double mega = kilo / 1024;
  if (mega < 1024) return fmt::format("{:.1f} MB", mega);
  return fmt::format("{:.2f} GB", mega / 1024);
}

std::string format_plan(const env::Plan& plan) {
  std::string out = "\n## Package Plan ##\n\n";
  out += fmt::format("  environment location: {}\n\n", plan.prefix.string());
  if (!plan.removed_specs.empty()) {
    out += "  removed specs:\n";
    for (const auto& spec : plan.removed_specs) out += "    - " + spec + "\n";
    out += "\n";
  }
  if (!plan.added_specs.empty()) {
    out += "  added / updated specs:\n";
    for (const auto& spec : plan.added_specs) out += "    - " + spec + "\n";
    out += "\n";
  }
  append_downloads(out, plan.to_fetch);
  append_changes(out, *plan.transaction);
  out += "\n\n";
  return out;
}

std::string format_plan_json(const env::Plan& plan, bool dry_run) {
  nlohmann::ordered_json fetch = nlohmann::ordered_json::array();
  for (const auto& record : plan.to_fetch) {
    fetch.push_back(nlohmann::ordered_json::parse(conda::write_package_record(record)));
  }
  nlohmann::ordered_json link = nlohmann::ordered_json::array();
  for (const auto& record : plan.transaction->link) link.push_back(link_entry(record));
  nlohmann::ordered_json unlink = nlohmann::ordered_json::array();
  for (const auto& record : plan.transaction->unlink) unlink.push_back(link_entry(record));
  nlohmann::ordered_json actions;
  if (!fetch.empty()) actions["FETCH"] = fetch;
  actions["PREFIX"] = plan.prefix.string();
  if (!link.empty()) actions["LINK"] = link;
  if (!unlink.empty()) actions["UNLINK"] = unlink;
  nlohmann::ordered_json root = {{"success", true}, {"actions", actions},
                                 {"prefix", plan.prefix.string()}};
  if (dry_run) root["dry_run"] = true;
  return conda_json_text(root);
}

}  // namespace graft::cli
