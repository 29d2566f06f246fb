// Loading a request's channel records from repodata files, reading only the records the
// request can reach.
//
// Each file is mapped (conda/repodata_map.h: one pass, names and byte ranges, no records)
// or its map is read from the binary index cache (index_cache.h), then the dependency
// closure of the request decides which names' records are built: the names the request
// asks for (install, update, remove, pins), the installed and virtual packages and what
// they depend on, pip, and then every name a dependency of a loaded record names, until
// nothing new is reached. That is a superset of what the solver itself counts as reachable
// (Model: order.h's step 4 looks at dependencies' candidates, so they are loaded too), and
// a name outside it can never be installed, so the answer is the one a full load gives.
// When a spec of the request or a dependency names no exact package ("py*", "*"), every
// record is loaded, as the solver then considers every package. The names that were not
// loaded go to Request::other_names, for "did you mean" hints.
//
// Reads files (the repodata, the index caches) and writes index caches; otherwise pure.
// Thread-safe: shares nothing between calls.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "conda/repodata.h"
#include "solve/solver.h"

namespace graft::solve {

// A subdir served as CEP 16 shards (store/shards.h fetches them).
struct ShardSource {
  std::vector<std::string> names;  // every name of its shard index, sorted
  // A repodata.json document (conda/shards.h: shard_repodata) of the records of `names`
  // (names the index has). Called once per step of the closure, so that the shards of one
  // step are fetched together.
  std::function<Result<std::string>(std::span<const std::string> names)> fetch;
};

struct RepodataInput {
  // When set, the records come from these shards and `path` and `index_path` are unused.
  std::optional<ShardSource> shards;
  std::filesystem::path path;    // the repodata.json
  conda::RepodataSource source;  // as parse_repodata takes it
  std::size_t channel = 0;       // which Request::channels entry its records join
  // Where its binary index is cached (written when missing or unusable); empty: none.
  std::filesystem::path index_path;
  std::string etag;  // the server's ETag of the JSON, part of the cache key; "" when none
};

struct LoadStats {
  double map_ms = 0;               // mapping the files or reading their cached maps
  double read_ms = 0;              // building the reached records (both passes)
  std::size_t names = 0;           // names reached
  std::size_t records = 0;         // records loaded
  std::size_t from_cache = 0;      // files whose map came from the index cache
  std::vector<std::string> notes;  // why a cache was not used or not written, one per file
};

// Appends, for each input in order, the records of its file that `request` can reach to
// request.channels[input.channel].records (in file order, with add_pip_dependency
// applied), and sets request.other_names. Errors: kNotFound, kIo (a file), kCorrupt (a
// file cut short or malformed where a reached record lies).
// How far the load goes from the request's names.
enum class Reach {
  kDependencies,  // the whole dependency closure: what a solve needs
  kNamesOnly,     // only the names the request's specs give (`graft search`)
};

[[nodiscard]] Status load_reachable(std::span<const RepodataInput> inputs, Request& request,
                                    LoadStats* stats = nullptr, Reach reach = Reach::kDependencies);

// conda's add_pip_as_python_dependency as conda applies it while loading: python 2 and 3
// records get a "pip" dependency when they have none.
void add_pip_dependency(std::vector<conda::PackageRecord>& records);

}  // namespace graft::solve
