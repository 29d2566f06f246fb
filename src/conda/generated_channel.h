// A generator of conda-forge-shaped channels, for benchmarks (bench/scale_bench) and for
// tests that need many records (the lazy loader's equality test).
//
// The shape follows conda-forge's: names of a few syllables; per name several versions,
// per version one to three build numbers, and for python packages one build per python
// (py310, py311, py312, each requiring its `python >=3.1x,<3.1(x+1).0a0` and `python_abi
// 3.1x.* *_cp31x`); a platform subdir (linux-64) and a noarch one (noarch: python packages);
// the older half of a name's versions published both as .tar.bz2 ("packages") and .conda
// ("packages.conda"). Dependencies point at earlier names, drawn with a popularity skew
// (as on conda-forge, where a few hundred libraries are everyone's dependencies), each with
// a version range that the dependency's versions satisfy (`>=x.y`, `>=x.y,<z.0a0`,
// `x.y.*`). Files are written as conda-index writes them (keys sorted, indent 2).
//
// Deterministic: the same shape (seed included) gives the same bytes. Pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace graft::conda {

struct ChannelShape {
  std::uint64_t seed = 1;
  std::size_t platform_records = 600'000;  // keys in linux-64 (both sections together)
  std::size_t noarch_records = 150'000;    // keys in noarch
  std::string platform = "linux-64";
};

struct GeneratedChannel {
  std::string platform_json;  // <platform>/repodata.json
  std::string noarch_json;    // noarch/repodata.json
  // Every name, platform ones first, in the order they were made (dependencies point at
  // earlier names).
  std::vector<std::string> names;
  // A platform python package with the largest dependency closure among the last names
  // made: the "one package with a deep dependency tree" of the benchmarks.
  std::string deep_name;
  std::size_t deep_closure = 0;  // names in its dependency closure (itself included)
};

[[nodiscard]] GeneratedChannel generate_channel(const ChannelShape& shape);

}  // namespace graft::conda
