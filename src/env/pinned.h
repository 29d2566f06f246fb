// conda-meta/pinned, the one parser: one MatchSpec a line, as conda reads it; blank lines
// and '#' comments are skipped; a line that is not a MatchSpec is an error (conda refuses it
// too), never skipped or kept as text.
// Thread-safety: free function, reads the file only.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "conda/match_spec.h"

namespace graft::env {

struct Pin {
  std::string text;  // the line as written, trimmed
  conda::MatchSpec spec;
  int line = 0;  // 1-based
};

// The pins of `prefix` (none when the file is absent). Errors: kCorrupt
// "<prefix>/conda-meta/pinned:<line>: '<text>' is not a valid pin: <why>" with a hint to fix
// or remove the line; kIo when the file exists but can not be read.
[[nodiscard]] Result<std::vector<Pin>> read_pins(const std::filesystem::path& prefix);

}  // namespace graft::env
