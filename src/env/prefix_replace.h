// Prefix placeholder replacement, as conda does it when it links a file that was built
// with a placeholder prefix (conda/core/portability.py).
//
// Text mode: a `#!<placeholder>` shebang gets the new prefix with its spaces escaped, every
// other occurrence is replaced as is; then a shebang longer than 127 bytes, or one whose
// interpreter directory has an escaped space, becomes `#!/usr/bin/env <program><options>`.
// Binary mode: each NUL-terminated C string holding the placeholder gets it replaced and
// is padded with NULs to its old length, so the file keeps its size and offsets.
//
// Pure functions on bytes; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace graft::env {

enum class FileMode { kText, kBinary };

// "text" / "binary"; the name conda writes in paths.json's `file_mode`.
[[nodiscard]] std::string_view file_mode_name(FileMode mode);

// Longest shebang line (bytes, "#!" included) the kernel honours on Linux.
inline constexpr std::size_t kMaxShebangLength = 127;

// Returns `data` with `placeholder` replaced by `new_prefix`.
// Errors: kInvalidArgument when `placeholder` is empty; kConflict in binary mode when
// `new_prefix` is longer than `placeholder` and a string holding it would grow:
// "prefix '/long/...' is longer than the placeholder '/opt/...' (32 bytes) of a binary
// file: ...". The caller adds the file name as context.
[[nodiscard]] Result<std::string> replace_prefix(std::string_view data, FileMode mode,
                                                 std::string_view placeholder,
                                                 std::string_view new_prefix);

// conda's replace_long_shebang(): rewrites the first line of `data` to
// `#!/usr/bin/env <program><options>` when it is a shebang longer than kMaxShebangLength
// or its interpreter directory contains an escaped space ("\ "). Other data is returned
// unchanged.
[[nodiscard]] std::string replace_long_shebang(std::string data);

}  // namespace graft::env
