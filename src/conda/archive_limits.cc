// The size budget of an extraction (ExtractLimits in archive.h): what info/paths.json
// declares, plus a small allowance, or a multiple of the archive's size without it.
#include <simdjson.h>

#include "conda/archive_internal.h"

namespace graft::conda::internal {
namespace {

constexpr std::string_view kBomb = ": refusing what looks like a decompression bomb";

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b
             ? std::numeric_limits<std::uint64_t>::max()
             : a + b;
}

std::uint64_t saturating_multiply(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) {
    return std::numeric_limits<std::uint64_t>::max();
  }
  return a * b;
}

Error not_paths_json(std::string_view cause) {
  return Error(ErrorCode::kCorrupt, "'info/paths.json' " + std::string(cause));
}

}  // namespace

SizeBudget SizeBudget::legacy(std::uint64_t archive_bytes, const ExtractLimits& limits) {
  SizeBudget budget;
  budget.total_ =
      std::max(limits.legacy_floor_bytes, saturating_multiply(archive_bytes, limits.legacy_ratio));
  budget.basis_ = "the package has no 'info/paths.json', so the limit is " +
                  std::to_string(limits.legacy_ratio) + " times the archive's size";
  return budget;
}

Result<SizeBudget> SizeBudget::from_paths_json(std::string_view text, std::uint64_t archive_bytes,
                                               const ExtractLimits& limits) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(text.data(), text.size()).get(root); error) {
    return fail(
        not_paths_json(std::string("is not valid JSON: ") + simdjson::error_message(error)));
  }
  simdjson::dom::array entries;
  if (root["paths"].get_array().get(entries)) return fail(not_paths_json("has no 'paths' list"));
  SizeBudget budget;
  std::uint64_t declared_total = 0;
  bool every_size_known = true;
  for (simdjson::dom::element element : entries) {
    std::string_view path;
    std::string_view type = "hardlink";
    std::uint64_t size = 0;
    if (element["_path"].get_string().get(path))
      return fail(not_paths_json("has an entry without '_path'"));
    if (element["path_type"].get_string().get(type)) type = "hardlink";
    if (type != "hardlink") continue;  // symlinks and directories carry no data
    if (element["size_in_bytes"].get_uint64().get(size)) {
      every_size_known = false;
      continue;
    }
    budget.declared_[std::string(path)] = size;
    declared_total = saturating_add(declared_total, size);
  }
  if (!every_size_known) {
    const SizeBudget fallback = legacy(archive_bytes, limits);
    budget.total_ = fallback.total_;
    budget.basis_ = "'info/paths.json' leaves some sizes out, so the limit is " +
                    std::to_string(limits.legacy_ratio) + " times the archive's size";
    return budget;
  }
  budget.total_ = saturating_add(declared_total, limits.allowance_bytes);
  budget.basis_ = "'info/paths.json' declares " + std::to_string(declared_total) + " bytes";
  return budget;
}

Status SizeBudget::check(std::string_view member, std::uint64_t member_bytes,
                         std::uint64_t total_bytes) const {
  const std::string name = "'" + std::string(member) + "'";
  if (const auto it = declared_.find(member); it != declared_.end() && member_bytes > it->second) {
    return fail(ErrorCode::kCorrupt, name + " is larger than the " + std::to_string(it->second) +
                                         " bytes 'info/paths.json' declares for it" +
                                         std::string(kBomb));
  }
  if (total_bytes > total_) {
    return fail(ErrorCode::kCorrupt, name + " would take the package past " +
                                         std::to_string(total_) + " bytes (" + basis_ + ")" +
                                         std::string(kBomb));
  }
  return ok();
}

}  // namespace graft::conda::internal
