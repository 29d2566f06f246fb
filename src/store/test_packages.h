// Real conda packages built for the store's tests with conda::write_archive (implemented
// in test_packages_test.cc, so it lives only in the test binary).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "conda/record.h"

namespace graft::store::testing {

struct PackageSpec {
  std::string name = "demo";
  std::string version = "1.0";
  std::string build = "0";
  std::string subdir = "linux-64";
  std::vector<std::string> depends;
  // Payload files, path -> content.
  std::map<std::string, std::string> files = {{"share/demo.txt", "demo\n"}};
  std::string extension = ".conda";  // or ".tar.bz2"
};

// Writes `<channel_dir>/<subdir>/<name>-<version>-<build><extension>` and returns its
// repodata record (name, version, build, subdir, depends, fn, md5, sha256, size,
// timestamp) with `url` = url_base + "/<subdir>/<fn>" and `channel` = url_base + "/<subdir>".
// Aborts the test (ADD_FAILURE) and returns an empty record on failure.
[[nodiscard]] conda::PackageRecord build_package(const std::filesystem::path& channel_dir,
                                                 const std::string& url_base,
                                                 const PackageSpec& spec);

// Names directly under `dir`, sorted.
[[nodiscard]] std::vector<std::string> list_dir(const std::filesystem::path& dir);

}  // namespace graft::store::testing
