#include "env/revisions.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "conda/channel.h"
#include "conda/match_spec.h"

namespace graft::env {
namespace {

constexpr std::string_view kUnknownChannel = "<unknown>";

// What same_package compares: the channel reduced to conda's canonical name and subdir.
struct PackageKey {
  std::string channel;  // "" when unknown
  std::string subdir;   // "" when not said
  std::string name, version, build;
};

PackageKey key_of(const HistoryDist& dist) {
  PackageKey key{.name = dist.name, .version = dist.version, .build = dist.build};
  if (dist.channel == kUnknownChannel || dist.channel.empty()) return key;
  auto channel = conda::parse_channel(dist.channel, conda::ChannelContext{});
  if (!channel) {
    key.channel = dist.channel;
    return key;
  }
  key.channel = channel->canonical_name;
  key.subdir = channel->platform;
  return key;
}

bool agree(const std::string& a, const std::string& b) {
  return a.empty() || b.empty() || a == b;
}

bool same_key(const PackageKey& a, const PackageKey& b) {
  return a.name == b.name && a.version == b.version && a.build == b.build &&
         agree(a.channel, b.channel) && agree(a.subdir, b.subdir);
}

std::optional<PackageKey> key_of(std::string_view text) {
  auto dist = parse_history_dist(text);
  if (!dist) return std::nullopt;
  return key_of(*dist);
}

PackageKey key_of(const conda::PackageRecord& record) {
  auto key = key_of(history_dist(record));
  return key ? *key
             : PackageKey{.name = record.name, .version = record.version, .build = record.build};
}

using State = std::map<std::string, std::optional<PackageKey>>;  // dist text -> its key

void remove_from(State& state, const std::string& text) {
  if (state.erase(text) > 0) return;
  const std::optional<PackageKey> gone = key_of(text);
  if (!gone) return;
  std::erase_if(state,
                [&](const auto& item) { return item.second && same_key(*item.second, *gone); });
}

bool is_diff(const HistoryEntry& entry) {
  return !entry.added.empty() || !entry.removed.empty();
}

// A block's changes keyed by lower-case name, as conda's pretty_diff and object_log see them.
struct BlockChanges {
  std::map<std::string, HistoryDist> added, removed;
};

BlockChanges changes_of(const HistoryEntry& entry) {
  BlockChanges changes;
  const std::pair<const std::vector<std::string>*, std::map<std::string, HistoryDist>*> sides[] = {
      {&entry.added, &changes.added}, {&entry.removed, &changes.removed}};
  for (const auto& [lines, into] : sides) {
    std::vector<std::string> sorted_lines = *lines;
    std::sort(sorted_lines.begin(), sorted_lines.end());
    for (const std::string& line : sorted_lines) {
      auto dist = parse_history_dist(line);
      if (dist) (*into)[base::to_lower(dist->name)] = *dist;
    }
  }
  return changes;
}

std::string shown_version(const HistoryDist& dist) {
  return dist.channel == "defaults" ? dist.version : dist.version + " (" + dist.channel + ")";
}

std::string revision_lines(const HistoryEntry& entry) {
  std::string out;
  if (!is_diff(entry)) {
    std::set<std::string> listed(entry.listed.begin(), entry.listed.end());
    for (const std::string& line : listed) out += "    " + line + "\n";
    return out;
  }
  BlockChanges changes = changes_of(entry);
  std::string removed_lines, added_lines;
  for (const auto& [name, old] : changes.removed) {
    auto now = changes.added.find(name);
    if (now == changes.added.end()) {
      removed_lines += "    -" + name + "-" + shown_version(old) + "\n";
      continue;
    }
    out +=
        "     " + name + "  {" + shown_version(old) + " -> " + shown_version(now->second) + "}\n";
  }
  for (const auto& [name, dist] : changes.added) {
    if (changes.removed.count(name) > 0) continue;
    added_lines += "    +" + name + "-" + shown_version(dist) + "\n";
  }
  return out + removed_lines + added_lines;
}

// One revision as conda's History.object_log() builds it, keys in its order.
nlohmann::ordered_json revision_event(const HistoryEntry& entry, int number) {
  nlohmann::ordered_json event = {{"date", entry.timestamp},
                                  {"rev", number},
                                  {"install", nlohmann::ordered_json::array()},
                                  {"remove", nlohmann::ordered_json::array()},
                                  {"upgrade", nlohmann::ordered_json::array()},
                                  {"downgrade", nlohmann::ordered_json::array()}};
  if (!is_diff(entry)) {
    std::set<std::string> listed(entry.listed.begin(), entry.listed.end());
    for (const std::string& line : listed) event["install"].push_back(line);
    return event;
  }
  auto joined = [](const std::string& name, const HistoryDist& dist) {
    return name + "-" + dist.version + "-" + dist.build + "-" + dist.channel;
  };
  BlockChanges changes = changes_of(entry);
  for (const auto& [name, old] : changes.removed) {
    auto now = changes.added.find(name);
    if (now == changes.added.end()) {
      event["remove"].push_back(joined(name, old));
      continue;
    }
    const HistoryDist& next = now->second;
    const bool upgrade = std::tie(next.version, next.build, next.channel) >
                         std::tie(old.version, old.build, old.channel);
    event[upgrade ? "upgrade" : "downgrade"].push_back(
        {{"old", joined(name, old)}, {"new", joined(name, next)}});
  }
  for (const auto& [name, dist] : changes.added) {
    if (changes.removed.count(name) == 0) event["install"].push_back(joined(name, dist));
  }
  return event;
}

}  // namespace

Result<HistoryDist> parse_history_dist(std::string_view text) {
  HistoryDist dist{.text = std::string(text)};
  std::string_view rest = text;
  for (std::string_view extension : {".tar.bz2", ".conda"}) {
    if (base::ends_with(rest, extension)) rest.remove_suffix(extension.size());
  }
  const std::size_t separator = rest.find("::");
  dist.channel = separator == std::string_view::npos ? std::string(kUnknownChannel)
                                                     : std::string(rest.substr(0, separator));
  if (separator != std::string_view::npos) rest = rest.substr(separator + 2);
  const std::size_t build_dash = rest.rfind('-');
  const std::size_t version_dash = build_dash == std::string_view::npos || build_dash == 0
                                       ? std::string_view::npos
                                       : rest.rfind('-', build_dash - 1);
  if (version_dash == std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument,
                "'" + std::string(text) +
                    "' is not a package of the history: expected [channel::]name-version-build");
  }
  dist.name = std::string(rest.substr(0, version_dash));
  dist.version = std::string(rest.substr(version_dash + 1, build_dash - version_dash - 1));
  dist.build = std::string(rest.substr(build_dash + 1));
  return dist;
}

bool same_package(const HistoryDist& a, const HistoryDist& b) {
  return same_key(key_of(a), key_of(b));
}

bool same_package(const HistoryDist& dist, const conda::PackageRecord& record) {
  return same_key(key_of(dist), key_of(record));
}

std::vector<Revision> replay_history(const std::vector<HistoryEntry>& entries) {
  std::vector<Revision> revisions;
  State state;
  for (const HistoryEntry& entry : entries) {
    if (is_diff(entry)) {
      for (const std::string& text : entry.removed) remove_from(state, text);
      for (const std::string& text : entry.added) state.emplace(text, key_of(text));
    } else if (!entry.listed.empty()) {
      state.clear();
      for (const std::string& text : entry.listed) state.emplace(text, key_of(text));
    }
    Revision revision{.number = static_cast<int>(revisions.size()), .timestamp = entry.timestamp};
    for (const auto& item : state) revision.state.push_back(item.first);
    revisions.push_back(std::move(revision));
  }
  return revisions;
}

Result<Revision> find_revision(const std::vector<Revision>& revisions, int number) {
  if (number >= 0 && static_cast<std::size_t>(number) < revisions.size()) {
    return revisions[static_cast<std::size_t>(number)];
  }
  std::string known = revisions.empty() ? "the environment has no revisions"
                                        : "the environment has revisions 0 to " +
                                              std::to_string(revisions.size() - 1);
  return fail(Error(ErrorCode::kNotFound,
                    "revision " + std::to_string(number) + " does not exist: " + known)
                  .with_hint("'graft list --revisions' shows them"));
}

std::string format_revisions(const std::vector<HistoryEntry>& entries) {
  std::string out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    out += entries[i].timestamp + "  (rev " + std::to_string(i) + ")\n";
    out += revision_lines(entries[i]) + "\n";
  }
  return out;
}

std::string format_revisions_json(const std::vector<HistoryEntry>& entries) {
  nlohmann::ordered_json events = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    events.push_back(revision_event(entries[i], static_cast<int>(i)));
  }
  // No final newline: conda list's JSON output ends at the closing bracket.
  return events.dump(2, ' ', /*ensure_ascii=*/true,
                     nlohmann::ordered_json::error_handler_t::replace);
}

std::vector<std::string> requested_specs(const std::vector<HistoryEntry>& entries,
                                         const std::vector<conda::PrefixRecord>& installed) {
  std::vector<std::string> out;
  for (const conda::MatchSpec& spec : latest_requested_specs(entries, true)) {
    const bool present = std::any_of(installed.begin(), installed.end(),
                                     [&](const auto& record) { return record.name == spec.name(); });
    if (present) out.push_back(spec.to_string());
  }
  return out;
}

Result<RevertPlan> plan_revert(const Revision& target,
                               const std::vector<conda::PrefixRecord>& installed) {
  std::vector<HistoryDist> wanted;
  std::vector<PackageKey> wanted_keys;
  std::map<std::string, std::string> by_name;
  for (const std::string& text : target.state) {
    GRAFT_ASSIGN_OR_RETURN(HistoryDist dist, parse_history_dist(text));
    auto [other, fresh] = by_name.emplace(dist.name, text);
    if (!fresh) {
      return fail(ErrorCode::kCorrupt, "revision " + std::to_string(target.number) +
                                           " holds two packages named '" + dist.name + "': '" +
                                           other->second + "' and '" + text + "'");
    }
    wanted_keys.push_back(key_of(dist));
    wanted.push_back(std::move(dist));
  }
  std::vector<PackageKey> installed_keys;
  for (const auto& record : installed) installed_keys.push_back(key_of(record));
  RevertPlan plan;
  for (std::size_t i = 0; i < installed.size(); ++i) {
    const bool kept =
        std::any_of(wanted_keys.begin(), wanted_keys.end(),
                    [&](const PackageKey& key) { return same_key(key, installed_keys[i]); });
    if (!kept) plan.unlink.push_back(installed[i]);
  }
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    const bool present =
        std::any_of(installed_keys.begin(), installed_keys.end(),
                    [&](const PackageKey& key) { return same_key(key, wanted_keys[i]); });
    if (!present) plan.link.push_back(wanted[i]);
  }
  return plan;
}

}  // namespace graft::env
