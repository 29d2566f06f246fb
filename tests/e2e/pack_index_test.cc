// `graft pack` and `graft index` end to end: real binary, real files, and Debian's
// conda-package-handling (`cph`) as an independent reader of what graft writes.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/hash.h"
#include "base/subprocess.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kPlaceholder[] = "/opt/anaconda1anaconda2anaconda3";
const std::vector<std::string> kFixedTime = {"SOURCE_DATE_EPOCH=1700000000"};

// A compiled-style package: a script and a binary that both hold the prefix placeholder.
fs::path make_native_source(const fs::path& root) {
  fs::path source = root / "hello-src";
  write(source / "bin/hello", std::string("#!") + kPlaceholder + "/bin/sh\necho hello\n");
  fs::permissions(source / "bin/hello", static_cast<fs::perms>(0755));
  write(source / "lib/libhello.so",
        std::string("\x7f" "ELF\0\0", 6) + kPlaceholder + std::string(8, '\0') + "end");
  return source;
}

// A noarch: python package with one module.
fs::path make_python_source(const fs::path& root) {
  fs::path source = root / "hello-py-src";
  write(source / "site-packages/hello_py/__init__.py", "def main():\n    print('hi')\n");
  return source;
}

// Extracts with conda-package-handling; false (and a recorded reason) when cph is absent.
bool cph_extract(const fs::path& package, const fs::path& destination, std::string* skip) {
  base::ProcessOptions options;
  options.argv = {"cph", "x", package.string(), "--dest", destination.string()};
  auto run = base::run_process(options);
  if (!run && run.error().code() == ErrorCode::kNotFound) {
    *skip = "conda-package-handling ('cph') is not installed";
    return false;
  }
  EXPECT_TRUE(run) << run.error().message();
  if (run) {
    EXPECT_EQ(run->exit_code, 0) << run->stderr_text;
  }
  return true;
}

class PackIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = scratch_dir();
    channel_ = root_ / "channel";
    fs::create_directories(channel_ / "linux-64");
    fs::create_directories(channel_ / "noarch");
  }
  e2e::Run pack_native(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"pack", make_native_source(root_).string(),
                                     "--name", "hello", "--version", "1.0",
                                     "--depends", "libgcc-ng >=7.3", "--license", "MIT",
                                     "--prefix-placeholder", kPlaceholder,
                                     "--subdir", "linux-64",
                                     "--output-dir", (channel_ / "linux-64").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return graft(args, root_, kFixedTime);
  }
  e2e::Run pack_python() {
    return graft({"pack", make_python_source(root_).string(), "--name", "hello-py",
                  "--version", "2.0", "--noarch", "python", "--depends", "python >=3.8",
                  "--entry-point", "hello-py = hello_py:main", "--format", "tar.bz2",
                  "--output-dir", (channel_ / "noarch").string()},
                 root_, kFixedTime);
  }

  fs::path root_;
  fs::path channel_;
};

TEST_F(PackIndexTest, PackIndexAndExtractWithCph) {
  e2e::Run native = pack_native();
  ASSERT_EQ(native.exit_code, 0) << native.err;
  EXPECT_THAT(native.out, EndsWith("linux-64/hello-1.0-0.conda\n"));
  e2e::Run python = pack_python();
  ASSERT_EQ(python.exit_code, 0) << python.err;
  EXPECT_THAT(python.out, EndsWith("noarch/hello-py-2.0-py_0.tar.bz2\n"));

  e2e::Run index = graft({"index", channel_.string()}, root_);
  ASSERT_EQ(index.exit_code, 0) << index.err;
  EXPECT_EQ(index.out, "linux-64: 1 .conda, 0 .tar.bz2\nnoarch: 0 .conda, 1 .tar.bz2\n");

  fs::path native_file = channel_ / "linux-64/hello-1.0-0.conda";
  auto digests = base::file_digests(native_file);
  ASSERT_TRUE(digests);
  Json linux64 = Json::parse(read(channel_ / "linux-64/repodata.json"));
  EXPECT_EQ(linux64["info"]["subdir"], "linux-64");
  EXPECT_EQ(linux64["repodata_version"], 1);
  Json expected = Json::parse(R"({
      "build": "0", "build_number": 0, "depends": ["libgcc-ng >=7.3"], "license": "MIT",
      "name": "hello", "subdir": "linux-64", "timestamp": 1700000000000, "version": "1.0"})");
  expected["md5"] = digests->md5;
  expected["sha256"] = digests->sha256;
  expected["size"] = digests->size;
  EXPECT_EQ(linux64["packages.conda"]["hello-1.0-0.conda"], expected) << linux64.dump(2);
  Json noarch = Json::parse(read(channel_ / "noarch/repodata.json"));
  Json python_record = noarch["packages"]["hello-py-2.0-py_0.tar.bz2"];
  EXPECT_EQ(python_record["noarch"], "python");
  EXPECT_EQ(python_record["build"], "py_0");
  EXPECT_EQ(python_record["depends"], Json::array({"python >=3.8"}));
  EXPECT_EQ(noarch["packages.conda"], Json::object());

  std::string skip;
  fs::path native_out = root_ / "cph-native";
  if (!cph_extract(native_file, native_out, &skip)) GTEST_SKIP() << skip;
  EXPECT_EQ(read(native_out / "bin/hello"), read(root_ / "hello-src/bin/hello"));
  EXPECT_EQ(read(native_out / "lib/libhello.so"), read(root_ / "hello-src/lib/libhello.so"));
  EXPECT_EQ(read(native_out / "info/has_prefix"), std::string(kPlaceholder) + " text bin/hello\n" +
                                                      kPlaceholder + " binary lib/libhello.so\n");
  Json paths = Json::parse(read(native_out / "info/paths.json"));
  EXPECT_EQ(paths["paths_version"], 1);
  EXPECT_EQ(paths["paths"][0]["file_mode"], "text");
  EXPECT_EQ(paths["paths"][0]["prefix_placeholder"], kPlaceholder);
  EXPECT_EQ(paths["paths"][1]["file_mode"], "binary");
  EXPECT_EQ(read(native_out / "info/files"), "bin/hello\nlib/libhello.so\n");
  Json index_json = Json::parse(read(native_out / "info/index.json"));
  EXPECT_EQ(index_json["arch"], "x86_64");
  EXPECT_EQ(index_json["platform"], "linux");

  fs::path python_out = root_ / "cph-python";
  ASSERT_TRUE(cph_extract(channel_ / "noarch/hello-py-2.0-py_0.tar.bz2", python_out, &skip));
  EXPECT_EQ(Json::parse(read(python_out / "info/link.json")), Json::parse(R"({
      "noarch": {"type": "python", "entry_points": ["hello-py = hello_py:main"]},
      "package_metadata_version": 1})"));
  EXPECT_EQ(read(python_out / "site-packages/hello_py/__init__.py"),
            "def main():\n    print('hi')\n");
}

TEST_F(PackIndexTest, ExistingOutputNeedsForce) {
  ASSERT_EQ(pack_native().exit_code, 0);
  e2e::Run again = pack_native();
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("hello-1.0-0.conda' already exists"));
  EXPECT_THAT(again.err, HasSubstr("hint: pass --force to replace it"));
  e2e::Run forced = pack_native({"--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
}

TEST_F(PackIndexTest, ErrorsAreClearAndWriteNothing) {
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"pack", "missing-dir", "--name", "a", "--version", "1"}, 1,
       "graft: error: package directory 'missing-dir' does not exist\n"},
      {{"pack", ".", "--name", "a", "--version", "1.0-1"}, 2,
       "graft: error: '1.0-1' is not a valid version: conda versions may not contain '-' or "
       "spaces\n"},
      {{"pack", ".", "--name", "a", "--version", "1", "--depends", ">=1.0"}, 2,
       "graft: error: '>=1.0' is not a valid dependency: it must start with a package name\n"},
      {{"pack", ".", "--name", "a", "--version", "1", "--depends", "numpy >=1&"}, 2,
       "graft: error: 'numpy >=1&' is not a valid dependency: invalid match spec"},
      {{"pack", ".", "--name", "a", "--version", "1", "--entry-point", "x = y:z"}, 2,
       "graft: error: entry points need a noarch: python package\n"},
      {{"index", "no-such-channel"}, 1,
       "graft: error: channel directory 'no-such-channel' does not exist\n"},
  };
  for (const Case& c : cases) {
    e2e::Run run = graft(c.args, root_);
    EXPECT_EQ(run.exit_code, c.exit_code) << c.args[1] << " " << run.err;
    EXPECT_THAT(run.err, HasSubstr(c.error));
  }
  for (const auto& entry : fs::directory_iterator(root_)) {
    EXPECT_NE(entry.path().extension(), ".conda") << entry.path();
  }
}

TEST_F(PackIndexTest, IndexSkipsBrokenPackagesWithAWarning) {
  ASSERT_EQ(pack_native().exit_code, 0);
  write(channel_ / "linux-64/broken-1.0-0.tar.bz2", "not bzip2");
  e2e::Run index = graft({"index", channel_.string(), "--json"}, root_);
  ASSERT_EQ(index.exit_code, 0) << index.err;
  EXPECT_THAT(index.err, HasSubstr("graft: warning: skipped 'linux-64/broken-1.0-0.tar.bz2': "));
  Json summary = Json::parse(index.out);
  EXPECT_EQ(summary["subdirs"][0], Json::parse(R"({"subdir": "linux-64", "packages": 0,
      "packages.conda": 1})"));
  EXPECT_EQ(summary["skipped"].size(), 1u);
}

}  // namespace
}  // namespace graft::e2e
