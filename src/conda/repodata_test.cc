#include "conda/repodata.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "conda/match_spec.h"

namespace graft::conda {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kConformance = GRAFT_CONFORMANCE_DIR;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<fs::path> corpus_repodata_files() {
  std::vector<fs::path> files;
  if (!fs::exists(kConformance)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(kConformance)) {
    const std::string name = entry.path().filename().string();
    const bool repodata =
        name.starts_with("repodata") && name.ends_with(".json") && name != "repodata_record.json";
    const bool mamba =
        entry.path().parent_path().filename() == "repodata" && name.ends_with(".json");
    if (entry.is_regular_file() && (repodata || mamba)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

RepodataSource source_for(const fs::path& file, DuplicateArchives duplicates) {
  return RepodataSource{.subdir_url = "file://" + file.parent_path().string(),
                        .display_name = file.string(),
                        .duplicates = duplicates};
}

TEST(RepodataTest, ParsesEveryRepodataFileOfTheCorpus) {
  const std::vector<fs::path> files = corpus_repodata_files();
  if (files.empty()) GTEST_SKIP() << "conformance corpus not found at " << kConformance;
  ASSERT_GE(files.size(), 25U);
  for (const fs::path& file : files) {
    const std::string text = slurp(file);
    auto repodata = parse_repodata(text, source_for(file, DuplicateArchives::kKeepBoth));
    ASSERT_TRUE(repodata) << repodata.error().message();
    // Cross-check against an independent parser: same packages, same order, same fields.
    const auto expected = nlohmann::ordered_json::parse(text);
    std::vector<std::string> keys;
    for (const char* section : {"packages", "packages.conda"}) {
      if (!expected.contains(section) || expected[section].is_null()) continue;
      for (const auto& [fn, entry] : expected[section].items()) {
        keys.push_back(fn);
        const PackageRecord& record = repodata->records[keys.size() - 1];
        EXPECT_EQ(record.fn, fn) << file;
        EXPECT_EQ(record.name, entry.value("name", "")) << file;
        EXPECT_EQ(record.version, entry.value("version", "")) << file;
        EXPECT_EQ(record.build_number, entry.value("build_number", 0)) << file;
        EXPECT_THAT(record.url, ::testing::EndsWith("/" + fn)) << file;
      }
    }
    EXPECT_EQ(repodata->records.size(), keys.size()) << file;
  }
}

TEST(RepodataTest, ComputesUrlsChannelAndSubdir) {
  const fs::path file = kConformance / "conda/conda_format_repo/linux-64/repodata.json";
  if (!fs::exists(file)) GTEST_SKIP() << "conformance corpus not found at " << kConformance;
  auto both = parse_repodata(slurp(file), source_for(file, DuplicateArchives::kKeepBoth));
  ASSERT_TRUE(both) << both.error().message();
  ASSERT_EQ(both->records.size(), 3U);
  const PackageRecord& zlib = both->records[1];
  EXPECT_EQ(zlib.fn, "zlib-1.2.11-h7b6447c_3.tar.bz2");
  EXPECT_EQ(zlib.url, "file://" + file.parent_path().string() + "/zlib-1.2.11-h7b6447c_3.tar.bz2");
  EXPECT_EQ(zlib.channel, "file://" + file.parent_path().string());
  EXPECT_EQ(zlib.depends, std::vector<std::string>{"libgcc-ng >=7.3.0"});
  EXPECT_EQ(zlib.timestamp, 1542814864621);
  EXPECT_EQ(zlib.md5, "2e5b81671cc2b53177b94b258b1658b2");
  EXPECT_EQ(both->subdir, "linux-64");

  auto preferred = parse_repodata(slurp(file), source_for(file, DuplicateArchives::kPreferConda));
  ASSERT_TRUE(preferred);
  ASSERT_EQ(preferred->records.size(), 2U);
  EXPECT_EQ(preferred->records[0].fn, "libgcc-ng-8.2.0-hdf63c60_1.tar.bz2");
  EXPECT_EQ(preferred->records[1].fn, "zlib-1.2.11-h7b6447c_3.conda");
}

TEST(RepodataTest, Version2BaseUrlResolvesPackageUrls) {
  struct Case {
    const char* relative;
    const char* subdir_url;
    const char* first_url_prefix;
  };
  const Case cases[] = {
      {"mamba/repodata/conda-forge-repodata-version-2.json", "https://example.org/chan/linux-64",
       "https://repo.anaconda.com/repo/main/linux-64/"},
      {"mamba/repodata/conda-forge-repodata-version-2-missing-base_url.json",
       "https://example.org/chan/linux-64", "https://example.org/chan/linux-64/"},
      {"rattler/channels/dummy-noarch-str/linux-64/repodata.json",
       "https://example.org/t/tk-1/chan/noarch", "https://example.org/t/tk-1/chan/linux-64/"},
  };
  for (const Case& c : cases) {
    const fs::path file = kConformance / c.relative;
    if (!fs::exists(file)) GTEST_SKIP() << "conformance corpus not found at " << kConformance;
    auto repodata = parse_repodata(slurp(file), RepodataSource{.subdir_url = c.subdir_url});
    ASSERT_TRUE(repodata) << repodata.error().message();
    ASSERT_FALSE(repodata->records.empty());
    for (const PackageRecord& record : repodata->records) {
      EXPECT_EQ(record.url, c.first_url_prefix + record.fn) << c.relative;
      EXPECT_EQ(record.channel.find("/t/"), std::string::npos) << record.channel;
    }
  }
}

TEST(RepodataTest, ResolvesBaseUrls) {
  const std::tuple<const char*, const char*, const char*> cases[] = {
      {"https://h/c/linux-64", "", "https://h/c/linux-64/a.conda"},
      {"https://h/c/linux-64", "../noarch", "https://h/c/noarch/a.conda"},
      {"https://h/c/linux-64", "./", "https://h/c/linux-64/a.conda"},
      {"https://h/c/linux-64", "/mirror/x/", "https://h/mirror/x/a.conda"},
      {"https://h/c/linux-64", "https://cdn.example/pkgs/", "https://cdn.example/pkgs/a.conda"},
      {"file:///srv/c/linux-64", "../linux-64", "file:///srv/c/linux-64/a.conda"},
      {"/srv/c/linux-64", "../noarch", "/srv/c/noarch/a.conda"},
  };
  for (const auto& [subdir_url, base_url, expected] : cases) {
    EXPECT_EQ(resolve_package_url(subdir_url, base_url, "a.conda"), expected) << base_url;
  }
}

TEST(RepodataTest, WritesWhatCondaIndexWrites) {
  for (const char* relative :
       {"conda/test-recipes/noarch/repodata.json", "conda/conda_format_repo/linux-64/repodata.json",
        "conda/conda_format_repo/noarch/repodata.json"}) {
    const fs::path file = kConformance / relative;
    if (!fs::exists(file)) GTEST_SKIP() << "conformance corpus not found at " << kConformance;
    const std::string text = slurp(file);
    auto repodata = parse_repodata(text, source_for(file, DuplicateArchives::kKeepBoth));
    ASSERT_TRUE(repodata) << repodata.error().message();
    const RepodataIndex index{.subdir = repodata->subdir,
                              .records = repodata->records,
                              .removed = repodata->removed,
                              .repodata_version = repodata->repodata_version};
    EXPECT_EQ(write_repodata(index), text) << relative;
  }
}

TEST(RepodataTest, WriterSortsExtrasAndSplitsByFormat) {
  PackageRecord record{.name = "a", .version = "1", .build = "0", .fn = "a-1-0.conda"};
  record.extra.push_back({"zeta", R"({"y":1,"x":[2.5e-07,"\u00e9"]})"});
  record.extra.push_back({"arch", "null"});
  const std::string text = write_repodata({.subdir = "noarch", .records = {record}});
  EXPECT_EQ(text, R"({
  "info": {
    "subdir": "noarch"
  },
  "packages": {},
  "packages.conda": {
    "a-1-0.conda": {
      "arch": null,
      "build": "0",
      "build_number": 0,
      "depends": [],
      "name": "a",
      "version": "1",
      "zeta": {
        "x": [
          2.5e-07,
          "\u00e9"
        ],
        "y": 1
      }
    }
  },
  "removed": [],
  "repodata_version": 1
}
)");
}

TEST(RepodataTest, MalformedInputGivesPathErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"{\"packages\": {\"a-1-0.tar.bz2\": {\"depends\": 3}}}",
       "chan/repodata.json: package 'a-1-0.tar.bz2': field 'depends': expected a list of strings"},
      {"{\"packages\": []}", "chan/repodata.json: package lists must be JSON objects"},
      {"{\"packages\": {\"a\": 1}}", "chan/repodata.json: package 'a': expected a JSON object"},
      {"{\"info\": {\"subdir\": 64}}",
       "chan/repodata.json: field 'info.subdir': expected a string"},
      {"{\"packages\": {\n  \"a\": {,}}}", "chan/repodata.json:2:9: invalid JSON"},
      {"[]", "chan/repodata.json: expected a JSON object"},
      {"\xff", "chan/repodata.json: not UTF-8 text: invalid byte 0xff at offset 0"},
  };
  for (const auto& [json, expected] : cases) {
    auto repodata = parse_repodata(json, RepodataSource{.subdir_url = "chan"});
    ASSERT_FALSE(repodata) << json;
    EXPECT_EQ(repodata.error().code(), ErrorCode::kCorrupt);
    EXPECT_THAT(repodata.error().message(), HasSubstr(expected)) << json;
  }
}

TEST(RepodataTest, AnOverlongDependencyIsRefusedWithAShortMessage) {
  for (const char* key : {"depends", "constrains"}) {
    const std::string json = std::string("{\"packages\": {\"a-1-0.tar.bz2\": {\"") + key +
                             "\": [\"b\", \"" + std::string(5'000'000, 'x') + "\"]}}}";
    auto repodata = parse_repodata(json, RepodataSource{.subdir_url = "chan"});
    ASSERT_FALSE(repodata) << key;
    EXPECT_EQ(repodata.error().code(), ErrorCode::kCorrupt);
    EXPECT_EQ(repodata.error().message(),
              "chan/repodata.json: package 'a-1-0.tar.bz2': field '" + std::string(key) +
                  "': an entry is 5000000 bytes long, the limit is 4096: '" + std::string(60, 'x') +
                  "...'");
  }
  const std::string at_limit = "{\"packages\": {\"a-1-0.tar.bz2\": {\"depends\": [\"" +
                               std::string(kMaxMatchSpecLength, 'x') + "\"]}}}";
  EXPECT_TRUE(parse_repodata(at_limit, RepodataSource{.subdir_url = "chan"}));
}

TEST(RepodataTest, TruncatedFilesFailCleanly) {
  const fs::path file = kConformance / "conda/test-recipes/noarch/repodata.json";
  if (!fs::exists(file)) GTEST_SKIP() << "conformance corpus not found at " << kConformance;
  const std::string text = slurp(file);
  for (std::size_t length = 0; length + 2 < text.size(); length += 97) {
    auto repodata = parse_repodata(text.substr(0, length), RepodataSource{.subdir_url = "c"});
    ASSERT_FALSE(repodata) << length;
    EXPECT_THAT(repodata.error().message(), HasSubstr("c/repodata.json:")) << length;
  }
}

}  // namespace
}  // namespace graft::conda
