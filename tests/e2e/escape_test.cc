// Hostile packages built with `graft pack` can not write or delete outside the prefix:
// three packages whose symlinks combine into a way out (a: `x/y -> ..`, b: `x/y/z -> ..`,
// c: `x/y/z/evil.txt`), an entry point named `../../x`, and conda-meta records that list
// paths outside. Each is refused with a clear error and the environment stays as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/strings.h"
#include "conda/package_builder.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class EscapeTest : public ChannelTest {
 protected:
  void SetUp() override {
    ChannelTest::SetUp();
    pack("a", {}, {{"x/y", ".."}});
    pack("b", {}, {{"x/y/z", ".."}});
    pack("c", {{"x/y/z/evil.txt", "pwned\n"}}, {});
    pack("d", {{"share/d.txt", "d\n"}}, {});
    ASSERT_EQ(graft({"index", channel_.string()}).exit_code, 0);
  }

  void pack(const std::string& name, const std::map<std::string, std::string>& files,
            const std::map<std::string, std::string>& symlinks,
            const std::vector<std::string>& extra = {"--noarch", "generic"},
            const std::string& subdir = "noarch") {
    const fs::path source = dir_ / ("src-" + name);
    fs::create_directories(source);
    for (const auto& [path, content] : files) {
      write(source / path, content);
      if (base::starts_with(path, "bin/")) fs::permissions(source / path, fs::perms(0755));
    }
    for (const auto& [path, target] : symlinks) {
      fs::create_directories((source / path).parent_path());
      fs::create_symlink(target, source / path);
    }
    std::vector<std::string> args = {
        "pack",      source.string(), "--name",       name,
        "--version", "1.0",           "--output-dir", (channel_ / subdir).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const e2e::Run packed = graft(args);
    ASSERT_EQ(packed.exit_code, 0) << packed.err;
  }

  // Every path under the scratch directory but the channel, the package cache and the
  // sources: what the tests must find unchanged outside the environments.
  std::vector<std::string> scratch() const {
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(dir_); it != fs::recursive_directory_iterator();
         ++it) {
      const std::string relative = fs::relative(it->path(), dir_).string();
      if (base::starts_with(relative, "channel") || base::starts_with(relative, "root/pkgs") ||
          base::starts_with(relative, "src-") || base::starts_with(relative, "home") ||
          base::starts_with(relative, "root/envs/e")) {
        if (it->is_directory() && !it->is_symlink()) it.disable_recursion_pending();
        continue;
      }
      found.push_back(relative);
    }
    return found;
  }
};

TEST_F(EscapeTest, SymlinksOfThreePackagesNeverLeadOutside) {
  ASSERT_EQ(verb({"create", "-n", "e", "a"}).exit_code, 0);
  const fs::path prefix = root_ / "envs/e";
  const std::vector<std::string> before = listing(prefix);
  const std::vector<std::string> outside = scratch();

  const e2e::Run b = verb({"install", "-n", "e", "b"});
  EXPECT_NE(b.exit_code, 0);
  EXPECT_THAT(b.err, HasSubstr("graft: error: linking 'b-1.0-0': cannot make directory 'x/y': "
                               "it is a symlink\n"));
  EXPECT_THAT(b.err, HasSubstr("hint: another package (or a user) put a symlink where this "
                               "package needs a directory"));
  const e2e::Run bc = verb({"install", "-n", "e", "b", "c"});
  EXPECT_NE(bc.exit_code, 0);
  EXPECT_THAT(bc.err, HasSubstr("linking 'c-1.0-0': cannot place 'x/y/z/evil.txt': 'x/y/z' is a "
                                "symlink of 'b-1.0-0', not a directory"));
  EXPECT_EQ(listing(prefix), before);

  const e2e::Run together = verb({"create", "-n", "f", "a", "b", "c"});
  EXPECT_NE(together.exit_code, 0);
  EXPECT_THAT(together.err, HasSubstr("cannot place 'x/y/z': 'x/y' is a symlink of 'a-1.0-0', "
                                      "not a directory"));
  EXPECT_FALSE(fs::exists(root_ / "envs/f"));
  EXPECT_EQ(scratch(), outside);
  EXPECT_FALSE(fs::exists(root_ / "envs/evil.txt"));
  EXPECT_FALSE(fs::exists(root_ / "evil.txt"));
}

TEST_F(EscapeTest, EntryPointThatClimbsOutIsRefused) {
  const std::string native(conda::native_subdir());
  pack("python", {{"bin/python", "#!/bin/sh\n"}}, {}, {"--subdir", native}, native);
  pack("tool", {{"site-packages/tool/__init__.py", "def main(): pass\n"}}, {},
       {"--noarch", "python", "--entry-point", "../../../victim.txt = tool:main"});
  ASSERT_EQ(graft({"index", channel_.string()}).exit_code, 0);
  write(root_ / "victim.txt", "precious\n");
  ASSERT_EQ(verb({"create", "-n", "e", "python"}).exit_code, 0);
  const std::vector<std::string> before = listing(root_ / "envs/e");

  const e2e::Run run = verb({"install", "-n", "e", "tool"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.err, HasSubstr("graft: error: linking 'tool-1.0-py_0': unsafe path: "
                                 "'bin/../../../victim.txt' has a '..' component\n"));
  EXPECT_EQ(read(root_ / "victim.txt"), "precious\n");
  EXPECT_EQ(listing(root_ / "envs/e"), before);
}

TEST_F(EscapeTest, RemoveNeverDeletesOutsideWhateverTheRecordLists) {
  ASSERT_EQ(verb({"create", "-n", "e", "d"}).exit_code, 0);
  const fs::path prefix = root_ / "envs/e";
  write(root_ / "victim.txt", "precious\n");
  fs::create_symlink("../..", prefix / "up");
  const fs::path record = prefix / "conda-meta/d-1.0-0.json";
  const std::string original = read(record);
  ASSERT_THAT(original, HasSubstr("\"share/d.txt\""));

  auto edit = [&](const std::string& listed) {
    auto edited = base::write_file_atomic(
        record, base::replace_all(original, "\"files\": [\n    \"share/d.txt\"",
                                  "\"files\": [\n    \"" + listed + "\",\n    \"share/d.txt\""));
    ASSERT_TRUE(edited);
    ASSERT_THAT(read(record), HasSubstr(listed));
  };
  const std::vector<std::string> remove = {
      "remove", "--root-prefix", root_.string(), "-n", "e", "d", "-y"};
  edit("../../victim.txt");
  const e2e::Run refused = graft(remove, dir_);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err,
              HasSubstr("names an unsafe path: '../../victim.txt' has a '..' component"));
  EXPECT_EQ(read(prefix / "share/d.txt"), "d\n");

  edit("up/victim.txt");
  const e2e::Run removed = graft(remove, dir_);
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_FALSE(fs::exists(prefix / "share/d.txt"));
  EXPECT_EQ(read(root_ / "victim.txt"), "precious\n");
}

}  // namespace
}  // namespace graft::e2e
