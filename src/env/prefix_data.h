// An installed environment's package records: reading every conda-meta/*.json (written by
// conda, mamba or graft), writing and removing one, and unlinking a package's files.
//
// Thread-safety: functions are safe to call concurrently on different prefixes; callers
// serialize changes to one prefix.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "conda/prefix_record.h"
#include "env/journal.h"

namespace graft::env {

// Every record in <prefix>/conda-meta, sorted by name. An environment without conda-meta
// has none. `parts`: kPackageOnly leaves files and paths_data empty (listings; much faster
// for big packages). Errors: kCorrupt "<file>: ..." (the file is named; the hint says to
// run 'graft verify --repair'), kIo.
[[nodiscard]] Result<std::vector<conda::PrefixRecord>> load_records(
    const std::filesystem::path& prefix,
    conda::PrefixRecordParts parts = conda::PrefixRecordParts::kAll);

// A conda-meta/*.json file that cannot be read as a record.
struct BrokenRecord {
  std::string file;  // "conda-meta/<dist>.json"
  std::string dist;  // "<name>-<version>-<build>", from the file name
  Error error;       // kCorrupt naming the file
};

struct PrefixRecords {
  std::vector<conda::PrefixRecord> records;  // the readable ones, sorted as load_records()
  std::vector<BrokenRecord> broken;          // sorted by file
};

// As load_records(), but a broken record does not stop the others (verify, repair).
// Errors: kIo.
[[nodiscard]] Result<PrefixRecords> load_records_keeping_broken(
    const std::filesystem::path& prefix,
    conda::PrefixRecordParts parts = conda::PrefixRecordParts::kAll);

// The hint of a broken record of `prefix`.
[[nodiscard]] std::string repair_hint(const std::filesystem::path& prefix);

// Writes <prefix>/conda-meta/<name>-<version>-<build>.json atomically (conda's bytes).
// With a journal the file is recorded as created. Errors: kIo.
[[nodiscard]] Status write_record(const std::filesystem::path& prefix,
                                  const conda::PrefixRecord& record, Journal* journal = nullptr);

// Removes the package's files (its `files` list), then the directories left empty, then its
// conda-meta record. With a journal, files are moved aside (restorable) instead of deleted.
// Files already gone are fine. Errors: kIo.
[[nodiscard]] Status unlink_package(const std::filesystem::path& prefix,
                                    const conda::PrefixRecord& record, Journal* journal);

// Removes empty directories among `directories` (prefix-relative) and their parents, up to
// but not including the prefix itself and conda-meta.
void prune_empty_directories(const std::filesystem::path& prefix,
                             const std::vector<std::string>& paths);

}  // namespace graft::env
