// Python packages installed into an environment by pip (or any installer but conda): the
// `*.dist-info` directories of its site-packages, as conda's PrefixData.load_site_packages
// finds them for `conda list` and `conda env export`.
//
// Reads the prefix only; thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "conda/prefix_record.h"

namespace graft::env {

// One distribution: METADATA's "Name" and "Version" (else the directory's
// "<name>-<version>.dist-info").
struct PipPackage {
  std::string name;  // as the distribution spells it ("Foo_Bar")
  std::string version;
  std::string directory;  // its .dist-info, relative to the prefix
};

// Every lib/python*/site-packages/*.dist-info whose INSTALLER is not "conda", sorted by
// name without regard to case. None when there is no site-packages.
[[nodiscard]] std::vector<PipPackage> pip_packages(const std::filesystem::path& prefix);

// `packages` without those a conda record installed: a record whose `files` hold a path
// inside the package's .dist-info owns it (conda's anchor-file rule, for dist-infos that
// lack an INSTALLER file). `records` need their `files` (PrefixRecordParts::kFiles).
[[nodiscard]] std::vector<PipPackage> not_installed_by_conda(
    std::vector<PipPackage> packages, const std::vector<conda::PrefixRecord>& records);

// pip_packages() not_installed_by_conda(), the records' file lists read only when there
// is a candidate. Errors: those of load_records (a broken record).
[[nodiscard]] Result<std::vector<PipPackage>> pip_installed(const std::filesystem::path& prefix);

// "name==version" of each of pip_installed(), for environment.yml's `pip:` list (all of
// pip_packages() when a record cannot be read: the caller reports that record).
[[nodiscard]] std::vector<std::string> pip_distributions(const std::filesystem::path& prefix);

// conda's name for a Python distribution: lower case, '_' and '.' become '-'
// ("Foo_Bar.baz" -> "foo-bar-baz").
[[nodiscard]] std::string normalized_pip_name(std::string_view name);

// The record conda lists for a pip package: name normalized, build "pypi_0", build number
// 0, channel and subdir "pypi" (so `conda list` shows "foo-bar 1.2.3 pypi_0 pypi").
[[nodiscard]] conda::PrefixRecord pypi_record(const PipPackage& package);

}  // namespace graft::env
