#include "solve/virtual_packages.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <optional>

#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

#include "base/strings.h"

namespace graft::solve {
namespace {

// conda keeps the leading dotted numbers of a kernel release: "6.1.0-13-amd64" -> "6.1.0".
std::string kernel_version(const std::string& release) {
  std::string out;
  for (char c : release) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') break;
    out += c;
  }
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out.empty() ? "0" : out;
}

// The value of an override: nullopt when unset, "" when set empty (package removed).
std::optional<std::string> override_of(const std::map<std::string, std::string>& environment,
                                       const std::string& variable) {
  auto found = environment.find(variable);
  if (found == environment.end()) return std::nullopt;
  return std::string(base::trim(found->second));
}

conda::PackageRecord make(const std::string& name, const std::string& version,
                          const std::string& build, const std::string& subdir) {
  conda::PackageRecord record;
  record.name = name;
  record.version = version;
  record.build = build;
  record.subdir = subdir;
  record.package_type = "virtual_system";
  record.channel = "@";
  return record;
}

// Adds `name` with the detected `version`, unless an override says otherwise.
void add_versioned(std::vector<conda::PackageRecord>& out, const std::string& name,
                   std::string version, const std::optional<std::string>& override_value,
                   const std::string& subdir) {
  if (override_value) version = *override_value;
  if (version.empty()) return;
  out.push_back(make(name, version, "0", subdir));
}

}  // namespace

HostFacts probe_host() {
  HostFacts facts;
  struct utsname names {};
  if (uname(&names) == 0) {
    facts.kernel_release = names.release;
    facts.machine = names.machine;
  }
#if defined(__GLIBC__)
  facts.glibc_version = gnu_get_libc_version();
#endif
  return facts;
}

std::vector<conda::PackageRecord> virtual_packages(
    const std::string& subdir, const HostFacts& host,
    const std::map<std::string, std::string>& environment) {
  std::vector<conda::PackageRecord> out;
  const bool is_linux = base::starts_with(subdir, "linux-");
  const bool osx = base::starts_with(subdir, "osx-");
  const bool windows = base::starts_with(subdir, "win-");
  if (is_linux) {
    add_versioned(out, "__linux", kernel_version(host.kernel_release),
                  override_of(environment, "CONDA_OVERRIDE_LINUX"), subdir);
    add_versioned(out, "__glibc", host.glibc_version,
                  override_of(environment, "CONDA_OVERRIDE_GLIBC"), subdir);
  }
  if (osx) {
    add_versioned(out, "__osx", "", override_of(environment, "CONDA_OVERRIDE_OSX"), subdir);
  }
  if (is_linux || osx) out.push_back(make("__unix", "0", "0", subdir));
  if (windows) out.push_back(make("__win", "0", "0", subdir));
  if (!subdir.empty() && subdir != "noarch") {
    std::string machine =
        override_of(environment, "CONDA_OVERRIDE_ARCHSPEC").value_or(host.machine);
    if (!machine.empty()) out.push_back(make("__archspec", "1", machine, subdir));
  }
  add_versioned(out, "__cuda", host.cuda_version, override_of(environment, "CONDA_OVERRIDE_CUDA"),
                subdir);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

}  // namespace graft::solve
