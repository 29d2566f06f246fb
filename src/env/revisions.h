// An environment's revisions, replayed from its conda-meta/history the way conda does
// (conda/history.py): revision N is the state after the N-th block (0-based). A block with
// '+'/'-' lines changes the previous state; a block listing plain dists (conda's oldest
// format) replaces it. Removals match added dists by package, not by text, so the
// "-https://conda.anaconda.org/conda-forge/linux-64::x-1-0" mamba writes removes the
// "+conda-forge::x-1-0" it wrote before (conda would keep both). A block without any dist
// keeps the previous state (conda would read it as an empty environment).
//
// Also `list --revisions` output (History.print_log / object_log), the specs a user asked
// for (get_requested_specs_map) and what restoring a revision unlinks and links.
// Pure: values in, values out; all functions are thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "conda/prefix_record.h"
#include "env/history.h"

namespace graft::env {

// A history dist line ("file:///c/noarch::dependent-1.0-0"), split as conda's
// dist_str_to_quad: channel (subdir included) before "::", then name-version-build.
struct HistoryDist {
  std::string text;     // as written, without the leading '+' / '-'
  std::string channel;  // "<unknown>" when the line has no "::"
  std::string name;
  std::string version;
  std::string build;
};

// Errors: kInvalidArgument "'x' is not a package of the history: expected
// [channel::]name-version-build" when the name part has fewer than two '-'.
[[nodiscard]] Result<HistoryDist> parse_history_dist(std::string_view text);

// True when `a` and `b` are the same package: same name, version and build, and the same
// channel (conda's canonical name) and subdir wherever both say which.
[[nodiscard]] bool same_package(const HistoryDist& a, const HistoryDist& b);
// The same for an installed or cached record.
[[nodiscard]] bool same_package(const HistoryDist& dist, const conda::PackageRecord& record);

struct Revision {
  int number = 0;
  std::string timestamp;           // the block's header date, as written
  std::vector<std::string> state;  // dist strings installed after the block, sorted
};

// One Revision per history block, in order.
[[nodiscard]] std::vector<Revision> replay_history(const std::vector<HistoryEntry>& entries);

// The revision numbered `number`. Errors: kNotFound "revision 7 does not exist: the
// environment has revisions 0 to 3" (or "...: the environment has no revisions").
[[nodiscard]] Result<Revision> find_revision(const std::vector<Revision>& revisions, int number);

// `conda list --revisions`: per block "DATE  (rev N)", then "    +name-version (channel)",
// "    -name-version (channel)" and "     name  {old (channel) -> new (channel)}" lines
// (channel "defaults" is not shown), then a blank line.
[[nodiscard]] std::string format_revisions(const std::vector<HistoryEntry>& entries);

// `conda list --revisions --json`: [{"date", "rev", "install", "remove", "upgrade",
// "downgrade"}] in that key order (an upgrade or downgrade is {"old", "new"}), as conda 26
// prints History.object_log(): two-space indent, no final newline. An upgrade is a change
// whose (version, build, channel) compares greater as text, as conda decides it.
[[nodiscard]] std::string format_revisions_json(const std::vector<HistoryEntry>& entries);

// The specs the user asked for over the history, by package name, in first-asked order
// (later specs for a name replace earlier ones in place; removal forgets a name), kept only
// for names in `installed`; each as conda prints it (MatchSpec::to_string). Specs that do
// not parse are skipped. This is what conda records as the update specs of a revert.
[[nodiscard]] std::vector<std::string> requested_specs(
    const std::vector<HistoryEntry>& entries, const std::vector<conda::PrefixRecord>& installed);

// What restoring `target` changes in an environment holding `installed`.
struct RevertPlan {
  std::vector<conda::PrefixRecord> unlink;  // installed, not in the state
  std::vector<HistoryDist> link;            // in the state, not installed
};

// Errors: kInvalidArgument when a dist of the state does not parse (see parse_history_dist),
// kCorrupt "revision 2 holds two packages named 'x': 'c::x-1-0' and 'c::x-2-0'".
[[nodiscard]] Result<RevertPlan> plan_revert(const Revision& target,
                                             const std::vector<conda::PrefixRecord>& installed);

}  // namespace graft::env
