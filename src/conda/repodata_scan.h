// Internal to the conda module: the two readers behind parse_repodata (repodata.h).
//
// scan_repodata is the fast one: it walks simdjson's stage 1 structural index (run-time
// selected kernel, as the DOM parser uses) and builds the records straight from the input
// bytes, without building a DOM. It reads the common shapes itself (strings without escapes,
// non-negative integers, lists of such strings); any other value (escapes, null, negative or
// decimal numbers, nested objects) is parsed alone with simdjson's DOM parser and read by the
// same read_record_field the DOM reader uses, so both readers give the same records. It
// gives up (returns false) on anything it does not expect (invalid JSON, escaped keys, a
// duplicated top-level section, "packages.conda" before "packages", a wrong type): the
// caller then runs parse_repodata_dom, which reads or words the error.
//
// Both fill `out` with what the file says: subdir, base_url and repodata_version as written,
// records in order ("packages" then "packages.conda") with `fn` set from their key, `removed`.
// scan_repodata also applies record_defaults to each record as it is read (for the DOM
// reader the caller does). Neither drops .tar.bz2 twins nor clears a version 1 base_url.
//
// Thread-safe: each thread reuses its own parsers.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "conda/repodata.h"

namespace graft::conda::detail {

// What a file implies for each of its records: the package URL prefix (info.base_url for
// repodata_version 2, resolved against the subdir URL; with its trailing '/'), the channel
// written to every record, and info.subdir for records without one.
struct RecordDefaults {
  std::string url_prefix;
  std::string channel;
  std::string subdir;

  friend bool operator==(const RecordDefaults&, const RecordDefaults&) = default;
};
[[nodiscard]] RecordDefaults record_defaults(const RepodataSource& source,
                                             const Repodata& repodata);
// Sets url (prefix + fn), channel and an absent subdir, then finish_record().
void apply_record_defaults(const RecordDefaults& defaults, PackageRecord& record);

// False when the input needs the DOM reader; `out` is then unspecified.
[[nodiscard]] bool scan_repodata(std::string_view json, const RepodataSource& source,
                                 std::string_view display, Repodata& out);

// The DOM reader. Errors: as parse_repodata documents them.
[[nodiscard]] Status parse_repodata_dom(std::string_view json, std::string_view display,
                                        Repodata& out);

}  // namespace graft::conda::detail
