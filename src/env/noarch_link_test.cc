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

class NoarchLinkTest : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    prefix_ = dir_->path() / "envs/py";
  }

  // A "python" 3.12.1 that ships only bin/python3.12 (`interpreter` its text), as conda
  // needs: it runs and names bin/pythonX.Y, never bin/python.
  PackageToLink python_package(const std::string& interpreter) {
    return {.info = testing::load(
                testing::make_package(pkgs_, {.name = "python",
                                              .version = "3.12.1",
                                              .files = {{"bin/python3.12", interpreter}},
                                              .executables = {"bin/python3.12"}})),
            .requested_spec = "python=3.12"};
  }

  fs::path prefix_;
};

TEST_F(NoarchLinkTest, MapsSitePackagesWritesEntryPointsAndCompiles) {
  const fs::path& pkgs = pkgs_;
  const fs::path& prefix = prefix_;
  // Its interpreter logs its arguments and stdin instead of compiling.
  PackageToLink python =
      python_package("#!/bin/sh\necho \"$@\" > compile-args.txt\ncat > compile-input.txt\n");
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
  EXPECT_THAT(script, ::testing::StartsWith("#!" + prefix.string() + "/bin/python3.12\n"));
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
  EXPECT_FALSE(paths[3].size_in_bytes) << "the stand-in wrote no .pyc: no size, as conda";
  EXPECT_EQ(paths[4].path, "bin/tool");
  EXPECT_EQ(paths[4].path_type, "unix_python_entry_point");
  // conda records the size of the entry point it wrote.
  EXPECT_EQ(paths[4].size_in_bytes, fs::file_size(prefix / "bin/tool"));
}

TEST_F(NoarchLinkTest, NoPycRecordsWithoutLinkJsonAsConda) {
  const fs::path& pkgs = pkgs_;
  const fs::path& prefix = prefix_;
  PackageToLink python = python_package("#!/bin/sh\n");
  // noarch: python in its record, but no info/link.json (pip in conda's test channel).
  const fs::path bare_dir =
      testing::make_package(pkgs, {.name = "bare",
                                   .files = {{"site-packages/bare.py", "x = 1\n"}},
                                   .noarch = conda::NoarchKind::kPython});
  ASSERT_TRUE(fs::remove(bare_dir / "info/link.json"));
  PackageToLink bare{.info = testing::load(bare_dir)};
  ASSERT_EQ(bare.info.noarch, "python");
  TransactionOptions options{.command = "t", .script_environment = {{"PATH", "/bin:/usr/bin"}}};
  ASSERT_TRUE(apply(prefix, {}, {python, bare}, options));
  auto records = load_records(prefix);
  ASSERT_TRUE(records);
  ASSERT_EQ((*records)[0].name, "bare");
  EXPECT_THAT((*records)[0].files, ElementsAre("lib/python3.12/site-packages/bare.py"))
      << "mapped as noarch: python, but no __pycache__ entry";
}

TEST_F(NoarchLinkTest, NoarchPythonWithoutPythonIsAClearError) {
  const fs::path& pkgs = pkgs_;
  const auto& dir = dir_;
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
