// libFuzzer target for package archive reading and extraction (conda/archive.h):
//   clang++ -std=c++20 -fsanitize=fuzzer,address -Isrc ... (or -DGRAFT_FUZZ=ON)
// The first byte picks how the rest is used: raw bytes as a `.tar.bz2` or a `.conda`, or a
// text description ("f PATH DATA", "l PATH TARGET", "h PATH TARGET", "d PATH" lines) of
// tar members built with libarchive, so hostile layouts reach the extractor. Invariants:
// no crash, nothing appears outside the staging directory, a failed extraction leaves no
// staging directory, and every symlink a successful one wrote stays inside it.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/fs.h"
#include "base/strings.h"
#include "conda/archive_api.h"
#include "conda/archive.h"

namespace {

namespace fs = std::filesystem;
using graft::conda::la;

void add_member(archive* writer, std::string_view line) {
  auto words = graft::base::split(line, ' ');
  if (words.size() < 2 || words[0].size() != 1) return;
  std::string path(words[1]);
  std::string data = words.size() > 2 ? std::string(words[2]) : "";
  archive_entry* entry = la().archive_entry_new();
  la().archive_entry_set_pathname(entry, path.c_str());
  la().archive_entry_set_perm(entry, 0755);
  switch (words[0][0]) {
    case 'l':
      la().archive_entry_set_filetype(entry, AE_IFLNK);
      la().archive_entry_set_symlink(entry, data.c_str());
      break;
    case 'h':
      la().archive_entry_set_filetype(entry, AE_IFREG);
      la().archive_entry_set_hardlink(entry, data.c_str());
      break;
    case 'd':
      la().archive_entry_set_filetype(entry, AE_IFDIR);
      break;
    default:
      la().archive_entry_set_filetype(entry, AE_IFREG);
      la().archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
  }
  la().archive_write_header(writer, entry);
  if (words[0][0] == 'f') la().archive_write_data(writer, data.data(), data.size());
  la().archive_entry_free(entry);
}

// Builds a .tar.bz2 from a member description.
std::string build_tarball(std::string_view description) {
  std::vector<char> buffer(1 << 20);
  std::size_t used = 0;
  archive* writer = la().archive_write_new();
  la().archive_write_set_format_pax_restricted(writer);
  la().archive_write_add_filter_bzip2(writer);
  la().archive_write_open_memory(writer, buffer.data(), buffer.size(), &used);
  for (std::string_view line : graft::base::split(description, '\n')) add_member(writer, line);
  la().archive_write_close(writer);
  la().archive_write_free(writer);
  return std::string(buffer.data(), used);
}

// Removed when the process exits normally (a crash keeps it for the reproducer).
const fs::path& work_dir() {
  static const graft::base::TempDir dir = [] {
    auto temp = graft::base::TempDir::create("graft-archive-fuzz-");
    if (!temp) std::abort();
    return std::move(*temp);
  }();
  return dir.path();
}

void check_tree(const fs::path& staging) {
  std::error_code error;
  for (fs::recursive_directory_iterator it(staging, error), end; !error && it != end;
       it.increment(error)) {
    if (!it->is_symlink(error)) continue;
    std::string relative = fs::relative(it->path(), staging, error).generic_string();
    if (!graft::conda::check_symlink_target(relative,
                                            fs::read_symlink(it->path(), error).string())) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  int mode = data[0] % 3;
  // Raw inputs without the format's magic never get past libarchive's bidding; skip the
  // disk round trip for them.
  if (mode == 0 && !input.starts_with("BZh")) return 0;
  if (mode == 1 && !input.starts_with("PK")) return 0;
  const fs::path& dir = work_dir();
  fs::path package = dir / (mode == 1 ? "p-1-0.conda" : "p-1-0.tar.bz2");
  std::string bytes = mode == 2 ? build_tarball(input) : std::string(input);
  std::ofstream(package, std::ios::binary | std::ios::trunc) << bytes;
  fs::path staging = dir / "stage";
  (void)graft::conda::read_info_files(package);
  auto extracted = graft::conda::extract_archive(package, staging);
  std::error_code error;
  if (!extracted && fs::exists(staging, error)) std::abort();
  if (extracted) check_tree(staging);
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    std::string name = entry.path().filename().string();
    if (name != "stage" && name != package.filename().string()) std::abort();
  }
  fs::remove_all(staging, error);
  fs::remove(package, error);
  return 0;
}
