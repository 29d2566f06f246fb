// libFuzzer target for the CEP 16 shard reader (conda/shards.h).
// Invariants: no input crashes or hangs, read as a shard, as a shard index, or as their
// zstd-compressed files; a shard that reads gives repodata.json text that parse_repodata
// reads without crashing; an index that reads names 64-hex-digit hashes; and any
// repodata.json that parses, split by make_shards() and read back, gives the same records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/zstd.h"
#include "conda/repodata.h"
#include "conda/shards.h"

namespace {

using graft::conda::ShardIndex;
using graft::conda::ShardRecords;

const graft::conda::RepodataSource kSource{
    .subdir_url = "https://example.org/c/noarch",
    .duplicates = graft::conda::DuplicateArchives::kKeepBoth};

void check_msgpack(std::string_view bytes) {
  ShardRecords records;
  if (graft::conda::add_shard(bytes, "fuzz", records)) {
    (void)graft::conda::parse_repodata(graft::conda::shard_repodata({}, records), kSource);
  }
  if (auto index = graft::conda::read_shard_index(bytes, "fuzz")) {
    for (const auto& [name, hash] : index->shards) {
      if (hash.size() != 64) std::abort();
    }
  }
}

void check_round_trip(std::string_view input) {
  auto original = graft::conda::parse_repodata(input, kSource);
  if (!original) return;
  auto sharded = graft::conda::make_shards(input);
  if (!sharded) return;
  auto index_bytes = graft::base::zstd_decompress(sharded->index, "index");
  if (!index_bytes) std::abort();
  auto index = graft::conda::read_shard_index(*index_bytes, "index");
  if (!index || index->shards.size() != sharded->shards.size()) std::abort();
  ShardRecords records;
  for (const auto& [hash, bytes] : sharded->shards) {
    auto shard = graft::base::zstd_decompress(bytes, hash);
    if (!shard || !graft::conda::add_shard(*shard, hash, records)) std::abort();
  }
  index->subdir = original->subdir;
  auto again = graft::conda::parse_repodata(graft::conda::shard_repodata(*index, records), kSource);
  if (!again || again->records.size() != original->records.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_msgpack(input);
  if (auto decoded = graft::base::zstd_decompress(input, "fuzz", {.max_bytes = 1 << 20})) {
    check_msgpack(*decoded);
  }
  check_round_trip(input);
  return 0;
}
