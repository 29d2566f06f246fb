// Places packages' files in a prefix and builds their conda-meta records, as conda's
// LinkPathAction / PrefixReplaceLinkAction / CompileMultiPycAction /
// CreatePythonEntryPointAction do:
//
//  - plain files: hard link from the extracted package (reflink, then copy, when that
//    fails), or reflink/copy with LinkMode::kCopy;
//  - files with a prefix placeholder, and `no_link` files: copied; placeholders rewritten
//    for `final_prefix` (text or binary mode, see prefix_replace.h);
//  - softlinks recreated as symlinks with the same target;
//  - noarch: python: site-packages/ and python-scripts/ mapped (noarch.h), entry points
//    written to bin/, .pyc files recorded (compile_python_files() compiles them).
//
// The per-file work runs on a few threads; a file without a placeholder costs one link(2).
// Two packages of one call writing the same path: the later one wins and a clobber is
// reported. A path that already exists in the prefix is moved aside through the journal
// (or replaced when there is none) and reported too.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "conda/prefix_record.h"
#include "env/journal.h"
#include "env/noarch.h"
#include "env/package_info.h"

namespace graft::env {

enum class LinkMode {
  kHardLink,  // hard link, falling back to reflink/copy (conda's default)
  kCopy,      // never share inodes with the package cache (conda's always_copy)
};

struct LinkTarget {
  std::filesystem::path write_prefix;  // where files are written now (a staging dir or the prefix)
  std::filesystem::path final_prefix;  // the environment's path once in place: what placeholders,
                                       // shebangs and entry points refer to
  LinkMode mode = LinkMode::kHardLink;
  // The environment's python (needed when a noarch: python package is linked).
  std::optional<PythonTarget> python;
  unsigned threads = 0;  // 0: base::default_file_threads()
  // condarc allow_softlinks: files a hard link cannot reach (another filesystem) are
  // symlinked into the package cache, recorded as path_type "softlink".
  bool allow_softlinks = false;
};

struct PackageToLink {
  PackageInfo info;
  std::string requested_spec;  // the user's spec for it; "" when it came as a dependency
  // The package file in the cache for package_tarball_full_path; "" derives
  // <parent of info.directory>/<record.fn>.
  std::filesystem::path tarball;
};

struct Clobber {
  std::string path;    // relative to the prefix
  std::string loser;   // the package whose file was replaced; "" for an unowned file
  std::string winner;  // the package whose file is now there
};

struct LinkResult {
  std::vector<conda::PrefixRecord> records;  // one per package, in the order given
  std::vector<Clobber> clobbers;
  // .py files of noarch: python packages (relative), to pass to compile_python_files().
  std::vector<std::string> python_files;
};

// Links `packages` (in order) into target.write_prefix. With a journal every created path
// and every path moved aside is recorded there, so the caller can roll back; without one
// (a fresh staging directory) nothing is recorded. Errors: kInvalidArgument (noarch: python
// without a python), kConflict (a binary prefix too long), kNotFound (a manifest file missing
// from the package: "linking 'x-1-0': 'lib/a.so' is missing from the extracted package at
// '<pkgs>/x-1-0/lib/a.so'", with a hint), kIo; the message names the package and path.
[[nodiscard]] Result<LinkResult> link_packages(const std::vector<PackageToLink>& packages,
                                               const LinkTarget& target, Journal* journal);

enum class CompileOutcome {
  kNoPython,  // no bin/pythonX.Y in the prefix: the .pyc stay recorded but absent, as with conda
  kCompiled,
  kFailed,  // python exited non-zero
};

// Runs `<write_prefix>/bin/pythonX.Y -Wi -m compileall -q -l -i - [-j 0]` in write_prefix with
// the .py paths on stdin, as conda does. Errors: kIo when python can not be started.
[[nodiscard]] Result<CompileOutcome> compile_python_files(const std::filesystem::path& write_prefix,
                                                const std::vector<std::string>& python_files,
                                                const PythonTarget& python);

// "name-version-build", how messages name a package.
[[nodiscard]] std::string package_label(const conda::PackageRecord& record);

}  // namespace graft::env
