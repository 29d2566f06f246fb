#include "env/repair.h"

#include <algorithm>

#include "env/linker.h"
#include "env/package_info.h"
#include "env/prefix_data.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

// The installed record of `dist`, or a bare one (name, version, build) for a broken record:
// unlinking it takes the broken file away, and the package's files are linked over.
Result<conda::PrefixRecord> installed_record(const PrefixRecords& loaded, const std::string& dist,
                                             const fs::path& prefix) {
  for (const conda::PrefixRecord& record : loaded.records) {
    if (conda::dist_name(record) == dist) return record;
  }
  for (const BrokenRecord& broken : loaded.broken) {
    if (broken.dist != dist) continue;
    GRAFT_ASSIGN_OR_RETURN(conda::PackageRecord bare, record_from_dist(dist));
    conda::PrefixRecord record;
    static_cast<conda::PackageRecord&>(record) = std::move(bare);
    return record;
  }
  return fail(ErrorCode::kNotFound,
              "package '" + dist + "' is not installed in '" + prefix.string() + "'");
}

}  // namespace

Result<conda::PackageRecord> record_from_dist(std::string_view dist) {
  const std::size_t build = dist.rfind('-');
  const std::size_t version = build == std::string_view::npos || build == 0
                                  ? std::string_view::npos
                                  : dist.rfind('-', build - 1);
  if (version == std::string_view::npos || version == 0) {
    return fail(ErrorCode::kInvalidArgument,
                "'" + std::string(dist) + "' is not of the form name-version-build");
  }
  conda::PackageRecord record;
  record.name = std::string(dist.substr(0, version));
  record.version = std::string(dist.substr(version + 1, build - version - 1));
  record.build = std::string(dist.substr(build + 1));
  return record;
}

Result<RepairResult> repair_packages(const fs::path& prefix,
                                     const std::vector<std::string>& packages,
                                     const RepairOptions& options) {
  GRAFT_ASSIGN_OR_RETURN(PrefixRecords loaded, load_records_keeping_broken(prefix));
  std::vector<conda::PrefixRecord> unlink;
  std::vector<PackageToLink> link;
  RepairResult result;
  for (const std::string& dist : packages) {
    GRAFT_ASSIGN_OR_RETURN(conda::PrefixRecord record, installed_record(loaded, dist, prefix));
    auto directory = options.extracted(record);
    if (!directory) {
      return fail(std::move(directory).error().with_context("cannot repair '" + dist + "'"));
    }
    GRAFT_ASSIGN_OR_RETURN(PackageInfo info, read_package_info(*directory));
    link.push_back({.info = std::move(info), .requested_spec = record.requested_spec});
    unlink.push_back(std::move(record));
    result.reinstalled.push_back(dist);
  }
  std::sort(result.reinstalled.begin(), result.reinstalled.end());
  GRAFT_ASSIGN_OR_RETURN(result.transaction, apply(prefix, unlink, link, options.transaction));
  return result;
}

}  // namespace graft::env
