#include "env/export.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "env/site_packages.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

conda::PackageRecord record(std::string name, std::string version, std::string build,
                            std::vector<std::string> depends = {}) {
  conda::PackageRecord out;
  out.name = std::move(name);
  out.version = std::move(version);
  out.build = std::move(build);
  out.depends = std::move(depends);
  out.subdir = "noarch";
  out.channel = "file:///c/noarch";
  out.url = "file:///c/noarch/" + out.name + "-" + out.version + "-" + out.build + ".conda";
  out.md5 = "m-" + out.name;
  out.sha256 = "s-" + out.name;
  return out;
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST(ParseExportFormat, AcceptsCondaNamesAndRejectsOthers) {
  EXPECT_EQ(*parse_export_format("environment-yaml"), ExportFormat::kEnvironmentYaml);
  EXPECT_EQ(*parse_export_format("environment-json"), ExportFormat::kEnvironmentJson);
  EXPECT_EQ(*parse_export_format("explicit"), ExportFormat::kExplicit);
  EXPECT_EQ(*parse_export_format("requirements"), ExportFormat::kRequirements);
  auto bad = parse_export_format("toml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(),
            "'toml' is not a valid export format: expected one of 'environment-yaml', "
            "'environment-json', 'explicit', 'requirements'");
}

TEST(HistorySpecs, LatestSpecPerNameFirstMentionFirstMinusRemoved) {
  const std::string history =
      "==> 2024-01-01 00:00:00 <==\n# cmd: x\n# update specs: ['dependent=1.0', 'numpy']\n"
      "==> 2024-01-02 00:00:00 <==\n# cmd: x\n"
      "# update specs: ['sample_noarch_python', 'python=3.99.99']\n"
      "==> 2024-01-03 00:00:00 <==\n# cmd: x\n# remove specs: ['numpy']\n"
      "==> 2024-01-04 00:00:00 <==\n# cmd: x\n# update specs: ['dependent=2.0']\n"
      "==> 2024-01-05 00:00:00 <==\n# cmd: x\n"
      "# update specs: ['file:///c/linux-64::zlib==1.2.11=h7b6447c_3', 'six>=1.0', "
      "'attrs==2.1']\n";
  EXPECT_THAT(history_specs(history),
              ElementsAre("dependent=2.0", "sample_noarch_python", "python=3.99.99",
                          "zlib=1.2.11=h7b6447c_3", "six>=1.0", "attrs==2.1"));
}

TEST(FormatEnvironmentYaml, MatchesCondaLayoutWithPipAndVariables) {
  EnvironmentExport data{.name = "ml",
                         .channels = {"file:///c", "conda-forge"},
                         .dependencies = {"python=3.11=h1", "zlib=1.2"},
                         .pip = {"requests==2.0"},
                         .variables = {{"MODE", "fast"}, {"EMPTY", ""}, {"N", "12"}},
                         .prefix = "/envs/ml"};
  EXPECT_EQ(format_environment_yaml(data),
            "name: ml\nchannels:\n  - file:///c\n  - conda-forge\ndependencies:\n"
            "  - python=3.11=h1\n  - zlib=1.2\n  - pip:\n      - requests==2.0\n"
            "variables:\n  MODE: fast\n  EMPTY: ''\n  N: '12'\nprefix: /envs/ml\n");
}

TEST(FormatEnvironmentJson, KeepsCondaKeyOrder) {
  EnvironmentExport data{.name = "ml",
                         .channels = {"file:///c"},
                         .dependencies = {"zlib=1.2=h"},
                         .pip = {"a==1"},
                         .variables = {{"K", "v"}},
                         .prefix = "/envs/ml"};
  EXPECT_EQ(format_environment_json(data),
            "{\n  \"name\": \"ml\",\n  \"channels\": [\n    \"file:///c\"\n  ],\n"
            "  \"dependencies\": [\n    \"zlib=1.2=h\",\n    {\n      \"pip\": [\n"
            "        \"a==1\"\n      ]\n    }\n  ],\n  \"variables\": {\n    \"K\": \"v\"\n"
            "  },\n  \"prefix\": \"/envs/ml\"\n}\n");
}

TEST(MakeExport, SortsByNameStripsSubdirAndHonoursOptions) {
  std::vector<conda::PackageRecord> records = {record("zlib", "1.2", "h0"),
                                               record("abc", "2", "0")};
  records[1].channel = "file:///d/linux-64";
  records[1].subdir = "linux-64";
  auto full = make_export("/envs/x", records, "", {});
  EXPECT_EQ(full.name, "x");
  EXPECT_THAT(full.channels, ElementsAre("file:///d", "file:///c"));
  EXPECT_THAT(full.dependencies, ElementsAre("abc=2=0", "zlib=1.2=h0"));
  auto no_builds =
      make_export("/envs/x", records, "",
                  {.name = "y", .builds = BuildStrings::kOmit, .ignore_channels = true});
  EXPECT_EQ(no_builds.name, "y");
  EXPECT_TRUE(no_builds.channels.empty());
  EXPECT_THAT(no_builds.dependencies, ElementsAre("abc=2", "zlib=1.2"));
}

TEST(ExplicitOrder, LevelByLevelLikeCondaPrefixGraph) {
  // conda 26's order for the s2 scenario of the conformance corpus (python -> pip is
  // dropped as conda does), with a disconnected record first.
  std::vector<conda::PackageRecord> records = {record("sample_noarch_python", "1.0", "py_0"),
                                               record("pip", "99", "0", {"python"}),
                                               record("dependent", "2.0", "0", {"dependency"}),
                                               record("python", "3.99", "0", {"pip"}),
                                               record("dependency", "2.0", "0"),
                                               record("lone", "1", "0")};
  records[0].noarch = "python";
  std::vector<std::string> names;
  for (const auto& r : explicit_order(records)) names.push_back(r.name);
  EXPECT_THAT(names, ElementsAre("lone", "dependency", "python", "dependent", "pip",
                                 "sample_noarch_python"));
}

TEST(ExplicitOrder, BreaksCyclesDeterministically) {
  std::vector<conda::PackageRecord> records = {
      record("b", "1", "0", {"a"}), record("a", "1", "0", {"b"}), record("c", "1", "0", {"a"})};
  std::vector<std::string> names;
  for (const auto& r : explicit_order(records)) names.push_back(r.name);
  EXPECT_THAT(names, ElementsAre("a", "b", "c"));
}

TEST(FormatExplicit, HeaderAndHashFragments) {
  std::vector<conda::PackageRecord> records = {record("a", "1", "0")};
  records.push_back(record("virtual", "1", "0"));
  records.back().url.clear();
  // conda 26 writes "--name <env>" literally, in list --explicit and env export alike; the
  // created-by line names the tool (issue 13 item 16: graft's, not "conda 26.7.1").
  const std::string header =
      "# This file may be used to create an environment using:\n"
      "# $ conda create --name <env> --file <this file>\n# platform: linux-64\n"
      "# created-by: graft 1.2.3\n@EXPLICIT\n";
  const std::string url = "file:///c/noarch/a-1-0.conda";
  const ExplicitOptions options{.platform = "linux-64", .created_by = "graft 1.2.3"};
  EXPECT_EQ(format_explicit(records, options), header + url + "\n");
  ExplicitOptions md5 = options;
  md5.hash = ExplicitHash::kMd5;
  EXPECT_EQ(format_explicit(records, md5), header + url + "#m-a\n");
  ExplicitOptions sha256 = options;
  sha256.hash = ExplicitHash::kSha256;
  EXPECT_EQ(format_explicit(records, sha256), header + url + "#s-a\n");
}

TEST(FormatRequirements, SortedExactSpecsWithTheirChannel) {
  conda::PackageRecord forge = record("f", "3", "h1");
  forge.subdir = "linux-64";
  forge.channel = "https://conda.anaconda.org/conda-forge/linux-64";
  conda::PackageRecord bare = record("b", "1", "0");
  bare.channel.clear();
  EXPECT_EQ(format_requirements({record("z", "1", "0"), record("a", "2", "b"), forge, bare},
                                {.platform = "linux-64", .created_by = "graft 1.2.3"}),
            "# This file may be used to create an environment using:\n"
            "# $ conda create --name <env> --file <this file>\n# platform: linux-64\n"
            "# created-by: graft 1.2.3\n"
            "# Note: This is a conda requirements file (MatchSpec format)\n"
            "# Contains conda package specifications, not pip requirements\n\n"
            "b==1=0\nconda-forge::f==3=h1\nfile:///c::a==2=b\nfile:///c::z==1=0\n");
}

class ExportPrefixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ =
        fs::temp_directory_path() /
        ("graft-export-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(prefix_);
    fs::create_directories(prefix_ / "conda-meta");
  }
  void TearDown() override { fs::remove_all(prefix_); }
  fs::path prefix_;
};

TEST_F(ExportPrefixTest, PipDistributionsSkipCondaInstalledOnes) {
  const fs::path site = prefix_ / "lib/python3.11/site-packages";
  write(site / "requests-2.31.0.dist-info/INSTALLER", "pip\n");
  write(site / "requests-2.31.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n\nName: body\n");
  write(site / "Flask-3.0.dist-info/INSTALLER", "uv\n");
  write(site / "six-1.16.0.dist-info/INSTALLER", "conda\n");
  EXPECT_THAT(pip_distributions(prefix_), ElementsAre("Flask==3.0", "requests==2.31.0"));
}

TEST_F(ExportPrefixTest, ADistInfoACondaRecordListsIsNotPips) {
  const fs::path site = prefix_ / "lib/python3.11/site-packages";
  write(site / "attrs-23.1.0.dist-info/METADATA", "Name: attrs\nVersion: 23.1.0\n\n");
  write(site / "tiny-0.1.dist-info/INSTALLER", "pip\n");
  // attrs came from a conda package built without an INSTALLER file: its record owns it.
  write(prefix_ / "conda-meta/attrs-23.1.0-py_0.json",
        R"({"name": "attrs", "version": "23.1.0", "build": "py_0", "build_number": 0,
            "files": ["lib/python3.11/site-packages/attrs-23.1.0.dist-info/METADATA"]})");
  auto installed = pip_installed(prefix_);
  ASSERT_TRUE(installed) << installed.error().message();
  ASSERT_EQ(installed->size(), 1u);
  EXPECT_EQ((*installed)[0].name, "tiny");
  EXPECT_EQ((*installed)[0].directory, "lib/python3.11/site-packages/tiny-0.1.dist-info");
  EXPECT_THAT(pip_distributions(prefix_), ElementsAre("tiny==0.1"));
}

TEST(PypiRecord, NamedAsCondaListsPipPackages) {
  EXPECT_EQ(normalized_pip_name("Foo_Bar.baz"), "foo-bar-baz");
  const conda::PrefixRecord record = pypi_record({.name = "foo_bar", .version = "1.2.3"});
  EXPECT_EQ(record.name, "foo-bar");
  EXPECT_EQ(record.version, "1.2.3");
  EXPECT_EQ(record.build, "pypi_0");
  EXPECT_EQ(record.build_number, 0);
  EXPECT_EQ(record.channel, "pypi");
  EXPECT_EQ(record.subdir, "pypi");
}

TEST_F(ExportPrefixTest, CollectReadsStateVariablesInFileOrder) {
  write(prefix_ / "conda-meta/state",
        R"({"env_vars": {"ZED": "1", "GONE": "***unset***", "ALPHA": "a b"}})");
  auto data = collect_export(prefix_, {.name = "t"});
  ASSERT_TRUE(data) << data.error().message();
  EXPECT_EQ(format_environment_yaml(*data),
            "name: t\nvariables:\n  ZED: '1'\n  ALPHA: a b\nprefix: " + prefix_.string() + "\n");
}

TEST_F(ExportPrefixTest, CorruptStateIsAnError) {
  write(prefix_ / "conda-meta/state", "{not json");
  auto data = collect_export(prefix_, {});
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().message(),
            "'" + (prefix_ / "conda-meta/state").string() +
                "' is not a valid state file: invalid JSON");
}

}  // namespace
}  // namespace graft::env
