#include "env/channel_records.h"

#include <memory>

#include "base/fs.h"
#include "base/log.h"
#include "conda/repodata.h"
#include "conda/shards.h"
#include "solve/lazy_load.h"
#include "store/repodata_cache.h"
#include "store/shards.h"

namespace graft::env {

namespace {

// The subdirs the channels a command searches are read from, in priority order.
struct ChannelSources {
  std::vector<conda::Channel> channels;
  std::vector<store::SubdirSource> sources;
  std::vector<std::size_t> owner;  // sources[i] belongs to channels[owner[i]]
};

Result<ChannelSources> channel_sources(const Settings& settings,
                                       const std::vector<std::string>& channel_values) {
  ChannelSources out;
  for (const std::string& value : channel_values) {
    GRAFT_ASSIGN_OR_RETURN(conda::Channel channel,
                           conda::parse_channel(value, settings.channel_context));
    std::string subdir = channel.platform.empty() ? settings.platform : channel.platform;
    for (const std::string& base_url : channel.base_urls) {
      for (const std::string& each : {subdir, std::string("noarch")}) {
        out.sources.push_back(
            {.channel_url = base_url, .subdir = each, .channel_name = channel.canonical_name});
        out.owner.push_back(out.channels.size());
      }
    }
    out.channels.push_back(std::move(channel));
  }
  return out;
}

conda::RepodataSource source_of(const std::string& subdir_url) {
  return {.subdir_url = subdir_url, .display_name = subdir_url + "/repodata.json"};
}

// Shards of a sharded subdir as one repodata.json document (solve::ShardSource::fetch).
solve::ShardSource shard_source(const store::PackageCache& cache,
                                std::shared_ptr<const store::ShardedSubdir> subdir) {
  std::vector<std::string> names;
  for (const auto& entry : subdir->index.shards) names.push_back(entry.first);
  auto fetch = [&cache, subdir](std::span<const std::string> wanted) -> Result<std::string> {
    GRAFT_ASSIGN_OR_RETURN(std::vector<std::string> shards,
                           store::fetch_shards(cache, *subdir, wanted));
    conda::ShardRecords records;
    for (std::size_t i = 0; i < shards.size(); ++i) {
      if (shards[i].empty()) continue;
      GRAFT_RETURN_IF_ERROR(
          conda::add_shard(shards[i], subdir->subdir_url + "/shards (" + wanted[i] + ")", records));
    }
    return conda::shard_repodata(subdir->index, records);
  };
  return {.names = std::move(names), .fetch = std::move(fetch)};
}

}  // namespace

Result<std::vector<solve::ChannelRecords>> load_channel_records(
    const Settings& settings, const store::PackageCache& cache,
    const std::vector<std::string>& channel_values) {
  GRAFT_ASSIGN_OR_RETURN(ChannelSources sources, channel_sources(settings, channel_values));
  store::RepodataOptions options{.network = settings.network};
  GRAFT_ASSIGN_OR_RETURN(auto files, store::fetch_repodata(cache, sources.sources, options));
  std::vector<solve::ChannelRecords> grouped(sources.channels.size());
  for (std::size_t i = 0; i < grouped.size(); ++i)
    grouped[i].name = sources.channels[i].canonical_name;
  for (std::size_t i = 0; i < files.size(); ++i) {
    GRAFT_ASSIGN_OR_RETURN(std::string bytes, base::read_file(files[i].path));
    GRAFT_ASSIGN_OR_RETURN(conda::Repodata repodata,
                           conda::parse_repodata(bytes, source_of(files[i].url)));
    solve::add_pip_dependency(repodata.records);
    auto& records = grouped[sources.owner[i]].records;
    records.insert(records.end(), std::make_move_iterator(repodata.records.begin()),
                   std::make_move_iterator(repodata.records.end()));
  }
  return grouped;
}

Status load_reachable_records(const Settings& settings, const store::PackageCache& cache,
                              const std::vector<std::string>& channel_values,
                              solve::Request& request, solve::Reach reach) {
  GRAFT_ASSIGN_OR_RETURN(ChannelSources sources, channel_sources(settings, channel_values));
  request.channels.clear();
  for (const conda::Channel& channel : sources.channels) {
    request.channels.push_back({.name = channel.canonical_name});
  }
  store::RepodataOptions options{.network = settings.network};
  std::vector<std::optional<store::ShardedSubdir>> sharded(sources.sources.size());
  if (settings.network == store::NetworkMode::kOnline) {
    GRAFT_ASSIGN_OR_RETURN(sharded, store::fetch_shard_indexes(cache, sources.sources, options));
  }
  std::vector<store::SubdirSource> whole;  // subdirs without shards: repodata.json
  for (std::size_t i = 0; i < sharded.size(); ++i) {
    if (!sharded[i]) whole.push_back(sources.sources[i]);
  }
  GRAFT_ASSIGN_OR_RETURN(auto files, store::fetch_repodata(cache, whole, options));
  std::vector<solve::RepodataInput> inputs;
  for (std::size_t i = 0, file = 0; i < sharded.size(); ++i) {
    solve::RepodataInput& input = inputs.emplace_back();
    input.channel = sources.owner[i];
    if (sharded[i]) {
      input.source = source_of(sharded[i]->subdir_url);
      input.shards =
          shard_source(cache, std::make_shared<const store::ShardedSubdir>(std::move(*sharded[i])));
      continue;
    }
    input.path = files[file].path;
    input.source = source_of(files[file].url);
    input.index_path = std::filesystem::path(files[file].path).replace_extension(".graftmap");
    input.etag = files[file].etag;
    ++file;
  }
  solve::LoadStats stats;
  GRAFT_RETURN_IF_ERROR(solve::load_reachable(inputs, request, &stats, reach));
  for (const std::string& note : stats.notes) spdlog::debug("{}", note);
  return ok();
}

}  // namespace graft::env
