// `graft index CHANNEL_DIR`: write <subdir>/repodata.json for a local channel, like
// `conda index` (see conda/channel_index.h).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "cli/checked_flags.h"
#include "cli/json_output.h"
#include "cli/verb.h"
#include "conda/channel_index.h"
#include "conda/shards.h"

namespace graft::cli {
namespace {

struct IndexFlags {
  std::string channel_dir;
  unsigned threads = 0;
  bool json = false;
  bool shards = false;
};

// CEP 16: <subdir>/repodata_shards.msgpack.zst and <subdir>/shards/<sha256>.msgpack.zst
// beside the repodata.json just written.
Result<std::size_t> write_shards(const std::filesystem::path& subdir_dir) {
  GRAFT_ASSIGN_OR_RETURN(std::string json, base::read_file(subdir_dir / "repodata.json"));
  GRAFT_ASSIGN_OR_RETURN(conda::ShardedRepodata sharded, conda::make_shards(json));
  GRAFT_RETURN_IF_ERROR(base::make_directories(subdir_dir / "shards"));
  for (const auto& [hash, bytes] : sharded.shards) {
    const std::filesystem::path path = subdir_dir / "shards" / (hash + ".msgpack.zst");
    if (std::filesystem::exists(path)) continue;  // named by its content: already right
    GRAFT_RETURN_IF_ERROR(base::write_file_atomic(path, bytes, base::Durability::kNoFsync));
  }
  GRAFT_RETURN_IF_ERROR(
      base::write_file_atomic(subdir_dir / "repodata_shards.msgpack.zst", sharded.index));
  return sharded.shards.size();
}

void print_json(const conda::IndexReport& report) {
  nlohmann::json subdirs = nlohmann::json::array();
  for (const conda::SubdirSummary& subdir : report.subdirs) {
    subdirs.push_back({{"subdir", subdir.subdir},
                       {"packages", subdir.tar_bz2},
                       {"packages.conda", subdir.conda}});
  }
  nlohmann::json out = {{"subdirs", subdirs}, {"skipped", report.skipped}};
  std::fputs(json_text(out).c_str(), stdout);
}

int run_index(const IndexFlags& flags) {
  auto report = conda::index_channel({.channel_dir = flags.channel_dir, .threads = flags.threads});
  if (!report) return report_error(report.error());
  for (const std::string& skipped : report->skipped) {
    report_warning("skipped " + skipped);
  }
  if (flags.shards) {
    for (const conda::SubdirSummary& subdir : report->subdirs) {
      auto written = write_shards(std::filesystem::path(flags.channel_dir) / subdir.subdir);
      if (!written) return report_error(written.error());
    }
  }
  if (flags.json) {
    print_json(*report);
    return 0;
  }
  for (const conda::SubdirSummary& subdir : report->subdirs) {
    std::printf("%s: %zu .conda, %zu .tar.bz2\n", subdir.subdir.c_str(), subdir.conda,
                subdir.tar_bz2);
  }
  return 0;
}

VerbRun setup_index(CLI::App& command) {
  auto flags = std::make_shared<IndexFlags>();
  command.add_option("CHANNEL_DIR", flags->channel_dir, "local channel directory")->required();
  add_number_option(command, "--threads", flags->threads,
                    "packages read in parallel, 1 to 256 (default: one per CPU)",
                    NumberRange<unsigned>{1, 256});
  command.add_flag("--json", flags->json, "print the summary as JSON");
  command.add_flag("--shards", flags->shards,
                   "also write CEP 16 sharded repodata (repodata_shards.msgpack.zst, shards/)");
  return [flags] { return run_index(*flags); };
}

}  // namespace

GRAFT_VERB({.name = "index",
            .help = "write repodata.json for every subdir of a local channel",
            .setup = setup_index});

}  // namespace graft::cli
