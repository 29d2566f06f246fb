#include "env/explicit_file.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/strings.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

const fs::path kConformance = GRAFT_CONFORMANCE_DIR;

TEST(ExplicitFileTest, ReadsUrlsWithEveryChecksumForm) {
  const std::string text =
      "# platform: linux-64\n"
      "@EXPLICIT\n"
      "\n"
      "https://conda.anaconda.org/conda-forge/linux-64/_libgcc_mutex-0.1-conda_forge.tar.bz2\n"
      "https://repo.anaconda.com/pkgs/main/noarch/tzdata-2024a-h04d1e81_0.conda"
      "#4e4d4d5d7f1d10f4f5b8b2c8b3dbbb4c\n"
      "file:///srv/chan/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2"
      "#1f07873d6aa0cd18760a7b215d9956f7fa63c2f2761b03f293c659fe982923fa\n"
      "file:///srv/chan/noarch/ml-kit-2.0.1-py_0.conda"
      "#sha256:0f4ef520a859d195e27976d826dcd32c0bfeabb92ea5b0cc5f9501043446ce51\n";
  auto list = parse_package_list(text, "env.txt", "/work");
  ASSERT_TRUE(list) << list.error().message();
  EXPECT_EQ(list->kind, PackageListKind::kExplicit);
  ASSERT_EQ(list->packages.size(), 4u);
  const auto& mutex = list->packages[0];
  EXPECT_EQ(mutex.name, "_libgcc_mutex");
  EXPECT_EQ(mutex.version, "0.1");
  EXPECT_EQ(mutex.build, "conda_forge");
  EXPECT_EQ(mutex.subdir, "linux-64");
  EXPECT_EQ(mutex.fn, "_libgcc_mutex-0.1-conda_forge.tar.bz2");
  EXPECT_EQ(mutex.channel, "https://conda.anaconda.org/conda-forge/linux-64");
  EXPECT_TRUE(mutex.md5.empty() && mutex.sha256.empty());
  EXPECT_EQ(list->packages[1].md5, "4e4d4d5d7f1d10f4f5b8b2c8b3dbbb4c");
  EXPECT_EQ(list->packages[1].subdir, "noarch");
  EXPECT_EQ(list->packages[2].sha256,
            "1f07873d6aa0cd18760a7b215d9956f7fa63c2f2761b03f293c659fe982923fa");
  EXPECT_EQ(list->packages[3].name, "ml-kit");
  EXPECT_EQ(list->packages[3].version, "2.0.1");
  EXPECT_EQ(list->packages[3].sha256,
            "0f4ef520a859d195e27976d826dcd32c0bfeabb92ea5b0cc5f9501043446ce51");
  EXPECT_EQ(explicit_spec(list->packages[2]), "file:///srv/chan/linux-64::zlib==1.2.11=h7b6447c_3");
}

TEST(ExplicitFileTest, LocalPathsBecomeFileUrls) {
  auto list = parse_package_list("@EXPLICIT\n./pkgs/a-1.0-0.conda\n/abs/noarch/b-2-1.tar.bz2\n",
                                 "x.txt", "/home/me");
  ASSERT_TRUE(list) << list.error().message();
  EXPECT_EQ(list->packages[0].url, "file:///home/me/pkgs/a-1.0-0.conda");
  EXPECT_EQ(list->packages[0].subdir, "");
  EXPECT_EQ(list->packages[1].url, "file:///abs/noarch/b-2-1.tar.bz2");
}

TEST(ExplicitFileTest, SpecListsKeepSpecsAndDropComments) {
  auto list = parse_package_list(
      "# comment\n\nnumpy >=1.26  # the array library\nzlib==1.2.11=h7b6447c_3\n"
      "conda-forge::python=3.12\n",
      "req.txt", "/");
  ASSERT_TRUE(list) << list.error().message();
  EXPECT_EQ(list->kind, PackageListKind::kSpecs);
  EXPECT_THAT(list->specs,
              ElementsAre("numpy >=1.26", "zlib==1.2.11=h7b6447c_3", "conda-forge::python=3.12"));
  EXPECT_TRUE(list->packages.empty());
}

TEST(ExplicitFileTest, ErrorsNameFileLineAndCause) {
  const std::string expected_url_error =
      "is not a package URL: expected .../<name>-<version>-<build>.conda or .tar.bz2, "
      "optionally followed by #<md5> or #sha256:<hash>";
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"@EXPLICIT\nnumpy\n", "f.txt:2: 'file:///w/numpy' " + expected_url_error},
      {"@EXPLICIT\nhttps://h/c/linux-64/zlib.tar.gz\n",
       "f.txt:2: 'https://h/c/linux-64/zlib.tar.gz' " + expected_url_error},
      {"@EXPLICIT\nhttps://h/c/linux-64/zlib-1.2.conda\n",
       "f.txt:2: 'https://h/c/linux-64/zlib-1.2.conda' " + expected_url_error},
      {"# x\n@EXPLICIT\nhttps://h/c/noarch/a-1-0.conda#abc\n",
       "f.txt:3: 'abc' is not an md5 or sha256 checksum"},
      {"@EXPLICIT\nhttps://h/c/noarch/a-1-0.conda#sha256:4e4d4d5d7f1d10f4f5b8b2c8b3dbbb4c\n",
       "f.txt:2: 'sha256:4e4d4d5d7f1d10f4f5b8b2c8b3dbbb4c' is not an md5 or sha256 checksum"},
  };
  for (const Case& test : cases) {
    auto list = parse_package_list(test.text, "f.txt", "/w");
    ASSERT_FALSE(list) << test.text;
    EXPECT_EQ(list.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(list.error().message(), test.message) << test.text;
  }
  auto bad_spec = parse_package_list("numpy\nnumpy >=>1\n", "req.txt", "/");
  ASSERT_FALSE(bad_spec);
  EXPECT_THAT(bad_spec.error().message(), ::testing::StartsWith("req.txt:2: "));
}

// Every explicit file of the corpus parses, one record per URL line.
TEST(ExplicitFileTest, ParsesEveryExplicitFileOfTheCorpus) {
  if (!fs::exists(kConformance)) GTEST_SKIP() << "conformance corpus absent: " << kConformance;
  std::vector<fs::path> files = {kConformance / "mamba/micromamba/explicit_env_linux.txt",
                                 kConformance / "conda/env-support/explicit.txt",
                                 kConformance / "oracle/conda-26.7.1/s2_explicit.out",
                                 kConformance / "oracle/conda-26.7.1/s1_list_explicit.out"};
  for (const char* dir : {"rattler/explicit-envs", "rattler/python"}) {
    for (const auto& entry : fs::directory_iterator(kConformance / dir)) {
      if (entry.path().extension() == ".txt") files.push_back(entry.path());
    }
  }
  for (const fs::path& file : files) {
    auto text = base::read_file(file);
    ASSERT_TRUE(text) << file;
    auto list = parse_package_list(*text, file.string(), "/");
    ASSERT_TRUE(list) << list.error().message();
    EXPECT_EQ(list->kind, PackageListKind::kExplicit) << file;
    std::size_t urls = 0;
    for (auto line : base::split(*text, '\n')) {
      urls += line.find("://") != std::string_view::npos && line.front() != '#';
    }
    EXPECT_EQ(list->packages.size(), urls) << file;
    for (const auto& record : list->packages) {
      EXPECT_FALSE(record.name.empty() || record.version.empty() || record.build.empty()) << file;
      EXPECT_TRUE(base::ends_with(record.url, record.fn)) << record.url;
    }
  }
}

TEST(ExplicitFileTest, CondaRequirementsFileIsASpecList) {
  if (!fs::exists(kConformance)) GTEST_SKIP() << "conformance corpus absent: " << kConformance;
  const fs::path file = kConformance / "conda/env-support/requirements.txt";
  auto list = parse_package_list(*base::read_file(file), file.string(), "/");
  ASSERT_TRUE(list) << list.error().message();
  EXPECT_THAT(list->specs, ElementsAre("conda-package-handling==2.2.0"));
}

}  // namespace
}  // namespace graft::env
