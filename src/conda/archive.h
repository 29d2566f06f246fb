// Conda package archives: `.tar.bz2` (a bzip2 tarball) and `.conda` (a stored zip holding
// `metadata.json`, `info-<dist>.tar.zst` and `pkg-<dist>.tar.zst`), read, extracted and
// written with libarchive, streaming: no archive is ever held in memory as a whole.
//
// Safety: extraction refuses members with absolute paths or '.'/'..' components, symlinks
// whose target leaves the destination, hardlinks to anything but a regular file extracted
// earlier from the same archive, duplicate members and device/fifo members. It never writes
// through a symlink, and on any failure it removes what it wrote. Every write is checked
// (a full disk fails the extraction, naming the member and the cause), what is written is
// bounded by what info/paths.json declares (ExtractLimits), and only regular files are
// opened as archives (a FIFO or a symlink to a device is refused without blocking).
//
// Thread-safety: every function is safe to call concurrently on different files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace graft::conda {

enum class ArchiveFormat { kConda, kTarBz2 };

// The format named by a file name's extension. kInvalidArgument for anything but
// ".conda" and ".tar.bz2".
[[nodiscard]] Result<ArchiveFormat> archive_format_of(const std::filesystem::path& path);
// ".conda" or ".tar.bz2".
[[nodiscard]] std::string_view archive_extension(ArchiveFormat format);
// The file name without its package extension ("zlib-1.2.11-h7b6447c_3"), or "" when the
// name has neither extension.
[[nodiscard]] std::string archive_stem(const std::filesystem::path& path);

// Checks one member path as stored in an archive ("lib/libz.so"): relative, non-empty,
// '/'-separated, without "", "." or ".." components and without NUL bytes.
// kCorrupt with the cause, e.g. "'../x' has a '..' component".
[[nodiscard]] Status check_member_path(std::string_view path);
// Checks that the symlink at member path `link` with target `target` stays inside the
// package root: the target is relative and any '..' components come first (so no symlink
// met on the way can be climbed out of) and do not climb above the root. kCorrupt otherwise.
[[nodiscard]] Status check_symlink_target(std::string_view link, std::string_view target);

// Largest info/ file read_info_files() loads into memory.
inline constexpr std::uint64_t kMaxInfoFileBytes = 64ull << 20;

// Reads regular files under `info/` into memory, keyed by member path ("info/index.json").
// `wanted` lists the exact paths to keep; empty keeps every info/ file. For `.conda` only
// the info tarball is decompressed; for `.tar.bz2` payload data is skipped, not stored,
// and reading stops once every wanted file has been seen. A wanted file that is absent is
// simply missing from the map. Errors: kNotFound (no archive), kInvalidArgument (unknown
// extension), kCorrupt (unreadable archive, info file over kMaxInfoFileBytes).
[[nodiscard]] Result<std::map<std::string, std::string>> read_info_files(
    const std::filesystem::path& archive, const std::vector<std::string>& wanted = {});

// Which members extract_archive() writes.
enum class ArchivePart { kAll, kInfoOnly };

// Bounds on what an extraction writes, so a small archive can not fill the disk (a
// decompression bomb). A package's info/paths.json declares each file's size_in_bytes: a
// member larger than its declared size is refused, and so is a package whose members
// together pass the declared total plus `allowance_bytes` (info/ files, members
// paths.json leaves out). A package without paths.json (built before conda 4.3) may
// expand to `legacy_ratio` times its archive's size, or `legacy_floor_bytes` if larger.
struct ExtractLimits {
  std::uint64_t allowance_bytes = 64ull << 20;
  std::uint64_t legacy_ratio = 100;
  std::uint64_t legacy_floor_bytes = 256ull << 20;
};

struct ExtractOptions {
  ArchivePart part = ArchivePart::kAll;
  ExtractLimits limits;
};

struct ExtractStats {
  std::uint64_t entries = 0;  // files, symlinks and hardlinks written
  std::uint64_t bytes = 0;    // bytes of regular file data written
  // Members left out, each "'path': reason". Only symlinks with an empty target (found in
  // old real packages; conda skips them too) are skipped; anything else unsafe is an error.
  std::vector<std::string> skipped;
};

// Extracts `archive` into `destination`, which must be absent (it is created; its parent
// must exist) or an empty directory. Keeps permission bits (without setuid/setgid/sticky),
// symlinks and mtimes as stored. On failure everything written is removed (and
// `destination` itself when this call created it). Errors: kNotFound, kInvalidArgument
// (not a regular file), kAlreadyExists (destination not empty), kCorrupt (unreadable or
// unsafe archive, a member or a total past options.limits: the message names the member),
// kIo (a failed write: "cannot write 'lib/x': Write failed (No space left on device)").
[[nodiscard]] Result<ExtractStats> extract_archive(const std::filesystem::path& archive,
                                                   const std::filesystem::path& destination,
                                                   const ExtractOptions& options = {});

enum class Overwrite { kRefuse, kReplace };

struct WriteOptions {
  ArchiveFormat format = ArchiveFormat::kConda;
  // zstd level for the two tarballs of a `.conda`, 1..22. 19 (conda-build's default)
  // is several times slower for a few percent; 7 is a good trade.
  int zstd_level = 7;
  // bzip2 block size level for `.tar.bz2`, 1..9 (conda-build uses 9).
  int bzip2_level = 9;
  // mtime (seconds since the epoch) of the zip members of a `.conda`; file entries keep
  // their own mtimes.
  std::int64_t zip_mtime = 0;
  Overwrite overwrite = Overwrite::kRefuse;
};

// One member of an archive being written: its path inside the archive ('/'-separated) and
// the regular file or symlink on disk that provides it.
struct ArchiveMember {
  std::string path;
  std::filesystem::path source;
};

// Writes `members` into a new archive at `output`, whose extension must match
// options.format. info/ members go into the info tarball (`.conda`) or first (`.tar.bz2`);
// order is otherwise the order given. Files are streamed; each becomes a full entry (no tar
// hardlinks, which conda-package-handling's streaming reader can not follow); mode bits
// and mtimes are kept, owners are 0. The archive is written beside `output` under a
// temporary name and renamed into place.
// Errors: kInvalidArgument (bad option, extension mismatch, bad member path, a source that
// is neither file nor symlink), kAlreadyExists (output exists and overwrite is kRefuse),
// kNotFound, kIo.
[[nodiscard]] Status write_archive(const std::vector<ArchiveMember>& members,
                                   const std::filesystem::path& output,
                                   const WriteOptions& options = {});

}  // namespace graft::conda
