// Hand-made archives for the conda module's tests (implemented in test_archives_test.cc, so
// they live only in the test binary): tarballs and `.conda` files with exactly the members
// a test needs, hostile ones included, built in memory with libarchive.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "conda/archive_api.h"

namespace graft::conda::testing {

// One member of a hand-made archive.
struct Member {
  std::string path;
  unsigned type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR
  std::string data;          // file content, or symlink / hardlink target
  bool hardlink = false;
  // NUL bytes written after `data` (a regular file's size is data.size() + zeros): a
  // large member costs the test no memory and compresses to almost nothing.
  std::uint64_t zeros = 0;
};

// A tarball compressed with `filter` ("bzip2" or "zstd").
[[nodiscard]] std::string make_tarball(const std::vector<Member>& members,
                                       const std::string& filter);

// A `.conda` whose info tarball holds `info` and whose pkg tarball holds `members`.
[[nodiscard]] std::string make_conda(const std::vector<Member>& members,
                                     const std::vector<Member>& info = {
                                         {.path = "info/index.json", .data = "{}"}});

// An info/paths.json member declaring each file of `sizes` (path -> size_in_bytes).
[[nodiscard]] Member paths_json(const std::map<std::string, std::uint64_t>& sizes);

// Writes `bytes` to `path`, creating its parent directories.
void write_bytes(const std::filesystem::path& path, const std::string& bytes);

}  // namespace graft::conda::testing
