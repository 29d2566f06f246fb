#include "conda/archive.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/hash.h"
#include "conda/archive_api.h"
#include "conda/test_archives.h"

namespace graft::conda {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using testing::make_conda;
using testing::make_tarball;
using testing::Member;
using testing::write_bytes;

std::int64_t mtime_seconds(const fs::path& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0 ? status.st_mtime : -1;
}

void set_mtime_seconds(const fs::path& path, std::int64_t seconds) {
  struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

std::string read_bytes(const fs::path& path) {
  auto content = base::read_file(path);
  return content ? *content : "<unreadable>";
}

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = base::TempDir::create("archive-test-");
    ASSERT_TRUE(dir) << dir.error().message();
    scratch_ = std::make_unique<base::TempDir>(std::move(*dir));
  }
  fs::path path(const std::string& name) const { return scratch_->path() / name; }

  std::unique_ptr<base::TempDir> scratch_;
};

TEST(ArchiveNames, FormatAndStem) {
  EXPECT_EQ(*archive_format_of("a/zlib-1.2.11-0.conda"), ArchiveFormat::kConda);
  EXPECT_EQ(*archive_format_of("zlib-1.2.11-0.tar.bz2"), ArchiveFormat::kTarBz2);
  auto bad = archive_format_of("zlib.zip");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(),
            "'zlib.zip' is not a conda package: expected a '.conda' or '.tar.bz2' file");
  EXPECT_EQ(archive_stem("/x/zlib-1.2.11-h7b6447c_3.conda"), "zlib-1.2.11-h7b6447c_3");
  EXPECT_EQ(archive_stem("zlib-1.2.11-0.tar.bz2"), "zlib-1.2.11-0");
  EXPECT_EQ(archive_stem("zlib.zip"), "");
}

TEST(ArchivePaths, MemberPaths) {
  struct Case {
    std::string path;
    std::string error;  // empty: accepted
  };
  const std::vector<Case> cases = {
      {"lib/libz.so", ""},
      {"info/index.json", ""},
      {"a..b/c", ""},
      {"", "a member has an empty path"},
      {"/etc/passwd", "'/etc/passwd' is an absolute path"},
      {"../evil", "'../evil' has a '..' component"},
      {"lib/../../evil", "'lib/../../evil' has a '..' component"},
      {"lib/./x", "'lib/./x' has a '.' component"},
      {"lib//x", "'lib//x' has an empty path component"},
  };
  for (const Case& c : cases) {
    auto status = check_member_path(c.path);
    if (c.error.empty()) {
      EXPECT_TRUE(status) << c.path << ": " << status.error().message();
    } else {
      ASSERT_FALSE(status) << c.path;
      EXPECT_EQ(status.error().message(), c.error);
      EXPECT_EQ(status.error().code(), ErrorCode::kCorrupt);
    }
  }
}

TEST(ArchivePaths, SymlinkTargets) {
  struct Case {
    std::string link;
    std::string target;
    bool safe;
  };
  const std::vector<Case> cases = {
      {"lib/libz.so", "libz.so.1.2.11", true},
      {"bin/python", "../lib/python3.11/bin", true},
      {"a/b/c", "../../x", true},
      {"a/b/c", "./d", true},
      {"top", "../x", false},
      {"a/b", "../../x", false},
      {"a/b", "/etc/passwd", false},
      {"a/b", "c/../../..", false},
      {"a/b", "d/..", false},
      {"a/b", "", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(static_cast<bool>(check_symlink_target(c.link, c.target)), c.safe)
        << c.link << " -> " << c.target;
  }
  EXPECT_EQ(check_symlink_target("top", "../x").error().message(),
            "symlink 'top' -> '../x' points outside the package");
}

// Every regular file conda lists in paths.json comes out with its recorded sha256 and size.
void expect_matches_paths_json(const fs::path& root) {
  auto paths = nlohmann::json::parse(read_bytes(root / "info/paths.json"));
  int checked = 0;
  for (const auto& entry : paths["paths"]) {
    fs::path file = root / entry["_path"].get<std::string>();
    if (entry["path_type"] != "hardlink") continue;  // the corpus' softlinks have no target
    ASSERT_TRUE(fs::is_regular_file(file)) << file;
    EXPECT_EQ(*base::file_digest_hex(file, base::DigestKind::kSha256), entry["sha256"]) << file;
    EXPECT_EQ(fs::file_size(file), entry["size_in_bytes"].get<std::uint64_t>()) << file;
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

TEST_F(ArchiveTest, ExtractsRealZlibPackagesInBothFormats) {
  fs::path repo = fs::path(GRAFT_CONFORMANCE_DIR) / "conda/conda_format_repo/linux-64";
  if (!fs::exists(repo)) GTEST_SKIP() << "conformance corpus absent at " << repo;
  for (std::string ext : {".conda", ".tar.bz2"}) {
    fs::path out = path("zlib" + ext);
    auto stats = extract_archive(repo / ("zlib-1.2.11-h7b6447c_3" + ext), out);
    ASSERT_TRUE(stats) << stats.error().message();
    expect_matches_paths_json(out);
    EXPECT_TRUE(fs::exists(out / "info/index.json"));
    EXPECT_EQ(mtime_seconds(out / "lib/libz.so.1.2.11"), 0);
    EXPECT_EQ(fs::status(out / "lib/libz.a").permissions() & fs::perms::all,
              static_cast<fs::perms>(0666));
    if (ext == ".conda") {
      EXPECT_EQ(stats->skipped.size(), 2u);  // two symlinks with empty targets
    }
    auto info = read_info_files(repo / ("zlib-1.2.11-h7b6447c_3" + ext), {"info/index.json"});
    ASSERT_TRUE(info) << info.error().message();
    ASSERT_EQ(info->size(), 1u);
    EXPECT_EQ(info->at("info/index.json"), read_bytes(out / "info/index.json"));
  }
}

TEST_F(ArchiveTest, InfoOnlyExtractionLeavesThePayloadOut) {
  fs::path repo = fs::path(GRAFT_CONFORMANCE_DIR) / "conda/conda_format_repo/linux-64";
  if (!fs::exists(repo)) GTEST_SKIP() << "conformance corpus absent at " << repo;
  for (std::string ext : {".conda", ".tar.bz2"}) {
    fs::path out = path("info" + ext);
    auto stats = extract_archive(repo / ("zlib-1.2.11-h7b6447c_3" + ext), out,
                                 {.part = ArchivePart::kInfoOnly});
    ASSERT_TRUE(stats) << stats.error().message();
    EXPECT_TRUE(fs::exists(out / "info/paths.json"));
    EXPECT_FALSE(fs::exists(out / "lib"));
    auto all = read_info_files(repo / ("zlib-1.2.11-h7b6447c_3" + ext));
    ASSERT_TRUE(all);
    EXPECT_TRUE(all->contains("info/has_prefix"));
    EXPECT_EQ(all->at("info/has_prefix"), read_bytes(out / "info/has_prefix"));
  }
}

TEST_F(ArchiveTest, WritesAndReadsBackBothFormats) {
  fs::path source = path("src");
  write_bytes(source / "info/index.json", R"({"name": "x"})");
  write_bytes(source / "bin/tool", "#!/bin/sh\necho hi\n");
  fs::permissions(source / "bin/tool", static_cast<fs::perms>(0755));
  write_bytes(source / "lib/libx.so.1", std::string("\x7f" "ELF\0\0binary", 12));
  fs::create_symlink("libx.so.1", source / "lib/libx.so");
  set_mtime_seconds(source / "bin/tool", 1'234'567'890);
  std::vector<std::string> paths = {"bin/tool", "info/index.json", "lib/libx.so",
                                    "lib/libx.so.1"};
  std::vector<ArchiveMember> members;
  for (const std::string& member : paths) members.push_back({member, source / member});
  for (ArchiveFormat format : {ArchiveFormat::kConda, ArchiveFormat::kTarBz2}) {
    fs::path output = path("x-1-0" + std::string(archive_extension(format)));
    auto written = write_archive(members, output, {.format = format, .zstd_level = 3});
    ASSERT_TRUE(written) << written.error().message();
    fs::path out = path("out" + std::string(archive_extension(format)));
    auto stats = extract_archive(output, out);
    ASSERT_TRUE(stats) << stats.error().message();
    EXPECT_EQ(stats->entries, 4u);
    for (const std::string& member : paths) {
      EXPECT_EQ(read_bytes(out / member), read_bytes(source / member)) << member;
    }
    EXPECT_EQ(fs::read_symlink(out / "lib/libx.so"), "libx.so.1");
    EXPECT_EQ(fs::status(out / "bin/tool").permissions() & fs::perms::all,
              static_cast<fs::perms>(0755));
    EXPECT_EQ(mtime_seconds(out / "bin/tool"), 1'234'567'890);
    auto again = write_archive(members, output, {.format = format});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
  }
  EXPECT_EQ(read_info_files(path("x-1-0.conda"))->at("info/index.json"), R"({"name": "x"})");
}

TEST_F(ArchiveTest, WriteRejectsBadRequests) {
  fs::create_directories(path("src"));
  EXPECT_EQ(write_archive({}, path("x.tar.bz2"), {.format = ArchiveFormat::kConda})
                .error().message(),
            "'x.tar.bz2' does not end in '.conda'");
  EXPECT_EQ(write_archive({}, path("x.conda"), {.zstd_level = 30}).error().message(),
            "zstd level 30 is out of range: use 1..22");
  EXPECT_EQ(write_archive({{"../x", path("src")}}, path("x.conda")).error().code(),
            ErrorCode::kInvalidArgument);
}

struct HostileCase {
  std::string name;
  std::vector<Member> members;
  std::string error;  // a substring of the message
};

std::vector<HostileCase> hostile_cases() {
  return {
      {"dotdot", {{.path = "../evil", .data = "x"}}, "'../evil' has a '..' component"},
      {"absolute", {{.path = "/tmp/graft-evil", .data = "x"}}, "is an absolute path"},
      {"symlink_out", {{.path = "lib/x", .type = AE_IFLNK, .data = "../../outside"}},
       "points outside the package"},
      {"symlink_absolute", {{.path = "x", .type = AE_IFLNK, .data = "/etc"}},
       "the target is absolute"},
      {"hardlink_out", {{.path = "x", .data = "../outside", .hardlink = true}},
       "'../outside' has a '..' component"},
      {"hardlink_unknown", {{.path = "x", .data = "etc/passwd", .hardlink = true}},
       "does not name a file extracted before it"},
      {"through_symlink",
       {{.path = "sub/f", .data = "1"},
        {.path = "d", .type = AE_IFLNK, .data = "sub"},
        {.path = "d/g", .data = "2"}},
       "'d/g'"},
      {"device", {{.path = "dev", .type = AE_IFCHR}}, "is a device, fifo or socket"},
      {"duplicate", {{.path = "a", .data = "1"}, {.path = "a", .data = "2"}}, "'a' appears twice"},
  };
}

TEST_F(ArchiveTest, RefusesHostileArchivesAndLeavesNothing) {
  for (const HostileCase& hostile : hostile_cases()) {
    for (std::string ext : {".tar.bz2", ".conda"}) {
      SCOPED_TRACE(hostile.name + ext);
      std::vector<Member> members = hostile.members;
      members.insert(members.begin(), Member{.path = "ok/first", .data = "fine"});
      fs::path file = path(hostile.name + ext);
      write_bytes(file, ext == ".conda" ? make_conda(members) : make_tarball(members, "bzip2"));
      fs::path staging = path("stage-" + hostile.name + ext);
      auto stats = extract_archive(file, staging);
      ASSERT_FALSE(stats);
      EXPECT_EQ(stats.error().code(), ErrorCode::kCorrupt);
      EXPECT_THAT(stats.error().message(), HasSubstr(hostile.error));
      EXPECT_THAT(stats.error().message(), HasSubstr(file.filename().string()));
      EXPECT_FALSE(fs::exists(staging));
    }
  }
  EXPECT_FALSE(fs::exists("/tmp/graft-evil"));
  EXPECT_FALSE(fs::exists(path("outside")));
}

TEST_F(ArchiveTest, TruncatedArchiveRemovesPartialOutputButKeepsCallersDirectory) {
  std::vector<Member> members = {{.path = "a", .data = std::string(300'000, 'a')},
                                 {.path = "b", .data = std::string(300'000, 'b')}};
  std::string whole = make_tarball(members, "bzip2");
  write_bytes(path("cut.tar.bz2"), whole.substr(0, whole.size() / 2));
  fs::create_directories(path("stage"));
  auto stats = extract_archive(path("cut.tar.bz2"), path("stage"));
  ASSERT_FALSE(stats);
  EXPECT_TRUE(fs::is_directory(path("stage")));
  EXPECT_TRUE(fs::is_empty(path("stage")));
}

TEST_F(ArchiveTest, ExtractErrors) {
  EXPECT_EQ(extract_archive(path("missing.conda"), path("o")).error().code(),
            ErrorCode::kNotFound);
  write_bytes(path("junk.conda"), "this is not a zip file");
  auto junk = extract_archive(path("junk.conda"), path("o"));
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.error().code(), ErrorCode::kCorrupt);
  EXPECT_THAT(junk.error().message(), HasSubstr("junk.conda': cannot open archive: "));
  EXPECT_FALSE(fs::exists(path("o")));
  write_bytes(path("full/x"), "x");
  write_bytes(path("ok.tar.bz2"), make_tarball({{.path = "a", .data = "1"}}, "bzip2"));
  EXPECT_EQ(extract_archive(path("ok.tar.bz2"), path("full")).error().code(),
            ErrorCode::kAlreadyExists);
  EXPECT_TRUE(fs::exists(path("full/x")));
}

}  // namespace
}  // namespace graft::conda
