// A map of a repodata.json: where each record is and what it is called, without reading
// the records. One pass over the bytes (map_repodata) finds every entry of "packages" and
// "packages.conda" (the byte range from its key to the end of its object) and the value of
// its "name"; read_mapped_records() then builds only the records asked for, exactly as
// parse_repodata() builds them from the whole file. A solve that reaches a few hundred of
// conda-forge's names reads a few percent of its records this way (solve/lazy_load.h).
//
// What the pass checks: the document's shape (an object; sections of objects; strings
// closed; brackets balanced, so a file cut short is an error) and the names it reads. It
// does not check the JSON inside records it skips: a record that is malformed is reported
// by read_mapped_records() when it is read, and a record never read cannot matter.
//
// Pure and thread-safe: the caller supplies the bytes and keeps them alive.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "conda/repodata.h"

namespace graft::conda {

enum class Section : std::uint8_t { kPackages, kConda };  // "packages" (.tar.bz2), "packages.conda"

// One entry of a section: bytes [offset, offset + length) hold `"key": {...}`.
struct MappedRecord {
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
  std::uint32_t name = 0;  // index into RepodataMap::names
  Section section = Section::kPackages;

  friend bool operator==(const MappedRecord&, const MappedRecord&) = default;
};

struct RepodataMap {
  std::string info_json;           // the "info" value as written; "" when absent
  std::string version_json;        // the "repodata_version" value as written; "" when absent
  std::vector<std::string> names;  // every record name, sorted, distinct
  // Records grouped by name (in names' order), each group in file order: the records of
  // names[i] are records[first[i] .. first[i + 1]). first has names.size() + 1 entries.
  std::vector<MappedRecord> records;
  std::vector<std::uint32_t> first;

  // The records of `name` (empty when the file has none).
  [[nodiscard]] std::span<const MappedRecord> named(std::string_view name) const;

  friend bool operator==(const RepodataMap&, const RepodataMap&) = default;
};

struct MapOptions {
  // Called now and then with an offset below which the pass will not look again (a caller
  // that mapped the file may drop those pages from memory). May be empty.
  std::function<void(std::size_t offset)> release;
};

// Errors (kCorrupt), worded as parse_repodata's: "<display>:<line>:<column>: invalid JSON:
// ..." (a file cut short, unbalanced brackets), "<display>: expected a JSON object".
[[nodiscard]] Result<RepodataMap> map_repodata(std::string_view json, std::string_view display,
                                               const MapOptions& options = {});

// The records `selected` (pointers into map.records, any order) of `json`, the file `map`
// was made from: the same records, in the same relative order, with the same fields as
// parse_repodata(json, source) gives for them (with DuplicateArchives::kPreferConda, a
// .tar.bz2 is dropped when its .conda twin is selected too: select whole names). Errors:
// those of parse_repodata, for the records read.
[[nodiscard]] Result<Repodata> read_mapped_records(std::string_view json, const RepodataMap& map,
                                                   std::vector<const MappedRecord*> selected,
                                                   const RepodataSource& source);

}  // namespace graft::conda
