#include "env/channel_records.h"

#include <algorithm>

#include "base/fs.h"
#include "conda/repodata.h"
#include "store/repodata_cache.h"

namespace graft::env {

Result<std::vector<solve::ChannelRecords>> load_channel_records(
    const Settings& settings, const store::PackageCache& cache,
    const std::vector<std::string>& channel_values) {
  std::vector<conda::Channel> channels;
  std::vector<store::SubdirSource> sources;
  std::vector<std::size_t> owner;  // sources[i] belongs to channels[owner[i]]
  for (const std::string& value : channel_values) {
    GRAFT_ASSIGN_OR_RETURN(conda::Channel channel,
                           conda::parse_channel(value, settings.channel_context));
    std::string subdir = channel.platform.empty() ? settings.platform : channel.platform;
    for (const std::string& base_url : channel.base_urls) {
      for (const std::string& each : {subdir, std::string("noarch")}) {
        sources.push_back(
            {.channel_url = base_url, .subdir = each, .channel_name = channel.canonical_name});
        owner.push_back(channels.size());
      }
    }
    channels.push_back(std::move(channel));
  }
  store::RepodataOptions options{.network = settings.network};
  GRAFT_ASSIGN_OR_RETURN(auto files, store::fetch_repodata(cache, sources, options));
  std::vector<solve::ChannelRecords> grouped(channels.size());
  for (std::size_t i = 0; i < channels.size(); ++i) grouped[i].name = channels[i].canonical_name;
  for (std::size_t i = 0; i < files.size(); ++i) {
    GRAFT_ASSIGN_OR_RETURN(std::string bytes, base::read_file(files[i].path));
    GRAFT_ASSIGN_OR_RETURN(
        conda::Repodata repodata,
        conda::parse_repodata(
            bytes, {.subdir_url = files[i].url, .display_name = files[i].url + "/repodata.json"}));
    // conda's add_pip_as_python_dependency, applied as conda applies it while loading.
    for (conda::PackageRecord& record : repodata.records) {
      bool python = record.name == "python" &&
                    (record.version.rfind("2.", 0) == 0 || record.version.rfind("3.", 0) == 0);
      if (python &&
          std::find(record.depends.begin(), record.depends.end(), "pip") == record.depends.end()) {
        record.depends.push_back("pip");
      }
    }
    auto& records = grouped[owner[i]].records;
    records.insert(records.end(), std::make_move_iterator(repodata.records.begin()),
                   std::make_move_iterator(repodata.records.end()));
  }
  return grouped;
}

}  // namespace graft::env
