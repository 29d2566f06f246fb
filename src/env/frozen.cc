#include "env/frozen.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "base/fs.h"

namespace graft::env {
namespace fs = std::filesystem;

fs::path frozen_marker(const fs::path& prefix) { return prefix / "conda-meta" / "frozen"; }

std::optional<std::string> frozen_reason(const fs::path& prefix) {
  std::error_code error;
  const auto status = fs::symlink_status(frozen_marker(prefix), error);
  // Only a marker known to be absent means "not frozen"; a marker that cannot be looked at
  // (a permission problem) counts as frozen.
  if (status.type() == fs::file_type::not_found) return std::nullopt;
  if (error && error != std::errc::no_such_file_or_directory) return std::string();
  auto text = base::read_file(frozen_marker(prefix));
  if (!text) return std::string();
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_object() && json.contains("message") && json["message"].is_string()) {
    return json["message"].get<std::string>();
  }
  return std::string();
}

Status check_not_frozen(const fs::path& prefix, bool override_frozen) {
  if (override_frozen) return ok();
  auto reason = frozen_reason(prefix);
  if (!reason) return ok();
  std::string why = reason->empty() ? std::string("it is protected from changes") : *reason;
  return fail(Error(ErrorCode::kConflict,
                    fmt::format("environment '{}' is frozen: {}", prefix.string(), why))
                  .with_hint("pass --override-frozen to change it anyway, or run "
                             "'graft env unfreeze' first"));
}

Status freeze(const fs::path& prefix, const std::string& message) {
  std::error_code error;
  if (!fs::is_directory(prefix / "conda-meta", error)) {
    return fail(ErrorCode::kNotFound,
                fmt::format("'{}' is not an environment: it has no conda-meta directory", prefix.string()));
  }
  nlohmann::json json = nlohmann::json::object();
  if (!message.empty()) json["message"] = message;
  return base::write_file_atomic(frozen_marker(prefix), json.dump() + "\n");
}

Status unfreeze(const fs::path& prefix) {
  std::error_code error;
  fs::remove(frozen_marker(prefix), error);
  if (error) {
    return fail(ErrorCode::kIo, fmt::format("cannot remove '{}': {}", frozen_marker(prefix).string(),
                                            error.message()));
  }
  return ok();
}

}  // namespace graft::env
