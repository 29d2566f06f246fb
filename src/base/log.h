// Logging to stderr via spdlog. Quiet by default when stderr is not a terminal unless
// GRAFT_LOG or set_log_level says otherwise. Library code logs; only cli prints to stdout.
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

namespace graft::base {

enum class LogLevel { kDebug, kInfo, kWarning, kError, kOff };

// Sets up the stderr logger once: pattern "graft: <level>: <message>" (no timestamps).
// Honors GRAFT_LOG=debug|info|warning|error|off. Call from main(); safe to call again.
void init_logging(LogLevel level);
void set_log_level(LogLevel level);
// Parses "debug", "info", "warning"/"warn", "error", "off".
[[nodiscard]] bool parse_log_level(std::string_view text, LogLevel* level);

// True when the stream is a terminal (and TERM is not "dumb").
[[nodiscard]] bool stderr_is_terminal();
[[nodiscard]] bool stdout_is_terminal();

}  // namespace graft::base
