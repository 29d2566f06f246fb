// libFuzzer target for the conda module's JSON readers: repodata.json, conda-meta records
// and repodata_record.json.
// Invariants: no input crashes or hangs; whatever parses is written back as JSON that parses
// again to the same number of records (repodata) or the same record (package records).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "conda/prefix_record.h"
#include "conda/repodata.h"

namespace {

void check_repodata(std::string_view input) {
  const graft::conda::RepodataSource source{
      .subdir_url = "https://example.org/c/noarch",
      .duplicates = graft::conda::DuplicateArchives::kKeepBoth};
  auto repodata = graft::conda::parse_repodata(input, source);
  if (!repodata) {
    if (repodata.error().message().empty()) std::abort();
    return;
  }
  for (const auto& record : repodata->records) {
    if (record.url.size() < record.fn.size()) std::abort();
  }
  const std::string written = graft::conda::write_repodata(
      {.subdir = repodata->subdir, .records = repodata->records, .removed = repodata->removed});
  auto again = graft::conda::parse_repodata(written, source);
  if (!again || again->records.size() != repodata->records.size()) std::abort();
}

void check_records(std::string_view input) {
  if (auto record = graft::conda::parse_package_record(input, "fuzz.json")) {
    auto again =
        graft::conda::parse_package_record(graft::conda::write_package_record(*record), "w");
    if (!again || again->name != record->name || again->depends != record->depends) std::abort();
  }
  if (auto record = graft::conda::parse_prefix_record(input, "fuzz.json")) {
    auto again = graft::conda::parse_prefix_record(graft::conda::write_prefix_record(*record), "w");
    if (!again || again->files != record->files || again->paths_data != record->paths_data) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_repodata(input);
  check_records(input);
  return 0;
}
