// Frozen environments (CEP 22): a file `conda-meta/frozen` marks an environment that
// install, update, remove, env remove and env config must not change. The file is empty
// or holds a JSON object whose optional "message" says why; conda reads the same file.
// Thread-safety: the functions touch only the given prefix's files.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/result.h"

namespace graft::env {

// The path of the marker: `<prefix>/conda-meta/frozen`.
[[nodiscard]] std::filesystem::path frozen_marker(const std::filesystem::path& prefix);

// The environment's freeze reason when it is frozen ("" when the file gives none),
// nullopt when it is not. An unreadable or malformed file still counts as frozen
// (with no message): protection fails closed.
[[nodiscard]] std::optional<std::string> frozen_reason(const std::filesystem::path& prefix);

// ok() when `prefix` is not frozen or `override_frozen` is set; otherwise kConflict
// "environment '<prefix>' is frozen: <message>" with a hint naming --override-frozen and
// `graft env unfreeze`.
[[nodiscard]] Status check_not_frozen(const std::filesystem::path& prefix, bool override_frozen);

// Writes the marker atomically: `{"message": "<message>"}`, or an empty object when the
// message is empty. Errors: kNotFound (not an environment: no conda-meta/), kIo.
[[nodiscard]] Status freeze(const std::filesystem::path& prefix, const std::string& message);

// Removes the marker; ok() when it was absent. Errors: kIo.
[[nodiscard]] Status unfreeze(const std::filesystem::path& prefix);

}  // namespace graft::env
