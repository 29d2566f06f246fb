#include "conda/repodata_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conda/generated_channel.h"

namespace graft::conda {
namespace {

const RepodataSource kSource{.subdir_url = "https://example.com/chan/linux-64"};

std::vector<const MappedRecord*> pointers(std::span<const MappedRecord> records) {
  std::vector<const MappedRecord*> out;
  for (const MappedRecord& record : records) out.push_back(&record);
  return out;
}

std::vector<PackageRecord> named(const std::vector<PackageRecord>& records,
                                 const std::string& name) {
  std::vector<PackageRecord> out;
  for (const PackageRecord& record : records) {
    if (record.name == name) out.push_back(record);
  }
  return out;
}

const GeneratedChannel& small_channel() {
  static const GeneratedChannel channel =
      generate_channel({.seed = 7, .platform_records = 3000, .noarch_records = 800});
  return channel;
}

TEST(RepodataMapTest, EveryNameReadsAsTheFullParseReadsIt) {
  for (const std::string* json : {&small_channel().platform_json, &small_channel().noarch_json}) {
    auto full = parse_repodata(*json, kSource);
    ASSERT_TRUE(full.has_value()) << full.error().message();
    auto map = map_repodata(*json, "repodata.json");
    ASSERT_TRUE(map.has_value()) << map.error().message();
    std::size_t total = 0;
    for (const std::string& name : map->names) {
      auto read = read_mapped_records(*json, *map, pointers(map->named(name)), kSource);
      ASSERT_TRUE(read.has_value()) << read.error().message();
      EXPECT_EQ(read->records, named(full->records, name)) << name;
      total += read->records.size();
    }
    EXPECT_EQ(total, full->records.size());
    auto all = read_mapped_records(*json, *map, pointers(map->records), kSource);
    ASSERT_TRUE(all.has_value());
    EXPECT_EQ(all->records, full->records);
    EXPECT_EQ(all->subdir, full->subdir);
  }
}

TEST(RepodataMapTest, ReadsUnusualShapes) {
  const std::string json = R"({"signatures": {"a": {"x": [1, {"}": "{"}]}},
    "info": {"subdir": "linux-64", "base_url": "https://mirror.example/pkgs/"},
    "packages": {"a\"b-1-0.tar.bz2": {"name": "a\"b", "version": "1", "build": "0", "depends": ["c \\"]}},
    "packages.conda": {"c-1-0.conda": {"build": "0", "extra": {"name": "nested"}, "name": "c", "version": "1"},
                       "d-1-0.conda": {"name": "d", "version": "1", "build": "0", "depends": null}},
    "removed": ["x-1-0.tar.bz2"], "repodata_version": 2})";
  auto map = map_repodata(json, "r.json");
  ASSERT_TRUE(map.has_value()) << map.error().message();
  EXPECT_EQ(map->names, (std::vector<std::string>{"a\"b", "c", "d"}));
  auto full = parse_repodata(json, kSource);
  ASSERT_TRUE(full.has_value()) << full.error().message();
  auto all = read_mapped_records(json, *map, pointers(map->records), kSource);
  ASSERT_TRUE(all.has_value()) << all.error().message();
  EXPECT_EQ(all->records, full->records);
  EXPECT_EQ(all->records[0].url, "https://mirror.example/pkgs/a\"b-1-0.tar.bz2");
  auto c = read_mapped_records(json, *map, pointers(map->named("c")), kSource);
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(c->records.size(), 1u);
  EXPECT_EQ(c->records[0].name, "c");
  EXPECT_TRUE(map->named("nested").empty());
}

TEST(RepodataMapTest, EmptyAndNullSectionsHaveNoRecords) {
  for (const char* json : {"{}", R"({"packages": null, "packages.conda": {}})", " { } \n"}) {
    auto map = map_repodata(json, "r.json");
    ASSERT_TRUE(map.has_value()) << json;
    EXPECT_TRUE(map->records.empty());
    EXPECT_EQ(map->first, std::vector<std::uint32_t>{0});
  }
}

TEST(RepodataMapTest, ErrorsAreWordedLikeParseErrors) {
  const struct {
    std::string json;
    std::string error;
  } tests[] = {
      {"[]", "r.json: expected a JSON object"},
      {"", "r.json:1:1: invalid JSON: the file is empty"},
      {"{\"packages\": {\"a-1-0.conda\": {\"name\": \"a\"}}",
       "r.json:1:44: invalid JSON: the file ends before the document does (cut short?)"},
      {"{\"packages\": {\"a-1-0.conda\": 5}}",
       "r.json:1:30: invalid JSON: expected a record object"},
      {"{} x", "r.json:1:4: invalid JSON: unexpected text after the document"},
  };
  for (const auto& test : tests) {
    auto map = map_repodata(test.json, "r.json");
    ASSERT_FALSE(map.has_value()) << test.json;
    EXPECT_EQ(map.error().code(), ErrorCode::kCorrupt);
    EXPECT_EQ(map.error().message(), test.error);
  }
}

TEST(RepodataMapTest, EveryTruncationIsAnErrorNeverACrash) {
  const std::string json =
      R"({"info": {"subdir": "noarch"}, "packages": {"a-1-0.tar.bz2": {"name": "a", "depends": ["b >=1", "c"], "version": "1"}}, "packages.conda": {"b-1-0.conda": {"name": "b\u0041", "version": "1"}}, "repodata_version": 1})";
  ASSERT_TRUE(map_repodata(json, "r.json").has_value());
  for (std::size_t length = 0; length < json.size(); ++length) {
    auto map = map_repodata(json.substr(0, length), "r.json");
    EXPECT_FALSE(map.has_value()) << length;
  }
}

TEST(RepodataMapTest, AMalformedRecordIsReportedWhenRead) {
  const std::string json = R"({"packages": {"a-1-0.tar.bz2": {"name": "a", "version": 1.5.5},
    "b-1-0.tar.bz2": {"name": "b", "version": "1"}}})";
  auto map = map_repodata(json, "r.json");
  ASSERT_TRUE(map.has_value()) << map.error().message();
  auto b = read_mapped_records(json, *map, pointers(map->named("b")), kSource);
  ASSERT_TRUE(b.has_value());
  auto a = read_mapped_records(json, *map, pointers(map->named("a")), {.display_name = "r.json"});
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code(), ErrorCode::kCorrupt);
  EXPECT_TRUE(a.error().message().starts_with("r.json:1:")) << a.error().message();
}

TEST(RepodataMapTest, ReleasesWhatItPassed) {
  const GeneratedChannel& channel = small_channel();
  std::vector<std::size_t> released;
  auto map = map_repodata(channel.platform_json, "r.json",
                          {.release = [&](std::size_t offset) { released.push_back(offset); }});
  ASSERT_TRUE(map.has_value());
  for (std::size_t i = 1; i < released.size(); ++i) EXPECT_GT(released[i], released[i - 1]);
}

}  // namespace
}  // namespace graft::conda
