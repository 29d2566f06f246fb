// The package lists `create --file` and `install --file` read, as conda reads them
// (conda/misc.py explicit(), conda/cli/common.py specs_from_url):
//
//   - an @EXPLICIT file: header comments, the line "@EXPLICIT", then one package a line,
//     a URL (or a local path) ending in "<name>-<version>-<build>.conda" or ".tar.bz2",
//     optionally with a "#<md5>", "#<sha256>" or "#sha256:<sha256>" fragment. Installed
//     exactly as listed, without a solve.
//   - a spec list: one MatchSpec a line ("numpy>=1.26", "zlib==1.2.11=h7b6447c_3"); blank
//     lines and '#' comments (whole-line or after a space) are skipped. Solved like specs
//     given on the command line.
//
// Pure (no disk, no network): the caller reads the file. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "conda/record.h"

namespace graft::env {

enum class PackageListKind { kExplicit, kSpecs };

struct PackageList {
  PackageListKind kind = PackageListKind::kSpecs;
  // kExplicit: one sparse record per package line, in file order (see record_from_url).
  std::vector<conda::PackageRecord> packages;
  // kSpecs: the spec strings, comments removed, in file order.
  std::vector<std::string> specs;
};

// Parses a package list. `source` names the file in errors; `working_directory` resolves
// relative local paths of an @EXPLICIT file. Errors (kInvalidArgument, with the line):
//   "<source>:<line>: 'x' is not a package URL: expected .../<name>-<version>-<build>.conda
//    or .tar.bz2, optionally followed by #<md5> or #sha256:<hash>"
//   "<source>:<line>: '<fragment>' is not an md5 or sha256 checksum"
//   "<source>:<line>: 'spec' is not a valid package spec: <why>" (spec lists)
[[nodiscard]] Result<PackageList> parse_package_list(std::string_view text, std::string_view source,
                                                     std::string_view working_directory);

// The sparse record of one package URL (no fragment): name, version and build from the
// file name, fn, url, channel (the URL's directory, as conda records it:
// "https://conda.anaconda.org/conda-forge/linux-64") and subdir (that directory's last
// part when it is a known subdir). Fetching completes it from the package's
// info/index.json. Error: kInvalidArgument "'x' is not a package URL: ..." as above
// (without the location).
[[nodiscard]] Result<conda::PackageRecord> record_from_url(std::string_view url);

// conda's requested spec for an explicitly listed package:
// "<channel>::<name>==<version>=<build>".
[[nodiscard]] std::string explicit_spec(const conda::PackageRecord& record);

}  // namespace graft::env
