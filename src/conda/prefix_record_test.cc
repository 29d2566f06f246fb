#include "conda/prefix_record.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::vector<fs::path> json_files(const fs::path& directory) {
  std::vector<fs::path> files;
  if (!fs::is_directory(directory)) return files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(PrefixRecordTest, WritesConda26OutputByteForByte) {
  const fs::path oracle = kConformance / "oracle/conda-26.7.1";
  if (!fs::exists(oracle)) GTEST_SKIP() << "conformance corpus not found at " << kConformance;
  int compared = 0;
  for (const char* env : {"s1_zlib", "s1_zlib2", "s1_zlib3", "s2_rec", "s2_rec_rev1"}) {
    for (const fs::path& file : json_files(oracle / (std::string(env) + ".conda-meta"))) {
      // The oracle has placeholders for paths and times; make it real JSON first.
      std::string text = replace_all(slurp(file), "{TS}", "1542814864621");
      text = replace_all(replace_all(text, "{CONF}", "/srv/conformance"), "{T}", "/tmp/t");
      auto record = parse_prefix_record(text, file.string());
      ASSERT_TRUE(record) << record.error().message();
      EXPECT_EQ(write_prefix_record(*record), text) << file;
      ++compared;
    }
  }
  EXPECT_GE(compared, 10);
}

TEST(PrefixRecordTest, RoundTripsEveryRealCondaMetaRecord) {
  std::vector<fs::path> files = json_files(kConformance / "rattler/conda-meta");
  const fs::path env_metadata = kConformance / "conda/env_metadata";
  if (files.empty()) GTEST_SKIP() << "conformance corpus not found at " << kConformance;
  for (const auto& env : fs::directory_iterator(env_metadata)) {
    for (const fs::path& file : json_files(env.path() / "conda-meta")) files.push_back(file);
  }
  ASSERT_GE(files.size(), 40U);
  for (const fs::path& file : files) {
    const std::string text = slurp(file);
    auto first = parse_prefix_record(text, file.string());
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_FALSE(first->name.empty()) << file;
    EXPECT_FALSE(first->files.empty() && first->paths_data && !first->paths_data->paths.empty());
    const std::string written = write_prefix_record(*first);
    auto second = parse_prefix_record(written, file.string());
    ASSERT_TRUE(second) << second.error().message() << "\n" << written;
    EXPECT_EQ(*first, *second) << file;
    EXPECT_EQ(write_prefix_record(*second), written) << file;
  }
}

TEST(PrefixRecordTest, KeepsEveryFieldOfARealRecord) {
  const fs::path file = kConformance / "rattler/conda-meta/requests-2.28.2-pyhd8ed1ab_0.json";
  if (!fs::exists(file)) GTEST_SKIP() << "conformance corpus not found at " << kConformance;
  auto record = parse_prefix_record(slurp(file), file.string());
  ASSERT_TRUE(record) << record.error().message();
  EXPECT_EQ(record->name, "requests");
  EXPECT_EQ(record->build, "pyhd8ed1ab_0");
  EXPECT_EQ(record->channel, "https://conda.anaconda.org/conda-forge/noarch");
  EXPECT_EQ(record->constrains, std::vector<std::string>{"chardet >=3.0.2,<6"});
  ASSERT_TRUE(record->link);
  EXPECT_EQ(record->link->type, LinkType::kHardLink);
  ASSERT_TRUE(record->paths_data);
  EXPECT_EQ(record->paths_data->paths.size(), record->files.size());
  ASSERT_FALSE(record->extra.empty());
  EXPECT_EQ(record->extra[0], (JsonField{"arch", "null"}));
  const std::string written = write_prefix_record(*record);
  EXPECT_THAT(written, HasSubstr("\n  \"arch\": null,\n"));
  EXPECT_THAT(written, HasSubstr("\"Lib\\\\site-packages\\\\requests\\\\api.py\""));
}

struct CorruptCase {
  const char* relative;
  const char* expected;
};

TEST(PrefixRecordTest, ExplainsEveryCorruptRecord) {
  const fs::path corrupt = kConformance / "conda/corrupt";
  if (!fs::exists(corrupt)) GTEST_SKIP() << "conformance corpus not found at " << kConformance;
  const CorruptCase cases[] = {
      {"json/conda-meta/corrupt-1.2.3-hashhash.json",
       "corrupt-1.2.3-hashhash.json:2:3: invalid JSON: syntax error while parsing object key"},
      {"unicode/conda-meta/corrupt-1.2.3-hashhash.json",
       "corrupt-1.2.3-hashhash.json: not UTF-8 text: invalid byte 0x8b at offset 1 (the file is "
       "gzip-compressed)"},
      {"dot_underscore/conda-meta/._valid-1.0-0.json",
       "._valid-1.0-0.json: macOS metadata file (AppleDouble), not a package record"},
  };
  for (const CorruptCase& c : cases) {
    const fs::path file = corrupt / c.relative;
    auto record = parse_prefix_record(slurp(file), file.string());
    ASSERT_FALSE(record) << file;
    EXPECT_EQ(record.error().code(), ErrorCode::kCorrupt);
    EXPECT_THAT(record.error().message(), HasSubstr(c.expected));
    EXPECT_THAT(record.error().message(), HasSubstr(file.string()));
  }
  const fs::path valid = corrupt / "dot_underscore/conda-meta/valid-1.0-0.json";
  auto record = parse_prefix_record(slurp(valid), valid.string());
  ASSERT_TRUE(record) << record.error().message();
  EXPECT_EQ(dist_name(*record), "valid-1.0-0");
}

TEST(PrefixRecordTest, ReportsWrongTypesByField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"name": "a", "files": "x"})", "r.json: field 'files': expected a list of strings"},
      {R"({"name": 3})", "r.json: field 'name': expected a string"},
      {R"({"link": {"source": "/p", "type": 9}})", "r.json: field 'link': expected a link type"},
      {R"({"paths_data": {"paths": [1]}})",
       "r.json: field 'paths_data': expected a list of objects"},
      {R"({"size": -1})", "r.json: field 'size': expected a non-negative integer"},
      {R"([1, 2])", "r.json: expected a JSON object"},
      {R"({"name": "a"} x)", "r.json:1:15: invalid JSON: syntax error"},
      {"", "r.json:1:1: invalid JSON"},
  };
  for (const auto& [json, expected] : cases) {
    auto record = parse_prefix_record(json, "r.json");
    ASSERT_FALSE(record) << json;
    EXPECT_THAT(record.error().message(), HasSubstr(expected)) << json;
  }
}

TEST(PrefixRecordTest, RequestedSpecsFollowCondaDump) {
  struct Case {
    const char* input;
    const char* tail;  // the written text after "files"
  };
  const Case cases[] = {
      {R"({"requested_spec": "zlib"})",
       "\"requested_spec\": \"zlib\",\n  \"files\": [],\n  \"requested_specs\": [\n    \"zlib\"\n  "
       "]\n}"},
      {R"({"_requested_specs": []})", "\"_requested_specs\": [],\n  \"files\": []\n}"},
      {R"({"requested_specs": ["a", "b >1"]})",
       "\"files\": [],\n  \"requested_specs\": [\n    \"a\",\n    \"b >1\"\n  ]\n}"},
  };
  for (const Case& c : cases) {
    auto record = parse_prefix_record(c.input, "r.json");
    ASSERT_TRUE(record) << record.error().message();
    EXPECT_THAT(write_prefix_record(*record), ::testing::EndsWith(c.tail)) << c.input;
  }
}

TEST(PrefixRecordTest, LinkTypesAcceptCondaNames) {
  const std::pair<const char*, LinkType> cases[] = {{"1", LinkType::kHardLink},
                                                    {"\"hard-link\"", LinkType::kHardLink},
                                                    {"\"softlink\"", LinkType::kSoftLink},
                                                    {"\"COPY\"", LinkType::kCopy},
                                                    {"4", LinkType::kDirectory}};
  for (const auto& [text, type] : cases) {
    auto record = parse_prefix_record(
        std::string(R"({"link": {"source": "/c", "type": )") + text + "}}", "r");
    ASSERT_TRUE(record) << record.error().message();
    ASSERT_TRUE(record->link);
    EXPECT_EQ(record->link->type, type) << text;
    EXPECT_THAT(write_prefix_record(*record),
                HasSubstr("\"type\": " + std::to_string(static_cast<int>(type))));
  }
}

TEST(PrefixRecordTest, WritesARecordBuiltInCode) {
  PackageRecord package;
  package.name = "dependency";
  package.version = "2.0";
  package.build = "0";
  package.noarch = "generic";
  package.subdir = "noarch";
  package.timestamp = 1785276600992;
  package.extra.push_back({"zz_unknown", R"({"b":1,"a":[true,null,1.5]})"});
  PrefixRecord record = make_prefix_record(package);
  record.files = {"a\xc3\xa9.txt"};
  record.paths_data = PathsData{
      1, {PathEntry{.path = "a\xc3\xa9.txt", .path_type = "hardlink", .size_in_bytes = 0}}};
  record.link = Link{"/pkgs/dependency-2.0-0", LinkType::kCopy};
  EXPECT_EQ(write_prefix_record(record), R"({
  "name": "dependency",
  "version": "2.0",
  "build": "0",
  "build_number": 0,
  "subdir": "noarch",
  "depends": [],
  "constrains": [],
  "noarch": "generic",
  "package_type": "noarch_generic",
  "timestamp": 1785276600992,
  "files": [
    "a\u00e9.txt"
  ],
  "paths_data": {
    "paths_version": 1,
    "paths": [
      {
        "_path": "a\u00e9.txt",
        "path_type": "hardlink",
        "size_in_bytes": 0
      }
    ]
  },
  "link": {
    "source": "/pkgs/dependency-2.0-0",
    "type": 3
  },
  "zz_unknown": {
    "b": 1,
    "a": [
      true,
      null,
      1.5
    ]
  }
})");
}

TEST(PrefixRecordTest, PackageOnlySkipsFileLists) {
  const char* json = R"({"name": "a", "version": "1", "build": "0", "files": ["x"],
                         "paths_data": {"paths_version": 1, "paths": [{"_path": "x"}]},
                         "link": {"source": "/p", "type": 1}, "requested_spec": "a"})";
  auto full = parse_prefix_record(json, "r.json");
  auto light = parse_prefix_record(json, "r.json", PrefixRecordParts::kPackageOnly);
  ASSERT_TRUE(full && light);
  EXPECT_EQ(full->files.size(), 1U);
  EXPECT_TRUE(light->files.empty());
  EXPECT_FALSE(light->paths_data);
  PrefixRecord expected = *full;
  expected.files.clear();
  expected.paths_data.reset();
  EXPECT_EQ(*light, expected);
}

PrefixRecord without_files(PrefixRecord record) {
  record.files.clear();
  record.paths_data.reset();
  return record;
}

TEST(PrefixRecordTest, PackageOnlyMatchesFullParseOfEveryRealRecord) {
  std::vector<fs::path> files = json_files(kConformance / "rattler/conda-meta");
  if (files.empty()) GTEST_SKIP() << "conformance corpus not found at " << kConformance;
  for (const auto& env : fs::directory_iterator(kConformance / "conda/env_metadata")) {
    for (const fs::path& file : json_files(env.path() / "conda-meta")) files.push_back(file);
  }
  for (const fs::path& file : files) {
    const std::string text = slurp(file);
    auto full = parse_prefix_record(text, file.string());
    auto light = parse_prefix_record(text, file.string(), PrefixRecordParts::kPackageOnly);
    ASSERT_TRUE(full && light) << file;
    EXPECT_EQ(*light, without_files(*full)) << file;
    // CRLF line ends step over the same fields.
    auto compact = parse_prefix_record(replace_all(text, "\n", "\r\n"), file.string(),
                                       PrefixRecordParts::kPackageOnly);
    ASSERT_TRUE(compact) << compact.error().message();
    EXPECT_EQ(*compact, *light) << file;
    // kFiles keeps the file list and drops only paths_data.
    auto with_files = parse_prefix_record(text, file.string(), PrefixRecordParts::kFiles);
    ASSERT_TRUE(with_files) << file;
    PrefixRecord expected = *full;
    expected.paths_data.reset();
    EXPECT_EQ(*with_files, expected) << file;
  }
}

TEST(PrefixRecordTest, PackageOnlyReadsEveryFieldAroundSkippedOnes) {
  const struct {
    const char* json;
    const char* name;
    std::size_t extras;
  } cases[] = {
      {R"({})", "", 0},
      {R"({"files":[],"name":"a"})", "a", 0},
      {R"({"paths_data":{"paths":[{"_path":"x","n":[[{}]]}]},"name":"b","x":{"files":[1]}})", "b",
       1},
      {R"( { "name" : "c" , "files" : [ "a\"]" , "b" ] , "y" : [ 1 , { } ] } )", "c", 1},
      {R"({"fil\u0065s":["x"],"name":"d"})", "d", 0},
  };
  for (const auto& c : cases) {
    auto full = parse_prefix_record(c.json, "r.json");
    auto light = parse_prefix_record(c.json, "r.json", PrefixRecordParts::kPackageOnly);
    ASSERT_TRUE(full && light) << c.json;
    EXPECT_EQ(light->name, c.name) << c.json;
    EXPECT_EQ(light->extra.size(), c.extras) << c.json;
    EXPECT_TRUE(light->files.empty()) << c.json;
    EXPECT_EQ(*light, without_files(*full)) << c.json;
  }
}

TEST(PrefixRecordTest, PackageOnlyStepsOverDeepNesting) {
  // The skipped value nests 3 + `arrays` deep: past 64 the full parse takes over.
  for (int arrays : {1, 60, 61, 62, 63, 200}) {
    const std::string json = R"({"paths_data":{"paths":[{"_path":"x","n":)" +
                             std::string(arrays, '[') + std::string(arrays, ']') +
                             R"(}]},"name":"deep"})";
    auto full = parse_prefix_record(json, "r.json");
    auto light = parse_prefix_record(json, "r.json", PrefixRecordParts::kPackageOnly);
    ASSERT_TRUE(full && light) << arrays;
    EXPECT_EQ(light->name, "deep") << arrays;
    EXPECT_EQ(*light, without_files(*full)) << arrays;
  }
}

TEST(PrefixRecordTest, PackageOnlyReportsErrorsAsTheFullParse) {
  const char* cases[] = {
      R"([1])",
      R"({"name": 5, "files": []})",
      R"({"files": [], "name": "a"} x)",
      R"({"files": ["x", "name": "a"})",
      R"({"files": ["x}], "name": "a"})",
      R"({"files": [}, "name": "a"})",
      R"({"paths_data": {"paths": [{"n": [1}]]}, "name": "a"})",
      R"({"name": "a" "files": []})",
      R"({"name": "a", "files": [], })",
      "{\"name\": \"\xff\", \"files\": []}",
      R"({"name")",
      "",
  };
  for (const char* json : cases) {
    auto full = parse_prefix_record(json, "r.json");
    auto light = parse_prefix_record(json, "r.json", PrefixRecordParts::kPackageOnly);
    ASSERT_FALSE(full) << json;
    ASSERT_FALSE(light) << json;
    EXPECT_EQ(light.error().code(), ErrorCode::kCorrupt);
    EXPECT_EQ(light.error().message(), full.error().message()) << json;
  }
}

TEST(PrefixRecordTest, FileNames) {
  PackageRecord package{.name = "zlib", .version = "1.2.11", .build = "h7b6447c_3"};
  EXPECT_EQ(prefix_record_file_name(package), "zlib-1.2.11-h7b6447c_3.json");
  EXPECT_TRUE(is_prefix_record_file_name("zlib-1.2.11-h7b6447c_3.json"));
  EXPECT_FALSE(is_prefix_record_file_name("._zlib-1.2.11-h7b6447c_3.json"));
  EXPECT_FALSE(is_prefix_record_file_name("history"));
}

}  // namespace
}  // namespace graft::conda
