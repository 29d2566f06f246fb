// `verify --repair`: reinstalls the packages of an environment whose files are missing or
// modified, or whose conda-meta record is broken, in one apply() (so all or nothing, under
// the environment's lock).
//
// Thread-safety: as apply().
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "conda/prefix_record.h"
#include "conda/record.h"
#include "env/transaction.h"

namespace graft::env {

struct RepairOptions {
  // The extracted package directory of the installed `record` (from the package cache,
  // fetched when needed). For a broken record only name, version and build are set.
  // Required.
  std::function<Result<std::filesystem::path>(const conda::PrefixRecord& record)> extracted;
  TransactionOptions transaction;  // command, lock, registry, ...
};

struct RepairResult {
  std::vector<std::string> reinstalled;  // "name-version-build", sorted
  TransactionResult transaction;
};

// Reinstalls `packages` ("name-version-build", as damaged_packages() names them) of
// `prefix`. Errors: kNotFound (a package that is not installed), those of
// options.extracted (with the package named) and of apply().
[[nodiscard]] Result<RepairResult> repair_packages(const std::filesystem::path& prefix,
                                                   const std::vector<std::string>& packages,
                                                   const RepairOptions& options);

// name, version and build of "name-version-build" (a record's file name without .json).
// kInvalidArgument when it has fewer than three parts.
[[nodiscard]] Result<conda::PackageRecord> record_from_dist(std::string_view dist);

}  // namespace graft::env
