// Byte-for-byte comparisons with what conda 26.7.1 wrote for the same packages
// (conformance/oracle/conda-26.7.1), after substituting the oracle's placeholders.
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/hash.h"
#include "base/strings.h"
#include "conda/archive.h"
#include "conda/repodata.h"
#include "env/history.h"
#include "env/testing.h"
#include "env/transaction.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using testing::read_text;

const fs::path kConformance = GRAFT_CONFORMANCE_DIR;
const fs::path kOracle = kConformance / "oracle/conda-26.7.1";

class CondaOracleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kOracle)) {
      GTEST_SKIP() << "conformance corpus absent (" << kOracle << "); skipping";
    }
    auto dir = base::TempDir::create("graft-oracle-");
    ASSERT_TRUE(dir);
    dir_ = std::make_unique<base::TempDir>(std::move(*dir));
    t_ = dir_->path().string();
    pkgs_ = dir_->path() / "root/pkgs";
    fs::create_directories(pkgs_);
  }

  // Extracts <channel>/<subdir>/<fn> into pkgs/ with the repodata_record.json conda writes.
  PackageToLink cache(const std::string& channel, const std::string& subdir, const std::string& fn,
                      std::string requested) {
    const fs::path subdir_dir = kConformance / channel / subdir;
    auto json = base::read_file(subdir_dir / "repodata.json");
    EXPECT_TRUE(json);
    conda::RepodataSource source{.subdir_url = "file://" + subdir_dir.string(),
                                 .duplicates = conda::DuplicateArchives::kKeepBoth};
    auto repodata = conda::parse_repodata(*json, source);
    EXPECT_TRUE(repodata) << repodata.error().message();
    const fs::path extracted = pkgs_ / conda::archive_stem(fn);
    EXPECT_TRUE(conda::extract_archive(subdir_dir / fn, extracted));
    for (const conda::PackageRecord& record : repodata->records) {
      if (record.fn != fn) continue;
      conda::PackageRecord cached = record;
      // conda's add_pip_as_python_dependency (on by default) adds pip to python's
      // depends when it loads the channel, so its cached record has it.
      if (cached.name == "python") cached.depends.push_back("pip");
      testing::write_text(extracted / "info/repodata_record.json",
                          conda::write_package_record(cached));
    }
    return PackageToLink{.info = testing::load(extracted), .requested_spec = std::move(requested)};
  }

  std::string substitute(std::string text) const {
    text = base::replace_all(text, t_, "{T}");
    return base::replace_all(text, kConformance.string(), "{CONF}");
  }

  std::unique_ptr<base::TempDir> dir_;
  std::string t_;
  fs::path pkgs_;
};

TEST_F(CondaOracleTest, ZlibRecordAndHistoryMatchConda) {
  const fs::path prefix = dir_->path() / "root/envs/zlib";
  PackageToLink zlib = cache("conda/conda_format_repo", "linux-64",
                             "zlib-1.2.11-h7b6447c_3.tar.bz2", "zlib");
  const std::string command = "conda create -p " + prefix.string() + " -c file://" +
                              kConformance.string() +
                              "/conda/conda_format_repo --override-channels --no-deps zlib";
  TransactionOptions options{.command = command, .update_specs = {"zlib"},
                             .script_environment = {{"PATH", "/bin"}}};
  auto result = apply(prefix, {}, {zlib}, options);
  ASSERT_TRUE(result) << result.error().message();

  // zlib.pc's rewritten bytes hold the prefix, so its digest is the oracle run's own.
  const std::string pc_digest = base::sha256_hex(read_text(prefix / "lib/pkgconfig/zlib.pc"));
  std::string ours = read_text(prefix / "conda-meta/zlib-1.2.11-h7b6447c_3.json");
  ours = base::replace_all(ours, pc_digest,
                           "661a092b9d1fac27ffe74a21f1438883022e0ed6f234a0ea60e3d8380f6d2261");
  ours = base::replace_all(substitute(ours), "1542814864621", "{TS}");
  EXPECT_EQ(ours, read_text(kOracle / "s1_zlib.conda-meta/zlib-1.2.11-h7b6447c_3.json"));

  std::string history = substitute(read_text(prefix / "conda-meta/history"));
  history.replace(4, 19, "{DATE}");
  EXPECT_EQ(history, read_text(kOracle / "s1_zlib.conda-meta/history"));

  EXPECT_EQ(read_text(prefix / "lib/pkgconfig/zlib.pc").find("/opt/anaconda1"), std::string::npos);
  // The archive stores lib/libz.so as an empty file though paths.json says softlink;
  // conda copies it (the oracle tree lists it with the empty file's digest).
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(prefix / "lib/libz.so")));
  EXPECT_EQ(fs::file_size(prefix / "lib/libz.so"), 0u);
}

TEST_F(CondaOracleTest, NoarchPythonRecordsMatchConda) {
  const fs::path prefix = dir_->path() / "root/envs/rec";
  const std::string channel = "conda/test-recipes";
  std::vector<PackageToLink> link = {
      cache(channel, "noarch", "pip-99.99.99-py399_0.conda", ""),
      cache(channel, "noarch", "python-3.99.99-0.conda", "python=3.99.99"),
      cache(channel, "noarch", "sample_noarch_python-1.0-py_0.conda", "sample_noarch_python")};
  TransactionOptions options{.command = "x", .script_environment = {{"PATH", "/bin"}}};
  auto result = apply(prefix, {}, link, options);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_TRUE(fs::exists(prefix / "lib/python3.99t/site-packages/sample.py"));
  for (const char* name : {"pip-99.99.99-py399_0.json", "python-3.99.99-0.json",
                           "sample_noarch_python-1.0-py_0.json"}) {
    std::string ours = substitute(read_text(prefix / "conda-meta" / name));
    const std::string oracle = read_text(kOracle / "s2_rec.conda-meta" / name);
    // Timestamps differ per build; take the oracle's placeholder.
    const std::size_t at = ours.find("\"timestamp\": ");
    ASSERT_NE(at, std::string::npos);
    const std::size_t end = ours.find(',', at);
    ours.replace(at + 13, end - at - 13, "{TS}");
    EXPECT_EQ(ours, oracle) << name;
  }
}

TEST_F(CondaOracleTest, TestRecipesLinkScriptsAndClobbers) {
  const std::string channel = "conda/test-recipes";
  TransactionOptions options{.command = "x", .script_environment = {{"PATH", "/usr/bin:/bin"}}};
  // post-link runs activated: the package's activate.d script sets TEST_VAR for it.
  auto activated = apply(dir_->path() / "root/envs/activated", {},
                         {cache(channel, "noarch", "post_link_run_in_env_package-1.0-0.conda", "")},
                         options);
  ASSERT_TRUE(activated) << activated.error().message();
  EXPECT_THAT(activated->messages,
              ::testing::ElementsAre("TEST_VAR is set to :1:\nSuccess: TEST_VAR is set correctly\n"));

  const fs::path failed_prefix = dir_->path() / "root/envs/failed";
  auto failed = apply(failed_prefix, {},
                      {cache(channel, "noarch", "failing_post_link-1.0-0.conda", "")}, options);
  ASSERT_FALSE(failed);
  EXPECT_THAT(failed.error().message(),
              ::testing::StartsWith("post-link script failed for package "
                                    "'failing_post_link-1.0-0': exit code 1"));
  EXPECT_FALSE(fs::exists(failed_prefix));

  auto clobbered = apply(dir_->path() / "root/envs/clobber", {},
                         {cache(channel, "noarch", "clobber-a-1.0-0.conda", ""),
                          cache(channel, "noarch", "clobber-b-1.0-0.conda", "")},
                         options);
  ASSERT_TRUE(clobbered) << clobbered.error().message();
  EXPECT_THAT(clobbered->warnings,
              ::testing::ElementsAre("'bin/clobber-test-file' is in both 'clobber-a' and "
                                     "'clobber-b': the file of 'clobber-b' is kept"));
  EXPECT_EQ(read_text(dir_->path() / "root/envs/clobber/bin/clobber-test-file"), "clobber-b\n");
}

}  // namespace
}  // namespace graft::env
