// The implementation of test_packages.h and its own checks.
#include "store/test_packages.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "base/fs.h"
#include "base/hash.h"
#include "conda/archive.h"

namespace graft::store::testing {
namespace {

namespace fs = std::filesystem;

std::string index_json(const PackageSpec& spec) {
  std::string depends;
  for (const std::string& dep : spec.depends) {
    depends += (depends.empty() ? "\"" : ", \"") + dep + "\"";
  }
  return "{\"build\": \"" + spec.build + "\", \"build_number\": 0, \"depends\": [" + depends +
         "], \"license\": \"MIT\", \"name\": \"" + spec.name + "\", \"subdir\": \"" +
         spec.subdir + "\", \"timestamp\": 1700000000000, \"version\": \"" + spec.version +
         "\"}";
}

}  // namespace

conda::PackageRecord build_package(const fs::path& channel_dir, const std::string& url_base,
                                   const PackageSpec& spec) {
  auto source = base::TempDir::create("graft-pkg-src-");
  if (!source) {
    ADD_FAILURE() << source.error().message();
    return {};
  }
  std::vector<conda::ArchiveMember> members = {
      {"info/index.json", source->path() / "info/index.json"}};
  bool written = base::make_directories(source->path() / "info").has_value() &&
                 base::write_file_atomic(source->path() / "info/index.json", index_json(spec),
                                         base::Durability::kNoFsync)
                     .has_value();
  for (const auto& [path, content] : spec.files) {
    members.push_back({path, source->path() / path});
    written = written &&
              base::make_directories((source->path() / path).parent_path()).has_value() &&
              base::write_file_atomic(source->path() / path, content,
                                      base::Durability::kNoFsync)
                  .has_value();
  }
  const std::string fn = spec.name + "-" + spec.version + "-" + spec.build + spec.extension;
  const fs::path output = channel_dir / spec.subdir / fn;
  const auto format =
      spec.extension == ".conda" ? conda::ArchiveFormat::kConda : conda::ArchiveFormat::kTarBz2;
  auto archived = written ? base::make_directories(output.parent_path()) : Status();
  if (written && archived) {
    archived = conda::write_archive(members, output,
                                    {.format = format, .zstd_level = 1,
                                     .overwrite = conda::Overwrite::kReplace});
  }
  auto digests = archived ? base::file_digests(output)
                          : Result<base::FileDigests>(tl::unexpected(archived.error()));
  if (!written || !digests) {
    ADD_FAILURE() << "cannot build " << fn << ": "
                  << (digests ? "writing sources failed" : digests.error().message());
    return {};
  }
  conda::PackageRecord record{.name = spec.name, .version = spec.version, .build = spec.build,
                              .depends = spec.depends, .subdir = spec.subdir,
                              .license = "MIT", .md5 = digests->md5,
                              .sha256 = digests->sha256, .size = digests->size,
                              .timestamp = 1700000000000, .fn = fn,
                              .channel = url_base + "/" + spec.subdir,
                              .url = url_base + "/" + spec.subdir + "/" + fn};
  return record;
}

std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(TestPackagesTest, BuildsAnArchiveWhoseDigestsMatchTheRecord) {
  auto channel = base::TempDir::create("graft-pkg-channel-");
  ASSERT_TRUE(channel.has_value());
  const conda::PackageRecord record =
      build_package(channel->path(), "file://" + channel->path().string(),
                    PackageSpec{.name = "a", .depends = {"b >=1"}});
  ASSERT_EQ(record.fn, "a-1.0-0.conda");
  const fs::path archive = channel->path() / "linux-64" / "a-1.0-0.conda";
  EXPECT_EQ(*base::file_digest_hex(archive, base::DigestKind::kSha256), record.sha256);
  auto info = conda::read_info_files(archive, {"info/index.json"});
  ASSERT_TRUE(info.has_value()) << info.error().message();
  EXPECT_NE(info->at("info/index.json").find("\"b >=1\""), std::string::npos);
}

}  // namespace graft::store::testing
