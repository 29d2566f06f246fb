// libFuzzer target for the conda module's JSON readers: repodata.json, conda-meta records
// and repodata_record.json.
// Invariants: no input crashes or hangs; whatever parses is written back as JSON that parses
// again to the same number of records (repodata) or the same record (package records); the
// structural-index repodata reader accepts nothing the DOM reader rejects and reads the same
// records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "conda/prefix_record.h"
#include "conda/repodata.h"
#include "conda/repodata_scan.h"

namespace {

void check_readers_agree(std::string_view input, const graft::conda::RepodataSource& source) {
  namespace detail = graft::conda::detail;
  graft::conda::Repodata scanned;
  if (!detail::scan_repodata(input, source, "fuzz", scanned)) return;
  graft::conda::Repodata read;
  if (!detail::parse_repodata_dom(input, "fuzz", read)) std::abort();
  const detail::RecordDefaults defaults = detail::record_defaults(source, read);
  for (auto& record : read.records) detail::apply_record_defaults(defaults, record);
  if (scanned.records != read.records || scanned.removed != read.removed ||
      scanned.subdir != read.subdir || scanned.repodata_version != read.repodata_version) {
    std::abort();
  }
}

void check_repodata(std::string_view input) {
  const graft::conda::RepodataSource source{
      .subdir_url = "https://example.org/c/noarch",
      .duplicates = graft::conda::DuplicateArchives::kKeepBoth};
  check_readers_agree(input, source);
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
