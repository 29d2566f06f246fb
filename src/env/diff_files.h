// Internal to env/diff.cc: the file-by-file part of an environment diff (see diff.h for
// what counts as a difference). Reads both prefixes; hashes on worker threads.
#pragma once

#include <cstddef>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "conda/prefix_record.h"
#include "env/diff.h"

namespace graft::env::detail {

struct FileDiffInput {
  std::filesystem::path a_prefix, b_prefix;
  const std::vector<conda::PrefixRecord>* a_records = nullptr;  // not owned
  const std::vector<conda::PrefixRecord>* b_records = nullptr;  // not owned
  std::set<std::string> same_packages;  // names installed identically in both
  unsigned threads = 0;
};

struct FileDiffs {
  std::vector<Difference> files;      // sorted by path
  std::vector<Difference> untracked;  // sorted by path
  std::size_t a_tracked = 0, b_tracked = 0;
  std::size_t a_untracked = 0, b_untracked = 0;
  std::size_t hashed = 0;
};

// Errors: kIo when a prefix cannot be walked.
[[nodiscard]] Result<FileDiffs> diff_files(const FileDiffInput& input);

}  // namespace graft::env::detail
