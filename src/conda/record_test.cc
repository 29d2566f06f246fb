#include "conda/record.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conda/record_json.h"

namespace graft::conda {
namespace {

using ::testing::HasSubstr;

TEST(RecordTest, DistNameAndExtensions) {
  const PackageRecord record{.name = "zlib", .version = "1.2.11", .build = "h7b6447c_3"};
  EXPECT_EQ(dist_name(record), "zlib-1.2.11-h7b6447c_3");
  EXPECT_EQ(strip_package_extension("zlib-1.2.11-h7b6447c_3.conda"), "zlib-1.2.11-h7b6447c_3");
  EXPECT_EQ(strip_package_extension("zlib-1.2.11-h7b6447c_3.tar.bz2"), "zlib-1.2.11-h7b6447c_3");
  EXPECT_EQ(strip_package_extension("six-1.9.0-py2.py3-none-any.whl"), "six-1.9.0-py2.py3-none-any.whl");
}

TEST(RecordTest, ParsesRepodataRecordFields) {
  auto record = parse_package_record(R"({
    "build_string": "py_0", "build_number": 2, "name": "a", "version": "1.0",
    "depends": null, "constrains": ["b <2"], "track_features": "x,y  z",
    "features": ["f1", "f2"], "noarch": true, "timestamp": 1544155153.5,
    "size": 12, "schannel": "conda-forge", "filename": "a-1.0-py_0.conda",
    "extra-depends": {"opt": ["c"]}, "platform": null, "zz": [1, {"b": 2}]
  })", "repodata_record.json");
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
  ASSERT_EQ(record->extra.size(), 3U);
  EXPECT_EQ(record->extra[0], (JsonField{"extra_depends", R"({"opt":["c"]})"}));
  EXPECT_EQ(record->extra[2], (JsonField{"zz", R"([1,{"b":2}])"}));
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
  const std::filesystem::path file =
      std::filesystem::path(GRAFT_CONFORMANCE_DIR) / "mamba/repodata/sudoku.json";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "conformance corpus not found";
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  // One real entry with nested objects, nulls and booleans.
  const std::string body = text.str();
  const std::size_t start = body.find("\"binstar\"");
  ASSERT_NE(start, std::string::npos);
  auto record = parse_package_record(R"({"name": "s", "binstar": {"channel": "main", "n": 1.25e20}})", "x");
  ASSERT_TRUE(record) << record.error().message();
  auto again = parse_package_record(write_package_record(*record), "x");
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*record, *again);
}

TEST(RecordTest, ErrorsNameTheSourceAndField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"build_number": "3"})", "index.json: field 'build_number': expected an integer"},
      {R"({"timestamp": "x"})", "index.json: field 'timestamp': expected a number"},
      {R"({"track_features": 3})", "index.json: field 'track_features': expected a string"},
      {R"({"noarch": 1})", "index.json: field 'noarch': expected a string"},
      {"{\n\"name\": \"a\",\n}", "index.json:3:1: invalid JSON: syntax error while parsing object key"},
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
      {1.5, "1.5"},       {2.0, "2.0"},           {0.0001, "0.0001"},     {0.00001, "1e-05"},
      {1e16, "1e+16"},    {1234567.0, "1234567.0"}, {-2.5e-7, "-2.5e-07"}, {0.1, "0.1"},
      {123.456, "123.456"}, {1e15, "1000000000000000.0"}, {1.25e20, "1.25e+20"}};
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
  EXPECT_EQ(out, "[\n  \"a\\\"b\\\\c\\n\\t\\u0001/\x7f\",\n  \"\\u00e9\\u20ac\\ud83d\\ude00\",\n"
                 "  {},\n  []\n]");
}

}  // namespace
}  // namespace graft::conda
