// Shows a solved transaction the way conda does: the "## Package Plan ##" text and the
// `--json` / `--dry-run --json` object. Pure formatting: takes values, returns text.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "env/operation.h"

namespace graft::cli {

// conda's Package Plan text, ending with a blank line.
[[nodiscard]] std::string format_plan(const env::Plan& plan);

// conda's JSON: {"success": true, "actions": {"FETCH": [...], "PREFIX", "LINK": [...],
// "UNLINK": [...]}, "prefix", "dry_run"}, ending at the closing brace as conda's does.
[[nodiscard]] std::string format_plan_json(const env::Plan& plan, bool dry_run);

// conda's human_bytes: "812 B", "120 KB", "1.4 MB", "2.10 GB".
[[nodiscard]] std::string conda_human_bytes(std::uint64_t bytes);

}  // namespace graft::cli
