// Test-only builders declared in test_archives.h.
#include "conda/test_archives.h"

#include <algorithm>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

namespace graft::conda::testing {
namespace {

la_ssize_t append_output(archive* /*writer*/, void* output, const void* bytes, std::size_t size) {
  static_cast<std::string*>(output)->append(static_cast<const char*>(bytes), size);
  return static_cast<la_ssize_t>(size);
}

void write_data(archive* writer, const Member& member) {
  if (member.type != AE_IFREG || member.hardlink) return;
  la().archive_write_data(writer, member.data.data(), member.data.size());
  const std::string zeros(std::min<std::uint64_t>(member.zeros, 1 << 20), '\0');
  for (std::uint64_t left = member.zeros; left > 0;) {
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(left, zeros.size()));
    la().archive_write_data(writer, zeros.data(), chunk);
    left -= chunk;
  }
}

void write_member(archive* writer, const Member& member) {
  archive_entry* entry = la().archive_entry_new();
  la().archive_entry_set_pathname(entry, member.path.c_str());
  la().archive_entry_set_filetype(entry, member.hardlink ? AE_IFREG : member.type);
  la().archive_entry_set_perm(entry, member.type == AE_IFDIR ? 0755 : 0644);
  la().archive_entry_set_mtime(entry, 1'600'000'000, 0);
  if (member.hardlink) {
    la().archive_entry_set_hardlink(entry, member.data.c_str());
  } else if (member.type == AE_IFLNK) {
    la().archive_entry_set_symlink(entry, member.data.c_str());
  } else if (member.type == AE_IFREG) {
    la().archive_entry_set_size(entry, static_cast<la_int64_t>(member.data.size() + member.zeros));
  }
  la().archive_write_header(writer, entry);
  write_data(writer, member);
  la().archive_entry_free(entry);
}

// A new writer set up by `configure`, fed `members`; returns every byte it wrote.
std::string write_members(const std::vector<Member>& members,
                          const std::function<void(archive*)>& configure) {
  std::string output;
  archive* writer = la().archive_write_new();
  configure(writer);
  la().archive_write_set_bytes_in_last_block(writer, 1);  // no padding after the stream
  la().archive_write_open2(writer, &output, nullptr, append_output, nullptr, nullptr);
  for (const Member& member : members) write_member(writer, member);
  la().archive_write_close(writer);
  la().archive_write_free(writer);
  return output;
}

}  // namespace

std::string make_tarball(const std::vector<Member>& members, const std::string& filter) {
  return write_members(members, [&](archive* writer) {
    la().archive_write_set_format_pax_restricted(writer);
    filter == "bzip2" ? la().archive_write_add_filter_bzip2(writer)
                      : la().archive_write_add_filter_zstd(writer);
  });
}

std::string make_conda(const std::vector<Member>& members, const std::vector<Member>& info) {
  const std::vector<Member> inner = {
      {.path = "info-x-1-0.tar.zst", .data = make_tarball(info, "zstd")},
      {.path = "pkg-x-1-0.tar.zst", .data = make_tarball(members, "zstd")}};
  return write_members(inner, [](archive* writer) {
    la().archive_write_set_format_zip(writer);
    la().archive_write_set_format_option(writer, "zip", "compression", "store");
  });
}

Member paths_json(const std::map<std::string, std::uint64_t>& sizes) {
  nlohmann::json paths = nlohmann::json::array();
  for (const auto& [path, size] : sizes) {
    paths.push_back({{"_path", path}, {"path_type", "hardlink"}, {"size_in_bytes", size}});
  }
  const nlohmann::json document = {{"paths", paths}, {"paths_version", 1}};
  return Member{.path = "info/paths.json", .data = document.dump()};
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace graft::conda::testing
