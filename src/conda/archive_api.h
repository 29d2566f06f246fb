// libarchive, loaded at run time. Linking libarchive pulls in libxml2, ICU (two libraries,
// one of 30 MB), nettle, acl, lzma, lz4, bz2 and z: ~10 shared libraries every graft command
// would load and relocate at start-up (~1.5 ms), although only commands that read or write
// package archives use them. So graft dlopen()s "libarchive.so.13" the first time an archive
// function needs it and calls it through the function pointers below.
//
// <archive.h> is used for its types and constants only: call `la().archive_read_new()`,
// never `archive_read_new()` (that would bring the link dependency back).
//
// Module-private to conda (archive*.cc and their tests).
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <string>

#include "base/result.h"

namespace graft::conda {

// Every libarchive function graft calls. X(name) for each.
#define GRAFT_LIBARCHIVE_FUNCTIONS(X)        \
  X(archive_entry_filetype)                  \
  X(archive_entry_free)                      \
  X(archive_entry_hardlink)                  \
  X(archive_entry_new)                       \
  X(archive_entry_pathname)                  \
  X(archive_entry_perm)                      \
  X(archive_entry_set_filetype)              \
  X(archive_entry_set_gid)                   \
  X(archive_entry_set_hardlink)              \
  X(archive_entry_set_mtime)                 \
  X(archive_entry_set_pathname)              \
  X(archive_entry_set_perm)                  \
  X(archive_entry_set_size)                  \
  X(archive_entry_set_symlink)               \
  X(archive_entry_set_uid)                   \
  X(archive_entry_size)                      \
  X(archive_entry_size_is_set)               \
  X(archive_entry_symlink)                   \
  X(archive_errno)                           \
  X(archive_error_string)                    \
  X(archive_read_data)                       \
  X(archive_read_data_block)                 \
  X(archive_read_free)                       \
  X(archive_read_new)                        \
  X(archive_read_next_header)                \
  X(archive_read_open)                       \
  X(archive_read_open_fd)                    \
  X(archive_read_open_filename)              \
  X(archive_read_support_filter_bzip2)       \
  X(archive_read_support_filter_zstd)        \
  X(archive_read_support_format_tar)         \
  X(archive_read_support_format_zip)         \
  X(archive_write_add_filter_bzip2)          \
  X(archive_write_add_filter_zstd)           \
  X(archive_write_close)                     \
  X(archive_write_data)                      \
  X(archive_write_data_block)                \
  X(archive_write_disk_new)                  \
  X(archive_write_disk_set_options)          \
  X(archive_write_finish_entry)              \
  X(archive_write_free)                      \
  X(archive_write_header)                    \
  X(archive_write_new)                       \
  X(archive_write_open2)                     \
  X(archive_write_open_filename)             \
  X(archive_write_open_memory)               \
  X(archive_write_set_bytes_in_last_block)   \
  X(archive_write_set_filter_option)         \
  X(archive_write_set_format_option)         \
  X(archive_write_set_format_pax_restricted) \
  X(archive_write_set_format_zip)

// The libarchive functions graft uses, resolved from one loaded library; each member has
// the name and type of the libarchive function. Every pointer is non-null in an ArchiveApi
// returned by the functions below. Plain data: copyable; callable from any thread as far as
// libarchive allows (one archive handle per thread).
struct ArchiveApi {
#define GRAFT_LIBARCHIVE_POINTER_(name) decltype(&::name) name;
  GRAFT_LIBARCHIVE_FUNCTIONS(GRAFT_LIBARCHIVE_POINTER_)
#undef GRAFT_LIBARCHIVE_POINTER_
};

// The shared library archive_api() loads.
inline constexpr const char* kArchiveLibrary = "libarchive.so.13";

// The process-wide libarchive: loads kArchiveLibrary on the first call; later calls return
// the same pointer (or the same error) without retrying. Thread-safe. Never unloaded.
// Errors: kUnavailable "cannot load 'libarchive.so.13': <dlerror>" or "'libarchive.so.13'
// has no function 'archive_...': <dlerror>", both with a hint to install libarchive13.
[[nodiscard]] Result<const ArchiveApi*> archive_api();

// The loaded libarchive, for code that runs after archive_api() succeeded: every public
// archive function (read_info_files, extract_archive, write_archive) checks archive_api()
// first. Calling it when libarchive cannot be loaded is a programmer error: it prints the
// error and aborts.
[[nodiscard]] const ArchiveApi& la();

// Loads `library` (a file name searched like dlopen() does, or a path) and resolves every
// ArchiveApi function from it. On success the library stays loaded for the rest of the
// process; on failure it is unloaded again. Thread-safe. Errors: as archive_api().
[[nodiscard]] Result<ArchiveApi> load_archive_api(const std::string& library);

}  // namespace graft::conda
