// `graft list` on environments conda wrote (the oracle's conda-meta) and on empty ones.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/strings.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;

// Copies the oracle's s1_zlib conda-meta into <root>/envs/zlib with its placeholders
// ({CONF}, {T}, {TS}, {EPOCH}) substituted.
fs::path conda_made_environment(const fs::path& root) {
  const fs::path oracle = conformance_dir() / "oracle/conda-26.7.1/s1_zlib.conda-meta";
  const fs::path prefix = root / "envs/zlib";
  fs::create_directories(prefix / "conda-meta");
  for (const auto& entry : fs::directory_iterator(oracle)) {
    auto text = base::read_file(entry.path());
    std::string content = base::replace_all(*text, "{CONF}", conformance_dir().string());
    content = base::replace_all(content, "{TS}", "1542814864621");
    content = base::replace_all(content, "{EPOCH}", "1700000000");
    std::ofstream(prefix / "conda-meta" / entry.path().filename())
        << base::replace_all(content, "{T}", root.string());
  }
  return prefix;
}

TEST(EnvListTest, JsonMatchesCondaForACondaMadeEnvironment) {
  GRAFT_REQUIRE_CONFORMANCE();
  const fs::path root = scratch_dir();
  const fs::path prefix = conda_made_environment(root);
  auto run = graft({"list", "-p", prefix.string(), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto oracle = base::read_file(conformance_dir() / "oracle/conda-26.7.1/s1_list_json.out");
  // conda list --json ends without a newline.
  EXPECT_EQ(run.out, base::replace_all(*oracle, "{CONF}", conformance_dir().string()));
  EXPECT_EQ(run.err, "");
}

TEST(EnvListTest, TableByNameUnderTheRootPrefix) {
  GRAFT_REQUIRE_CONFORMANCE();
  const fs::path root = scratch_dir();
  const fs::path prefix = conda_made_environment(root);
  auto run = graft({"list", "-n", "zlib"}, {}, {"GRAFT_ROOT_PREFIX=" + root.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "# packages in environment at " + prefix.string() +
                         ":\n#\n"
                         "# Name                     Version          Build            Channel\n"
                         "zlib                       1.2.11           h7b6447c_3       file://" +
                         conformance_dir().string() + "/conda/conda_format_repo\n");
}

TEST(EnvListTest, UnknownEnvironmentSuggestsAName) {
  const fs::path root = scratch_dir();
  fs::create_directories(root / "envs/torch-cpu/conda-meta");
  auto run = graft({"list", "-n", "torch-cpo"}, {}, {"GRAFT_ROOT_PREFIX=" + root.string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "graft: error: environment 'torch-cpo' does not exist at " +
                         (root / "envs/torch-cpo").string() +
                         "\nhint: did you mean 'torch-cpu'?\n");
  EXPECT_EQ(run.out, "");
}

TEST(EnvListTest, EmptyEnvironmentListsNothing) {
  const fs::path prefix = scratch_dir() / "empty";
  fs::create_directories(prefix / "conda-meta");
  auto run = graft({"list", "-p", prefix.string(), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "[]");
}

}  // namespace
}  // namespace graft::e2e
