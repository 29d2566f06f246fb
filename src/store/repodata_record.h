// Builds the info/repodata_record.json conda writes into an extracted package: the
// channel's record, completed from the package's own info/index.json, with the facts of
// the archive actually fetched. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "conda/record.h"

namespace graft::store {

// What is known about the archive that was extracted.
struct ArchiveFacts {
  std::string fn;      // its file name
  std::string url;     // where it came from (used when the record has no url)
  std::string sha256;  // digests and size of its bytes
  std::string md5;
  std::uint64_t size = 0;
};

// Like conda's PackageRecord.from_objects(record, index_json, url=..., channel=..., fn=...,
// md5=..., sha256=..., size=...): each field is the channel record's when set there, else
// index.json's (a list counts as set when non-empty, so a sparse record from an @EXPLICIT
// line gets its depends from the package); fn, md5, sha256 and size are the archive's;
// url is the record's, else the fetch URL; channel is the record's, else the URL without
// its file name. Extra fields of both are kept, the record's winning, except index.json's
// arch and platform for a channel's record (one with a size or timestamp): conda takes
// those from the repodata's info only.
[[nodiscard]] conda::PackageRecord make_repodata_record(const conda::PackageRecord& record,
                                                        const conda::PackageRecord& index,
                                                        const ArchiveFacts& facts);

}  // namespace graft::store
