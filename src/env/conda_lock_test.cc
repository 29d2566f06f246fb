#include "env/conda_lock.h"

#include <filesystem>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const fs::path kConformance = GRAFT_CONFORMANCE_DIR;

constexpr std::string_view kLock = R"(version: 1
metadata:
  channels:
    - url: conda-forge
      used_env_vars: []
  platforms: [linux-64, osx-arm64]
package:
  - name: zlib
    version: 1.2.13
    manager: conda
    platform: linux-64
    dependencies:
      libgcc-ng: ">=12"
      tzdata: ""
    url: https://conda.anaconda.org/conda-forge/linux-64/zlib-1.2.13-hd590300_5.conda
    hash:
      md5: 68c34ec6149623be41a1933ab996a209
      sha256: 9887a04d7e7cb14bd2b52fa01858f05a6d7f002c890f618d9fcd864adbfecb1b
    category: main
    optional: false
  - name: zlib
    version: 1.2.13
    manager: conda
    platform: linux-64
    url: https://conda.anaconda.org/conda-forge/linux-64/zlib-1.2.13-hd590300_5.conda
    hash: {md5: 68c34ec6149623be41a1933ab996a209}
    category: dev
    optional: true
  - name: pytest
    version: "8.0"
    manager: conda
    platform: linux-64
    url: https://conda.anaconda.org/conda-forge/noarch/pytest-8.0-pyh_0.conda
    hash: {sha256: 1dd3fffd892081df9726d7eb7e0dea6198962ba775bd88842135a4ddb4deb3c9}
    category: dev
    optional: true
  - name: six
    version: 1.17.0
    manager: pip
    platform: linux-64
    url: https://files.pythonhosted.org/packages/b7/ce/six-1.17.0-py2.py3-none-any.whl
    hash: {sha256: 4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274}
  - name: zlib
    version: 1.2.13
    manager: conda
    platform: osx-arm64
    url: https://conda.anaconda.org/conda-forge/osx-arm64/zlib-1.2.13-h53f4e23_5.conda
    hash: {md5: 1a47f5236db2e06a320ffa0392f81bd8}
)";

TEST(CondaLockTest, ReadsPackagesAndSelectsByPlatformAndCategory) {
  auto lock = parse_conda_lock(kLock, "conda-lock.yml");
  ASSERT_TRUE(lock) << lock.error().message();
  EXPECT_THAT(lock->platforms, ElementsAre("linux-64", "osx-arm64"));
  EXPECT_THAT(lock->channels, ElementsAre("conda-forge"));
  ASSERT_EQ(lock->packages.size(), 5u);
  const LockedPackage& zlib = lock->packages[0];
  EXPECT_EQ(zlib.version, "1.2.13");
  EXPECT_THAT(zlib.depends, ElementsAre("libgcc-ng >=12", "tzdata"));
  EXPECT_EQ(lock->packages[3].manager, LockManager::kPip);
  EXPECT_EQ(lock->packages[3].category, "main");

  auto names = [](const std::vector<LockedPackage>& packages) {
    std::vector<std::string> out;
    for (const auto& package : packages) out.push_back(package.name + "@" + package.category);
    return out;
  };
  EXPECT_THAT(names(select_packages(*lock, "linux-64", {"main"})),
              ElementsAre("zlib@main", "six@main"));
  EXPECT_THAT(names(select_packages(*lock, "linux-64", {"main", "dev"})),
              ElementsAre("zlib@main", "pytest@dev", "six@main"));
  EXPECT_THAT(names(select_packages(*lock, "osx-arm64", {"main"})), ElementsAre("zlib@main"));
  EXPECT_TRUE(select_packages(*lock, "win-64", {"main"}).empty());

  auto record = locked_record(zlib);
  ASSERT_TRUE(record) << record.error().message();
  EXPECT_EQ(record->build, "hd590300_5");
  EXPECT_EQ(record->subdir, "linux-64");
  EXPECT_EQ(record->channel, "https://conda.anaconda.org/conda-forge/linux-64");
  EXPECT_EQ(record->sha256, zlib.sha256);
  EXPECT_EQ(record->md5, zlib.md5);
  EXPECT_EQ(record->depends, zlib.depends);
}

TEST(CondaLockTest, ErrorsAreLocated) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"version: 2\npackage: []\n",
       "l.yml:1: unsupported lock file version '2': graft reads conda-lock version 1\n"
       "version: 2\n         ^"},
      {"package: []\n", "l.yml:1: no 'version' key: not a conda-lock file"},
      {"version: 1\npackage:\n  - name: a\n    version: 1\n    platform: linux-64\n",
       "l.yml:3: package 'a' has no 'manager'"},
      {"version: 1\npackage:\n  - name: a\n    version: 1\n    manager: npm\n",
       "l.yml:5: package 'a' has manager 'npm': expected 'conda' or 'pip'"},
      {"version: 1\npackage:\n  - {name: a, version: 1, manager: conda, platform: linux-64, "
       "url: 'https://h/c/linux-64/a-1-0.conda', hash: {}}\n",
       "l.yml:3: package 'a' has a hash without md5 or sha256"},
      {"version: 1\npackage: {a: 1}\n", "l.yml:2: 'package' must be a list, got a map"},
      {"version: 1\npackage: [\n", "l.yml:"},
  };
  for (const Case& test : cases) {
    auto lock = parse_conda_lock(test.text, "l.yml");
    ASSERT_FALSE(lock) << test.text;
    EXPECT_EQ(lock.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(lock.error().message(), ::testing::StartsWith(test.message)) << test.text;
  }
}

TEST(CondaLockTest, RecognizesLockFiles) {
  EXPECT_TRUE(looks_like_conda_lock(kLock));
  EXPECT_FALSE(looks_like_conda_lock("name: x\ndependencies:\n  - a\n"));
  EXPECT_FALSE(looks_like_conda_lock("@EXPLICIT\nhttps://h/c/noarch/a-1-0.conda\n"));
}

// Each lock file of the corpus: its conda and pip packages for linux-64's "main" category,
// or the error it must give.
struct Expected {
  std::size_t conda = 0;
  std::size_t pip = 0;
  std::string error;
};

TEST(CondaLockTest, CorpusLockFiles) {
  if (!fs::exists(kConformance)) GTEST_SKIP() << "conformance corpus absent: " << kConformance;
  const std::map<std::string, Expected> table = {
      // Its hash, manager and optional fields are commented out.
      {"mamba/env_lockfile/bad_package-lock.yaml",
       {.error = "package '_libgcc_mutex' has no "
                 "'manager'"}},
      {"mamba/env_lockfile/bad_version-lock.yaml",
       {.error = "unsupported lock file version "
                 "'-1'"}},
      {"mamba/env_lockfile/good_multiple_categories-lock.yaml", {.conda = 3, .pip = 5}},
      {"mamba/env_lockfile/good_multiple_packages-lock.yaml", {.conda = 6, .pip = 2}},
      {"mamba/env_lockfile/good_no_package-lock.yaml", {}},
      {"mamba/env_lockfile/good_one_package-lock.yaml", {}},  // win-64 only
      {"mamba/env_lockfile/good_one_package_missing_category-lock.yaml", {}},
      {"mamba/env_lockfile/good_overlap_categories-lock.yaml", {}},  // no "main" packages
      {"mamba/micromamba/env_lockfiles/envlockfile-check-step-1-lock.yaml", {.conda = 190}},
      {"mamba/micromamba/env_lockfiles/envlockfile-check-step-2-lock.yaml", {.conda = 64}},
      {"mamba/micromamba/env_lockfiles/test-env-lock-pip-git-https.yaml", {.conda = 23, .pip = 2}},
      {"mamba/micromamba/env_lockfiles/test-env-lock.yaml", {.conda = 6}},
      {"mamba/micromamba/env_lockfiles/test-env-pip-lock.yaml", {.conda = 23, .pip = 2}},
  };
  for (const auto& [relative, expected] : table) {
    auto text = base::read_file(kConformance / relative);
    ASSERT_TRUE(text) << relative;
    EXPECT_TRUE(looks_like_conda_lock(*text)) << relative;
    auto lock = parse_conda_lock(*text, relative);
    if (!expected.error.empty()) {
      ASSERT_FALSE(lock) << relative;
      EXPECT_THAT(lock.error().message(), HasSubstr(relative + ":")) << relative;
      EXPECT_THAT(lock.error().message(), HasSubstr(expected.error)) << relative;
      continue;
    }
    ASSERT_TRUE(lock) << lock.error().message();
    std::size_t conda = 0;
    std::size_t pip = 0;
    for (const auto& package : select_packages(*lock, "linux-64", {"main"})) {
      (package.manager == LockManager::kPip ? pip : conda) += 1;
      if (package.manager == LockManager::kConda) {
        auto record = locked_record(package);
        EXPECT_TRUE(record) << relative << ": " << record.error().message();
      }
    }
    EXPECT_EQ(conda, expected.conda) << relative;
    EXPECT_EQ(pip, expected.pip) << relative;
  }
  auto overlap = parse_conda_lock(
      *base::read_file(kConformance / "mamba/env_lockfile/good_overlap_categories-lock.yaml"), "o");
  ASSERT_TRUE(overlap);
  EXPECT_EQ(select_packages(*overlap, "linux-64", {"foo", "bar"}).size(), 5u);
}

}  // namespace
}  // namespace graft::env
