#include "base/log.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace graft::base {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarning: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
    case LogLevel::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

bool is_terminal(int fd) {
  if (::isatty(fd) == 0) return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

}  // namespace

bool parse_log_level(std::string_view text, LogLevel* level) {
  if (text == "debug") *level = LogLevel::kDebug;
  else if (text == "info") *level = LogLevel::kInfo;
  else if (text == "warning" || text == "warn") *level = LogLevel::kWarning;
  else if (text == "error") *level = LogLevel::kError;
  else if (text == "off") *level = LogLevel::kOff;
  else return false;
  return true;
}

void init_logging(LogLevel level) {
  auto logger = spdlog::get("graft");
  if (!logger) {
    logger = spdlog::stderr_color_mt("graft");
    logger->set_pattern("graft: %l: %v");
    spdlog::set_default_logger(logger);
  }
  // Info chatter is for people at a terminal; a pipe gets warnings and errors only.
  if (level == LogLevel::kInfo && !stderr_is_terminal()) level = LogLevel::kWarning;
  if (const char* forced = std::getenv("GRAFT_LOG"); forced != nullptr) {
    (void)parse_log_level(forced, &level);
  }
  set_log_level(level);
}

void set_log_level(LogLevel level) { spdlog::set_level(to_spdlog(level)); }

bool stderr_is_terminal() { return is_terminal(STDERR_FILENO); }
bool stdout_is_terminal() { return is_terminal(STDOUT_FILENO); }

}  // namespace graft::base
