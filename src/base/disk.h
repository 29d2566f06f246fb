// Opening files that may be hostile, and making writes durable. Every function returns a
// Status/Result; none throws. Thread-safety: safe to call concurrently.
#pragma once

#include <filesystem>

#include "base/result.h"

namespace graft::base {

// Opens `path` for reading (following symlinks) only when it is a regular file: a FIFO
// does not block (it is opened O_NONBLOCK, checked with fstat, then made blocking again);
// a directory, device, FIFO or socket is refused. Returns the descriptor (O_CLOEXEC); the
// caller closes it. Errors: kNotFound (absent), kInvalidArgument "'PATH' is not a regular
// file: it is a fifo" (a directory, a character device, ...), kIo.
[[nodiscard]] Result<int> open_regular_file(const std::filesystem::path& path);

// Flushes every written file of the file system holding `path` to stable storage
// (syncfs(2)): one call instead of an fsync per file, before a marker that says "complete"
// is written. Errors: kIo naming `path` (ENOSPC, EIO: data that never reached the disk).
[[nodiscard]] Status sync_file_system(const std::filesystem::path& path);

// fsync(2) of a directory, so names created or renamed in it survive a crash. kIo.
[[nodiscard]] Status sync_directory(const std::filesystem::path& directory);

}  // namespace graft::base
