#include "cli/channel_data.h"

#include <algorithm>

#include "base/fs.h"
#include "base/log.h"
#include "conda/repodata.h"
#include "solve/lazy_load.h"
#include "store/repodata_cache.h"

namespace graft::cli {

namespace {

// The repodata files of the channels a command searches, fetched through the cache.
struct ChannelFiles {
  std::vector<conda::Channel> channels;
  std::vector<store::RepodataFile> files;
  std::vector<std::size_t> owner;  // files[i] belongs to channels[owner[i]]
};

Result<ChannelFiles> fetch_channel_files(const Settings& settings, const store::PackageCache& cache,
                                         const std::vector<std::string>& channel_values) {
  std::vector<conda::Channel> channels;
  std::vector<store::SubdirSource> sources;
  std::vector<std::size_t> owner;  // sources[i] belongs to channels[owner[i]]
  for (const std::string& value : channel_values) {
    GRAFT_ASSIGN_OR_RETURN(conda::Channel channel, conda::parse_channel(value, settings.channel_context));
    std::string subdir = channel.platform.empty() ? settings.platform : channel.platform;
    for (const std::string& base_url : channel.base_urls) {
      for (const std::string& each : {subdir, std::string("noarch")}) {
        sources.push_back({.channel_url = base_url, .subdir = each, .channel_name = channel.canonical_name});
        owner.push_back(channels.size());
      }
    }
    channels.push_back(std::move(channel));
  }
  store::RepodataOptions options{.network = settings.network};
  GRAFT_ASSIGN_OR_RETURN(auto files, store::fetch_repodata(cache, sources, options));
  return ChannelFiles{
      .channels = std::move(channels), .files = std::move(files), .owner = std::move(owner)};
}

conda::RepodataSource source_of(const store::RepodataFile& file) {
  return {.subdir_url = file.url, .display_name = file.url + "/repodata.json"};
}

}  // namespace

Result<std::vector<solve::ChannelRecords>> load_channel_records(
    const Settings& settings, const store::PackageCache& cache,
    const std::vector<std::string>& channel_values) {
  GRAFT_ASSIGN_OR_RETURN(ChannelFiles fetched,
                         fetch_channel_files(settings, cache, channel_values));
  const auto& [channels, files, owner] = fetched;
  std::vector<solve::ChannelRecords> grouped(channels.size());
  for (std::size_t i = 0; i < channels.size(); ++i) grouped[i].name = channels[i].canonical_name;
  for (std::size_t i = 0; i < files.size(); ++i) {
    GRAFT_ASSIGN_OR_RETURN(std::string bytes, base::read_file(files[i].path));
    GRAFT_ASSIGN_OR_RETURN(conda::Repodata repodata,
                           conda::parse_repodata(bytes, source_of(files[i])));
    solve::add_pip_dependency(repodata.records);
    auto& records = grouped[owner[i]].records;
    records.insert(records.end(), std::make_move_iterator(repodata.records.begin()),
                   std::make_move_iterator(repodata.records.end()));
  }
  return grouped;
}

Status load_reachable_records(const Settings& settings, const store::PackageCache& cache,
                              const std::vector<std::string>& channel_values,
                              solve::Request& request) {
  GRAFT_ASSIGN_OR_RETURN(ChannelFiles fetched,
                         fetch_channel_files(settings, cache, channel_values));
  request.channels.clear();
  for (const conda::Channel& channel : fetched.channels)
    request.channels.push_back({.name = channel.canonical_name});
  std::vector<solve::RepodataInput> inputs;
  for (std::size_t i = 0; i < fetched.files.size(); ++i) {
    const store::RepodataFile& file = fetched.files[i];
    std::filesystem::path index = file.path;
    index.replace_extension(".graftmap");
    inputs.push_back({.path = file.path,
                      .source = source_of(file),
                      .channel = fetched.owner[i],
                      .index_path = index});
  }
  solve::LoadStats stats;
  GRAFT_RETURN_IF_ERROR(solve::load_reachable(inputs, request, &stats));
  for (const std::string& note : stats.notes) spdlog::debug("{}", note);
  return ok();
}

}  // namespace graft::cli
