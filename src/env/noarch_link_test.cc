// Linking noarch: python packages: path mapping, entry points, .pyc compilation through
// the environment's python (a stand-in script that records how it was called).
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "env/prefix_data.h"
#include "env/testing.h"
#include "env/transaction.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using testing::read_text;

TEST(NoarchLinkTest, MapsSitePackagesWritesEntryPointsAndCompiles) {
  auto dir = base::TempDir::create("graft-noarch-");
  ASSERT_TRUE(dir);
  const fs::path pkgs = dir->path() / "pkgs";
  const fs::path prefix = dir->path() / "envs/py";
  fs::create_directories(pkgs);
  // A "python" whose interpreter logs its arguments and stdin instead of compiling.
  PackageToLink python{.info = testing::load(testing::make_package(
                           pkgs, {.name = "python",
                                  .version = "3.12.1",
                                  .files = {{"bin/python",
                                             "#!/bin/sh\necho \"$@\" > compile-args.txt\n"
                                             "cat > compile-input.txt\n"}},
                                  .executables = {"bin/python"}})),
                       .requested_spec = "python=3.12"};
  PackageToLink tool{
      .info = testing::load(testing::make_package(
          pkgs, {.name = "tool",
                 .files = {{"site-packages/tool/__init__.py", "def main():\n    return 0\n"},
                           {"site-packages/tool/data.txt", "x"},
                           {"python-scripts/tool-helper", "#!/bin/sh\n"}},
                 .noarch = conda::NoarchKind::kPython,
                 .entry_points = {"tool = tool:main"}})),
      .requested_spec = "tool"};
  TransactionOptions options{.command = "t", .script_environment = {{"PATH", "/bin:/usr/bin"}}};
  auto result = apply(prefix, {}, {python, tool}, options);
  ASSERT_TRUE(result) << result.error().message();

  const std::string site = "lib/python3.12/site-packages";
  EXPECT_TRUE(fs::exists(prefix / site / "tool/__init__.py"));
  EXPECT_TRUE(fs::exists(prefix / "bin/tool-helper"));
  const std::string script = read_text(prefix / "bin/tool");
  EXPECT_THAT(script, ::testing::StartsWith("#!" + prefix.string() + "/bin/python\n"));
  EXPECT_THAT(script, ::testing::HasSubstr("from tool import main\n"));
  EXPECT_EQ(fs::status(prefix / "bin/tool").permissions() & fs::perms::owner_exec,
            fs::perms::owner_exec);
  EXPECT_EQ(read_text(prefix / "compile-args.txt"), "-Wi -m compileall -q -l -i - -j 0\n");
  EXPECT_EQ(read_text(prefix / "compile-input.txt"), site + "/tool/__init__.py\n");

  auto records = load_records(prefix);
  ASSERT_TRUE(records);
  const conda::PrefixRecord& record = (*records)[1];
  ASSERT_EQ(record.name, "tool");
  EXPECT_THAT(record.files,
              ElementsAre("bin/tool-helper", site + "/tool/__init__.py", site + "/tool/data.txt",
                          site + "/tool/__pycache__/__init__.cpython-312.pyc", "bin/tool"));
  const auto& paths = record.paths_data->paths;
  ASSERT_EQ(paths.size(), 5u);
  EXPECT_EQ(paths[1].path, "site-packages/tool/__init__.py") << "conda keeps the package path";
  EXPECT_EQ(paths[3].path_type, "pyc_file");
  EXPECT_EQ(paths[4].path, "bin/tool");
  EXPECT_EQ(paths[4].path_type, "unix_python_entry_point");
}

TEST(NoarchLinkTest, NoarchPythonWithoutPythonIsAClearError) {
  auto dir = base::TempDir::create("graft-noarch-");
  ASSERT_TRUE(dir);
  const fs::path pkgs = dir->path() / "pkgs";
  fs::create_directories(pkgs);
  PackageToLink tool{.info = testing::load(testing::make_package(
                         pkgs, {.name = "tool",
                                .files = {{"site-packages/tool.py", ""}},
                                .noarch = conda::NoarchKind::kPython}))};
  auto result = apply(dir->path() / "envs/x", {}, {tool}, {.script_environment = {{"PATH", "/bin"}}});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(),
            "linking 'tool-1.0-py_0': 'tool' is a noarch: python package but the environment "
            "has no python");
  EXPECT_EQ(result.error().hint(), "install python in the same transaction or before");
  EXPECT_FALSE(fs::exists(dir->path() / "envs/x"));
}

}  // namespace
}  // namespace graft::env
