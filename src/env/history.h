// conda-meta/history: the append-only log of every change to an environment, in the text
// format conda writes and replays (conda/history.py):
//
//   ==> 2026-11-21 21:34:14 <==
//   # cmd: graft create -n ml python=3.12
//   # conda version: 26.7.1
//   -conda-forge/linux-64::zlib-1.2.11-h7b6447c_3
//   +conda-forge/linux-64::zlib-1.3.1-hb9d3cd8_2
//   # update specs: ['python=3.12']
//
// Removed and added dists are each sorted; spec lists are Python list reprs.
// Pure formatting and parsing, plus append_history() which touches the disk.
// Thread-safety: all functions are safe to call concurrently on different prefixes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "conda/match_spec.h"
#include "conda/record.h"

namespace graft::env {

// The conda version graft's conda-meta output matches; written in "# conda version:" so
// conda's own version checks accept environments graft made.
inline constexpr std::string_view kCondaCompatibleVersion = "26.7.1";

struct HistoryEntry {
  std::string timestamp;  // "YYYY-MM-DD HH:MM:SS", local time
  std::string command;    // the command line, words joined by spaces
  std::string conda_version = std::string(kCondaCompatibleVersion);
  std::vector<std::string> removed;  // dist strings (history_dist), any order
  std::vector<std::string> added;
  // Dist lines without '+' or '-': conda's oldest format, a block listing the whole state.
  std::vector<std::string> listed;
  std::vector<std::string> remove_specs;    // MatchSpec strings as the user gave them
  std::vector<std::string> update_specs;
  std::vector<std::string> neutered_specs;
};

// "conda-forge/linux-64::zlib-1.2.11-h7b6447c_3", the dist string conda writes for a record:
// the channel's canonical name (URLs under conda.anaconda.org lose that prefix,
// repo.anaconda.com/pkgs/* becomes pkgs/*, other URLs stay whole, no channel is
// "<unknown>"), then the subdir.
[[nodiscard]] std::string history_dist(const conda::PackageRecord& record);

// Python's repr() of a list of str: "['a', \"it's\"]".
[[nodiscard]] std::string python_list_repr(const std::vector<std::string>& items);

// The text of one block, each line ending in "\n": header, cmd, conda version, listed dists,
// then sorted removed and added dists; spec lines only when non-empty.
[[nodiscard]] std::string format_history_entry(const HistoryEntry& entry);

// "YYYY-MM-DD HH:MM:SS" for `seconds` since the epoch, in local time.
[[nodiscard]] std::string history_timestamp(std::int64_t seconds);

// Appends the block to `<prefix>/conda-meta/history` (created with its directory when
// absent) and flushes it. Errors: kIo with the path.
[[nodiscard]] Status append_history(const std::filesystem::path& prefix,
                                    const HistoryEntry& entry);

// Parses a history file into its blocks as conda's History.parse does: a header is a line
// starting "==>" with "<==" after the date; lines before the first header, unknown comment
// lines and blank lines are skipped. "# <action> specs:" lines of action update, install or
// create fill update_specs, remove or uninstall remove_specs, neutered neutered_specs; a
// value that is not a Python list is conda's pre-4.5 "a >=1,<2,b" form, split at commas
// that do not start a version constraint; empty specs and "feature@" ones are dropped.
// Never fails: history is best-effort data.
[[nodiscard]] std::vector<HistoryEntry> parse_history(std::string_view text);

// The specs the user asked for over `entries`, one per package name, in the order the names
// were first asked for: "# update specs:" and "# neutered specs:" set a name's spec (a later
// one replaces it in place), "# remove specs:" forgets the name (asked again, it goes last).
// With `commands_only`, blocks without a "# cmd:" line are skipped, as conda's
// get_requested_specs_map does. Specs that do not parse are skipped.
[[nodiscard]] std::vector<conda::MatchSpec> latest_requested_specs(
    const std::vector<HistoryEntry>& entries, bool commands_only);

}  // namespace graft::env
