// conda's virtual packages (`__linux`, `__glibc`, `__unix`, `__archspec`, `__cuda`, `__osx`,
// `__win`): records that describe the machine so packages can depend on it.
//
// Host facts are gathered once by probe_host() (uname and glibc; no disk, no network); the
// records are built by virtual_packages() from those facts and an environment map, so the
// CONDA_OVERRIDE_* variables conda honours can be fed by tests:
//   CONDA_OVERRIDE_LINUX, CONDA_OVERRIDE_GLIBC, CONDA_OVERRIDE_CUDA, CONDA_OVERRIDE_OSX,
//   CONDA_OVERRIDE_ARCHSPEC — a value replaces the detected version (archspec: the build);
//   an empty value removes the package (as conda does for glibc, cuda and osx).
// All functions are thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "conda/record.h"

namespace graft::solve {

struct HostFacts {
  std::string kernel_release;  // uname -r, e.g. "6.1.0-13-amd64"; "" when unknown
  std::string glibc_version;   // e.g. "2.36"; "" when not glibc
  std::string machine;         // uname -m, e.g. "x86_64"
  std::string cuda_version;    // driver's CUDA version, e.g. "12.2"; "" when none
};

// Reads the facts of the machine graft runs on. CUDA is left empty (detecting it means
// loading the driver library; use CONDA_OVERRIDE_CUDA).
[[nodiscard]] HostFacts probe_host();

// The virtual packages for `subdir` ("linux-64", "osx-arm64", "win-64", "noarch", ...),
// sorted by name; each has build "0" (archspec: the machine), subdir `subdir` and
// package_type "virtual_system".
[[nodiscard]] std::vector<conda::PackageRecord> virtual_packages(
    const std::string& subdir, const HostFacts& host,
    const std::map<std::string, std::string>& environment);

}  // namespace graft::solve
