// CEP 16 sharded repodata end to end: a generated channel served over loopback HTTP
// (python3's http.server on 127.0.0.1, port 0, logging each request), read by graft through
// its shard index and only the shards a request reaches; `graft index --shards`.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/zstd.h"
#include "conda/generated_channel.h"
#include "conda/shards.h"
#include "tests/e2e/e2e.h"

extern char** environ;

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;

// tools/serve_channel.py: a loopback HTTP server for a channel directory, logging requests.
const std::string kServe = std::string(GRAFT_SOURCE_DIR) + "/tools/serve_channel.py";

class ShardedTest : public ChannelTest {
 protected:
  void TearDown() override {
    if (server_ > 0) {
      ::kill(server_, SIGTERM);
      ::waitpid(server_, nullptr, 0);
    }
  }

  // Writes a generated channel (repodata.json and shards) to channel_; the number of shards.
  std::size_t generate(std::size_t platform_records, std::size_t noarch_records) {
    channel_data_ = conda::generate_channel(
        {.seed = 5, .platform_records = platform_records, .noarch_records = noarch_records});
    std::size_t shards = 0;
    for (const auto& [subdir, json] : {std::pair{"linux-64", &channel_data_.platform_json},
                                       std::pair{"noarch", &channel_data_.noarch_json}}) {
      write(channel_ / subdir / "repodata.json", *json);
      auto sharded = conda::make_shards(*json);
      EXPECT_TRUE(sharded.has_value());
      for (const auto& [hash, bytes] : sharded->shards) {
        write(channel_ / subdir / "shards" / (hash + ".msgpack.zst"), bytes);
      }
      write(channel_ / subdir / "repodata_shards.msgpack.zst", sharded->index);
      shards += sharded->shards.size();
    }
    return shards;
  }

  // Serves channel_ at the returned URL.
  std::string serve() {
    const std::string script = kServe;
    const std::string root = channel_.string();
    const std::string log = (dir_ / "requests.log").string();
    const std::string port_file = (dir_ / "port").string();
    std::vector<char*> argv;
    std::vector<std::string> words = {"python3", script, root, log, port_file};
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    EXPECT_EQ(::posix_spawnp(&server_, "python3", nullptr, nullptr, argv.data(), environ), 0);
    for (int i = 0; i < 200 && !fs::exists(port_file); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "http://127.0.0.1:" + read(port_file);
  }

  std::vector<std::string> requests() const {
    std::vector<std::string> lines;
    std::istringstream in(read(dir_ / "requests.log"));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  e2e::Run dry_create(const std::string& channel, const std::string& spec) const {
    return graft({"create", "--root-prefix", root_.string(), "-n", "t", "--dry-run", "--json",
                  "--override-channels", "-c", channel, spec, "-y"},
                 dir_, {"HOME=" + home_.string()});
  }

  static std::vector<std::string> linked(const e2e::Run& run) {
    std::vector<std::string> out;
    auto json = nlohmann::json::parse(run.out, nullptr, false);
    if (json.is_discarded()) return {"<not JSON: " + run.out + ">"};
    for (const auto& link : json["actions"]["LINK"])
      out.push_back(link["dist_name"].get<std::string>());
    return out;
  }

  // The shard file of `name` in `subdir`.
  fs::path shard_file(const std::string& subdir, const std::string& name) const {
    auto json = subdir == "noarch" ? channel_data_.noarch_json : channel_data_.platform_json;
    auto sharded = conda::make_shards(json);
    auto index = conda::read_shard_index(*base::zstd_decompress(sharded->index, "index"), "index");
    return channel_ / subdir / "shards" / (*index->shard_of(name) + ".msgpack.zst");
  }

  pid_t server_ = -1;
  conda::GeneratedChannel channel_data_;
};

TEST_F(ShardedTest, FetchesOnlyTheShardsARequestReachesAndAnswersAsTheJsonDoes) {
  const std::size_t shards = generate(8000, 1600);
  ASSERT_GT(shards, 300u);
  const std::string url = serve();
  const std::string spec = "python_abi";
  const e2e::Run sharded = dry_create(url, spec);
  ASSERT_EQ(sharded.exit_code, 0) << sharded.err;
  std::size_t fetched = 0;
  for (const std::string& path : requests()) {
    fetched += path.find("/shards/") != std::string::npos ? 1 : 0;
    EXPECT_EQ(path.find("/repodata.json"), std::string::npos) << path;  // never the whole file
  }
  EXPECT_GT(fetched, 0u);
  EXPECT_LT(fetched * 50, shards) << fetched << " of " << shards << " shards fetched";
  const e2e::Run from_json = dry_create(channel_.string(), spec);
  ASSERT_EQ(from_json.exit_code, 0) << from_json.err;
  EXPECT_EQ(linked(sharded), linked(from_json));
  EXPECT_FALSE(linked(sharded).empty());
  // A second run reads the shards from the cache: only the index is asked for again.
  const std::size_t before = requests().size();
  ASSERT_EQ(dry_create(url, spec).exit_code, 0);
  for (std::size_t i = before; i < requests().size(); ++i) {
    EXPECT_EQ(requests()[i].find("/shards/"), std::string::npos) << requests()[i];
  }
  // The deep package too.
  const e2e::Run deep = dry_create(url, channel_data_.deep_name);
  ASSERT_EQ(deep.exit_code, 0) << deep.err;
  EXPECT_EQ(linked(deep), linked(dry_create(channel_.string(), channel_data_.deep_name)));
}

TEST_F(ShardedTest, AShardThatDoesNotMatchItsHashOrIsMissingIsAClearError) {
  generate(2000, 400);
  const std::string url = serve();
  write(shard_file("linux-64", "python_abi"), "not the shard the index names");
  e2e::Run run = dry_create(url, "python_abi");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(
      run.err.find("shard of 'python_abi' from '" + url + "/linux-64' does not match its hash"),
      std::string::npos)
      << run.err;
  fs::remove(shard_file("linux-64", "python_abi"));
  run = dry_create(url, "python_abi");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(
      run.err.find("the shard index of '" + url +
                   "/linux-64' names a shard for 'python_abi' that the channel does not have"),
      std::string::npos)
      << run.err;
}

TEST_F(ShardedTest, IndexWritesShards) {
  add_noarch_package(channel_, "leaf", "1.0", {{"share/leaf.txt", "leaf\n"}});
  const e2e::Run index = graft({"index", "--shards", channel_.string()}, dir_);
  ASSERT_EQ(index.exit_code, 0) << index.err;
  ASSERT_TRUE(fs::exists(channel_ / "noarch" / "repodata_shards.msgpack.zst"));
  auto bytes =
      base::zstd_decompress(read(channel_ / "noarch" / "repodata_shards.msgpack.zst"), "i");
  ASSERT_TRUE(bytes.has_value());
  auto shard_index = conda::read_shard_index(*bytes, "i");
  ASSERT_TRUE(shard_index.has_value());
  ASSERT_NE(shard_index->shard_of("leaf"), nullptr);
  EXPECT_TRUE(fs::exists(channel_ / "noarch" / "shards" /
                         (*shard_index->shard_of("leaf") + ".msgpack.zst")));
  const std::string url = serve();
  const e2e::Run run = dry_create(url, "leaf");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(linked(run), std::vector<std::string>{"leaf-1.0-0"});
}

}  // namespace
}  // namespace graft::e2e
