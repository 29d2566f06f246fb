// repodata.json: a channel subdir's package index.
//
// parse_repodata() turns the bytes of one repodata.json into PackageRecords: "packages"
// (.tar.bz2) then "packages.conda", each with `fn` set to its key, `url` resolved (against
// info.base_url for repodata_version 2, else the subdir URL), `channel` set from the
// source, and `subdir` from info.subdir when the entry has none. "removed" is kept; other
// top-level sections (signatures, v3 wheels) are ignored. Pure: the caller reads the file.
// Parsing runs simdjson's stage 1 (run-time CPU dispatch; On-Demand is fixed to the
// compile-time target, the portable fallback here) and builds the records straight from its
// structural index; unusual values and every error go through simdjson's DOM API, which
// gives the same records and words the errors (repodata_scan.h). About 1.7 ms of CPU for a
// 1.3 MB file of 2,000 records on one core, most of it allocating the records' strings.
//
// write_repodata() is the inverse used by `graft index`: conda-index's format (keys sorted
// at every level, Python json indent=2, trailing newline), without url/fn/channel.
//
// All functions are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "conda/record.h"

namespace graft::conda {

// What to do with a package published as both .tar.bz2 and .conda.
enum class DuplicateArchives {
  kPreferConda,  // keep only the .conda record (conda's default)
  kKeepBoth,     // keep both, as in the file
};

struct RepodataSource {
  // The subdir URL the file came from, without "/repodata.json", e.g.
  // "https://conda.anaconda.org/conda-forge/linux-64" or "file:///srv/chan/noarch". It may
  // carry a "/t/<token>" segment: package URLs keep it (they are for downloading).
  std::string subdir_url;
  // Written to every record's `channel`; empty: subdir_url without its token (what conda 26
  // records).
  std::string channel;
  // Names the input in errors (usually the file path); empty: subdir_url + "/repodata.json".
  std::string display_name;
  DuplicateArchives duplicates = DuplicateArchives::kPreferConda;
};

struct Repodata {
  std::string subdir;    // info.subdir, "" when absent
  std::string base_url;  // info.base_url as written (repodata_version 2), or ""
  std::int64_t repodata_version = 1;
  std::vector<PackageRecord> records;  // "packages" then "packages.conda", in file order
  std::vector<std::string> removed;    // file names listed under "removed"
};

// Errors (kCorrupt): "<display_name>:<line>:<column>: invalid JSON: ...", "<display_name>:
// not UTF-8 text: ...", "<display_name>: expected a JSON object", "<display_name>: package
// 'x-1-0.conda': field 'depends': expected a list of strings".
[[nodiscard]] Result<Repodata> parse_repodata(std::string_view json, const RepodataSource& source);

// Resolves a package URL: `base_url` ("" for none) taken relative to `subdir_url` (so
// "../linux-64" and absolute URLs both work), then `fn` appended.
[[nodiscard]] std::string resolve_package_url(std::string_view subdir_url,
                                              std::string_view base_url, std::string_view fn);

struct RepodataIndex {
  std::string subdir;
  std::vector<PackageRecord> records;  // split into packages/packages.conda by fn extension
  std::vector<std::string> removed;
  std::int64_t repodata_version = 1;
};

// Serializes like `conda index`: {"info": {"subdir"}, "packages", "packages.conda",
// "removed", "repodata_version"}, every object's keys sorted, records without fn, url and
// channel (they are implied by where the file lives).
[[nodiscard]] std::string write_repodata(const RepodataIndex& index);

}  // namespace graft::conda
