#include "env/site_packages.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <system_error>

#include "base/strings.h"
#include "env/prefix_data.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// "Name: x" / "Version: y" from a dist-info METADATA file; empty when absent.
PipPackage read_metadata(const fs::path& dist_info) {
  PipPackage package;
  const std::string metadata = read_text(dist_info / "METADATA");  // split() returns views
  for (auto line : base::split(metadata, '\n')) {
    line = base::trim(line);
    if (line.empty()) break;  // end of the headers
    if (package.name.empty() && base::starts_with(line, "Name:")) {
      package.name = base::trim(line.substr(5));
    }
    if (package.version.empty() && base::starts_with(line, "Version:")) {
      package.version = base::trim(line.substr(8));
    }
  }
  return package;
}

}  // namespace

std::vector<PipPackage> pip_packages(const fs::path& prefix) {
  std::vector<PipPackage> out;
  std::error_code error;
  for (const auto& lib : fs::directory_iterator(prefix / "lib", error)) {
    if (!base::starts_with(lib.path().filename().string(), "python")) continue;
    for (const auto& entry : fs::directory_iterator(lib.path() / "site-packages", error)) {
      const std::string file = entry.path().filename().string();
      if (!base::ends_with(file, ".dist-info") || !entry.is_directory(error)) continue;
      if (base::trim(read_text(entry.path() / "INSTALLER")) == "conda") continue;
      PipPackage package = read_metadata(entry.path());
      package.directory =
          (fs::path("lib") / lib.path().filename() / "site-packages" / file).string();
      if (package.name.empty()) {  // "name-version.dist-info"
        const std::string stem = file.substr(0, file.size() - 10);
        const auto dash = stem.find('-');
        package.name = stem.substr(0, dash);
        package.version = dash == std::string::npos ? "" : stem.substr(dash + 1);
      }
      out.push_back(std::move(package));
    }
  }
  std::sort(out.begin(), out.end(), [](const PipPackage& a, const PipPackage& b) {
    return base::to_lower(a.name + "==" + a.version) < base::to_lower(b.name + "==" + b.version);
  });
  return out;
}

std::vector<PipPackage> not_installed_by_conda(std::vector<PipPackage> packages,
                                               const std::vector<conda::PrefixRecord>& records) {
  std::set<std::string, std::less<>> owned;  // .dist-info directories conda records list
  constexpr std::string_view kSuffix = ".dist-info/";
  for (const conda::PrefixRecord& record : records) {
    for (const std::string& file : record.files) {
      const std::size_t end = file.find(kSuffix);
      if (end != std::string::npos) owned.insert(file.substr(0, end + kSuffix.size() - 1));
    }
  }
  std::erase_if(packages,
                [&](const PipPackage& package) { return owned.contains(package.directory); });
  return packages;
}

Result<std::vector<PipPackage>> pip_installed(const fs::path& prefix) {
  std::vector<PipPackage> packages = pip_packages(prefix);
  if (packages.empty()) return packages;
  GRAFT_ASSIGN_OR_RETURN(auto records, load_records(prefix, conda::PrefixRecordParts::kFiles));
  return not_installed_by_conda(std::move(packages), records);
}

std::vector<std::string> pip_distributions(const fs::path& prefix) {
  std::vector<std::string> out;
  auto installed = pip_installed(prefix);
  for (const PipPackage& package : installed ? *installed : pip_packages(prefix)) {
    out.push_back(package.name + "==" + package.version);
  }
  return out;
}

std::string normalized_pip_name(std::string_view name) {
  std::string out = base::to_lower(name);
  std::replace(out.begin(), out.end(), '_', '-');
  std::replace(out.begin(), out.end(), '.', '-');
  return out;
}

conda::PrefixRecord pypi_record(const PipPackage& package) {
  conda::PackageRecord record;
  record.name = normalized_pip_name(package.name);
  record.version = package.version;
  record.build = "pypi_0";
  record.build_number = 0;
  record.channel = "pypi";
  record.subdir = "pypi";
  return conda::make_prefix_record(record);
}

}  // namespace graft::env
