#include "conda/record.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conda/record_json.h"
#include "conda/repodata.h"

namespace graft::conda {

void PrintTo(const JsonField& field, std::ostream* out) {
  *out << field.key << "=" << field.json;
}

namespace {

using ::testing::HasSubstr;

TEST(RecordTest, DistNameAndExtensions) {
  const PackageRecord record{.name = "zlib", .version = "1.2.11", .build = "h7b6447c_3"};
  EXPECT_EQ(dist_name(record), "zlib-1.2.11-h7b6447c_3");
  EXPECT_EQ(strip_package_extension("zlib-1.2.11-h7b6447c_3.conda"), "zlib-1.2.11-h7b6447c_3");
  EXPECT_EQ(strip_package_extension("zlib-1.2.11-h7b6447c_3.tar.bz2"), "zlib-1.2.11-h7b6447c_3");
  EXPECT_EQ(strip_package_extension("six-1.9.0-py2.py3-none-any.whl"),
            "six-1.9.0-py2.py3-none-any.whl");
}

TEST(RecordTest, ParsesRepodataRecordFields) {
  auto record = parse_package_record(R"({
    "build_string": "py_0", "build_number": 2, "name": "a", "version": "1.0",
    "depends": null, "constrains": ["b <2"], "track_features": "x,y  z",
    "features": ["f1", "f2"], "noarch": true, "timestamp": 1544155153.5,
    "size": 12, "schannel": "conda-forge", "filename": "a-1.0-py_0.conda",
    "extra-depends": {"opt": ["c"]}, "platform": null, "zz": [1, {"b": 2}]
  })",
                                     "repodata_record.json");
  ASSERT_TRUE(record) << record.error().message();
  EXPECT_EQ(record->build, "py_0");
  EXPECT_EQ(record->build_number, 2);
  EXPECT_TRUE(record->depends.empty());
  EXPECT_EQ(record->track_features, (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(record->features, "f1 f2");
  EXPECT_EQ(record->noarch, "generic");
  EXPECT_EQ(record->package_type, "noarch_generic");
  EXPECT_EQ(record->timestamp, 1544155153500);
  EXPECT_EQ(record->channel, "conda-forge");
  EXPECT_EQ(record->fn, "a-1.0-py_0.conda");
  // Known extras in conda's order, then unknown ones as read.
  EXPECT_EQ(record->extra, (std::vector<JsonField>{{"platform", "null"},
                                                   {"extra_depends", R"({"opt":["c"]})"},
                                                   {"zz", R"([1,{"b":2}])"}}));
  EXPECT_EQ(write_package_record(*record), R"({
  "name": "a",
  "version": "1.0",
  "build": "py_0",
  "build_number": 2,
  "channel": "conda-forge",
  "fn": "a-1.0-py_0.conda",
  "platform": null,
  "depends": [],
  "constrains": [
    "b <2"
  ],
  "extra_depends": {
    "opt": [
      "c"
    ]
  },
  "track_features": "x y z",
  "features": "f1 f2",
  "noarch": "generic",
  "package_type": "noarch_generic",
  "timestamp": 1544155153500,
  "size": 12,
  "zz": [
    1,
    {
      "b": 2
    }
  ]
})");
}

TEST(RecordTest, RoundTripsCorpusRepodataEntries) {
  // sudoku.json's entries carry nulls, booleans, nested objects and keys conda does not know.
  const std::filesystem::path file =
      std::filesystem::path(GRAFT_CONFORMANCE_DIR) / "mamba/repodata/sudoku.json";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "conformance corpus not found";
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  auto repodata = parse_repodata(text.str(), {.subdir_url = "file:///c/noarch"});
  ASSERT_TRUE(repodata) << repodata.error().message();
  ASSERT_EQ(repodata->records.size(), 729U);
  for (const PackageRecord& record : repodata->records) {
    ASSERT_NE(find_if(record.extra.begin(), record.extra.end(),
                      [](const JsonField& f) { return f.key == "binstar"; }),
              record.extra.end());
    const std::string written = write_package_record(record);
    auto again = parse_package_record(written, "x");
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(record, *again) << written;
  }
}

TEST(RecordTest, RepodataRecordUsesCondaFieldOrder) {
  // conda 26 writes info/repodata_record.json with PackageRecord.dump(): the same keys, in
  // the same order, as the start of a conda-meta record, ending at "size".
  const std::filesystem::path file =
      std::filesystem::path(GRAFT_CONFORMANCE_DIR) /
      "oracle/conda-26.7.1/s1_zlib.conda-meta/zlib-1.2.11-h7b6447c_3.json";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "conformance corpus not found";
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  std::string oracle = text.str();
  const std::size_t ts = oracle.find("{TS}");
  ASSERT_NE(ts, std::string::npos);
  oracle.replace(ts, 4, "1542814864621");
  const std::size_t size_end = oracle.find('\n', oracle.find("\"size\":"));
  const std::string expected = oracle.substr(0, size_end - 1) + "\n}";  // drop the ',' after size
  auto record = parse_package_record(oracle, file.string());
  ASSERT_TRUE(record) << record.error().message();
  PackageRecord package = *record;
  std::erase_if(package.extra, [](const JsonField& field) {
    return field.key != "arch" && field.key != "platform";  // the prefix-only fields
  });
  EXPECT_EQ(write_package_record(package), expected);
}

TEST(RecordTest, ErrorsNameTheSourceAndField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"build_number": "3"})", "index.json: field 'build_number': expected an integer"},
      {R"({"timestamp": "x"})", "index.json: field 'timestamp': expected a number"},
      {R"({"track_features": 3})", "index.json: field 'track_features': expected a string"},
      {R"({"noarch": 1})", "index.json: field 'noarch': expected a string"},
      {"{\n\"name\": \"a\",\n}",
       "index.json:3:1: invalid JSON: syntax error while parsing object key"},
      {"\"text\"", "index.json: expected a JSON object"},
  };
  for (const auto& [json, expected] : cases) {
    auto record = parse_package_record(json, "index.json");
    ASSERT_FALSE(record) << json;
    EXPECT_EQ(record.error().code(), ErrorCode::kCorrupt);
    EXPECT_THAT(record.error().message(), HasSubstr(expected)) << json;
  }
}

TEST(JsonWriterTest, FormatsFloatsLikePython) {
  const std::pair<double, const char*> cases[] = {
      {1.5, "1.5"},          {2.0, "2.0"},
      {0.0001, "0.0001"},    {0.00001, "1e-05"},
      {1e16, "1e+16"},       {1234567.0, "1234567.0"},
      {-2.5e-7, "-2.5e-07"}, {0.1, "0.1"},
      {123.456, "123.456"},  {1e15, "1000000000000000.0"},
      {1.25e20, "1.25e+20"}};
  for (const auto& [value, expected] : cases) EXPECT_EQ(detail::python_float(value), expected);
}

TEST(JsonWriterTest, EscapesLikePythonEnsureAscii) {
  std::string out;
  detail::JsonWriter writer(out);
  writer.begin_array();
  writer.string("a\"b\\c\n\t\x01/\x7f");
  writer.string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  writer.begin_object();
  writer.end_object();
  writer.begin_array();
  writer.end_array();
  writer.end_array();
  EXPECT_EQ(out,
            "[\n  \"a\\\"b\\\\c\\n\\t\\u0001/\x7f\",\n  \"\\u00e9\\u20ac\\ud83d\\ude00\",\n"
            "  {},\n  []\n]");
}

}  // namespace
}  // namespace graft::conda
