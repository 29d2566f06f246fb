// graft search [-c CHANNEL]... [--override-channels] [--offline] [--json] [SPEC]
// Lists the packages of the channels that match SPEC (default: every package), newest
// last per name, as `conda search` does.
#include <algorithm>
#include <cstdio>
#include <memory>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "cli/json_output.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "conda/match_spec.h"
#include "conda/record.h"
#include "conda/version.h"
#include "env/channel_records.h"

namespace graft::cli {
namespace {

struct SearchFlags {
  env::ChannelChoice channels;
  std::string spec = "*";
  std::string root_prefix;
  bool json = false;
};

struct Found {
  const conda::PackageRecord* record;
  std::string channel;
};

// Sorts by name, then conda version order, then build number.
void sort_found(std::vector<Found>& found) {
  std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    if (a.record->name != b.record->name) return a.record->name < b.record->name;
    auto va = conda::Version::parse(a.record->version);
    auto vb = conda::Version::parse(b.record->version);
    if (va && vb && va->compare(*vb) != 0) return va->compare(*vb) < 0;
    return a.record->build_number < b.record->build_number;
  });
}

void print_table(const std::vector<Found>& found) {
  std::size_t name_width = 24;
  for (const Found& each : found) name_width = std::max(name_width, each.record->name.size());
  std::string out = fmt::format("# {:<{}} {:>15} {:>18}  {}\n", "Name", name_width - 2, "Version",
                                "Build", "Channel");
  for (const Found& each : found) {
    out += fmt::format("{:<{}} {:>15} {:>18}  {}\n", each.record->name, name_width,
                       each.record->version, each.record->build, each.channel);
  }
  std::fputs(out.c_str(), stdout);
}

void print_json(const std::vector<Found>& found) {
  // {"name": [record, ...], ...} like `conda search --json`.
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const Found& each : found) {
    out[each.record->name].push_back(
        nlohmann::ordered_json::parse(conda::write_package_record(*each.record)));
  }
  std::fputs(json_text(out).c_str(), stdout);
}

int run_search(const SearchFlags& flags) {
  auto spec = conda::MatchSpec::parse(flags.spec);
  if (!spec) return report_error(spec.error());
  auto settings = env::load_settings(flags.root_prefix);
  if (!settings) return report_error(settings.error());
  if (flags.channels.offline) settings->network = store::NetworkMode::kOffline;
  auto channels = env::effective_channels(*settings, flags.channels);
  if (!channels) return report_error(channels.error());
  auto cache = store::PackageCache::open(settings->pkgs_dirs);
  if (!cache) return report_error(cache.error());
  // A spec naming one package reads only that name's records; a pattern reads every record.
  solve::Request request;
  if (spec->has_exact_name()) {
    request.install.push_back(*spec);
    auto loaded = env::load_reachable_records(*settings, *cache, *channels, request,
                                              solve::Reach::kNamesOnly);
    if (!loaded) return report_error(loaded.error());
  } else {
    auto loaded = env::load_channel_records(*settings, *cache, *channels);
    if (!loaded) return report_error(loaded.error());
    request.channels = std::move(*loaded);
  }
  std::vector<Found> found;
  for (const solve::ChannelRecords& channel : request.channels) {
    for (const conda::PackageRecord& record : channel.records) {
      if (spec->matches(record)) found.push_back({&record, channel.name});
    }
  }
  sort_found(found);
  if (flags.json) {
    print_json(found);
    return 0;
  }
  if (found.empty()) {
    Error error(ErrorCode::kNotFound, fmt::format("no packages match '{}' in {}", flags.spec,
                                                  fmt::join(*channels, ", ")));
    return report_error(error.with_hint("check the spelling, or search every package with 'graft search -c CHANNEL'"));
  }
  print_table(found);
  return 0;
}

GRAFT_VERB({.name = "search",
            .help = "list the packages in channels that match a spec",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<SearchFlags>();
              add_channel_flags(command, flags->channels);
              command.add_option("spec", flags->spec, "a match spec, e.g. 'numpy>=1.20' (default: all)");
              command.add_flag("--json", flags->json, "print conda's JSON");
              add_root_prefix_flag(command, flags->root_prefix);
              return [flags] { return run_search(*flags); };
            }});

}  // namespace
}  // namespace graft::cli
