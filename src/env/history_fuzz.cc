// libFuzzer target for conda-meta/history reading (CMake builds it: a libFuzzer binary with
// -DGRAFT_FUZZ=ON and clang, otherwise a bounded smoke test run by ctest).
// Checks, beyond "no crash": one revision per block, each state sorted and without
// duplicates; the revision log has one header per block; the JSON log is an array of as
// many events (even for text that is not UTF-8); a revert plan only links state dists.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "env/history.h"
#include "env/revisions.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

std::size_t count(std::string_view text, std::string_view needle) {
  std::size_t found = 0;
  for (std::size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + 1)) {
    ++found;
  }
  return found;
}

void check_history(std::string_view text) {
  using namespace graft::env;
  const auto entries = parse_history(text);
  const auto revisions = replay_history(entries);
  check(revisions.size() == entries.size());
  for (const Revision& revision : revisions) {
    check(std::is_sorted(revision.state.begin(), revision.state.end()));
    check(std::adjacent_find(revision.state.begin(), revision.state.end()) == revision.state.end());
  }
  check(count(format_revisions(entries), "  (rev ") >= entries.size());
  const std::string json = format_revisions_json(entries);
  check(count(json, "\"rev\": ") == entries.size());
  (void)requested_specs(entries, {});
  if (revisions.empty()) return;
  auto plan = plan_revert(revisions.back(), {});
  if (!plan) return;
  check(plan->unlink.empty());
  check(plan->link.size() == revisions.back().state.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check_history(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
