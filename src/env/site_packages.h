// Python packages installed into an environment by pip (or any installer but conda): the
// `*.dist-info` directories of its site-packages, as conda's PrefixData.load_site_packages
// finds them for `conda list` and `conda env export`.
//
// Reads the prefix only; thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "conda/prefix_record.h"

namespace graft::env {

// One distribution: METADATA's "Name" and "Version" (else the directory's
// "<name>-<version>.dist-info").
struct PipPackage {
  std::string name;  // as the distribution spells it ("Foo_Bar")
  std::string version;
};

// Every lib/python*/site-packages/*.dist-info whose INSTALLER is not "conda", sorted by
// name without regard to case. None when there is no site-packages.
[[nodiscard]] std::vector<PipPackage> pip_packages(const std::filesystem::path& prefix);

// "name==version" of each of pip_packages(), for environment.yml's `pip:` list.
[[nodiscard]] std::vector<std::string> pip_distributions(const std::filesystem::path& prefix);

// conda's name for a Python distribution: lower case, '_' and '.' become '-'
// ("Foo_Bar.baz" -> "foo-bar-baz").
[[nodiscard]] std::string normalized_pip_name(std::string_view name);

// The record conda lists for a pip package: name normalized, build "pypi_0", build number
// 0, channel and subdir "pypi" (so `conda list` shows "foo-bar 1.2.3 pypi_0 pypi").
[[nodiscard]] conda::PrefixRecord pypi_record(const PipPackage& package);

}  // namespace graft::env
