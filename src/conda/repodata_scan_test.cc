// The structural-index reader (scan_repodata) against the DOM reader: same records for every
// input either accepts, and the scan never accepts what the DOM reader rejects.
#include "conda/repodata_scan.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.h"

namespace graft::conda::detail {
namespace {

namespace fs = std::filesystem;

const fs::path kConformance = GRAFT_CONFORMANCE_DIR;
const RepodataSource kSource{.subdir_url = "https://example.org/t/tk-1/chan/linux-64"};

// What parse_repodata builds from the DOM reader (before dropping .tar.bz2 twins).
Result<Repodata> dom_reference(std::string_view json) {
  Repodata repodata;
  GRAFT_RETURN_IF_ERROR(parse_repodata_dom(json, "chan/repodata.json", repodata));
  const RecordDefaults defaults = record_defaults(kSource, repodata);
  for (PackageRecord& record : repodata.records) apply_record_defaults(defaults, record);
  return repodata;
}

void expect_same(const Repodata& scanned, const Repodata& expected, std::string_view what) {
  EXPECT_EQ(scanned.subdir, expected.subdir) << what;
  EXPECT_EQ(scanned.base_url, expected.base_url) << what;
  EXPECT_EQ(scanned.repodata_version, expected.repodata_version) << what;
  EXPECT_EQ(scanned.removed, expected.removed) << what;
  ASSERT_EQ(scanned.records.size(), expected.records.size()) << what;
  for (std::size_t i = 0; i < scanned.records.size(); ++i) {
    EXPECT_EQ(scanned.records[i], expected.records[i]) << what << " record " << i;
  }
}

TEST(RepodataScanTest, ReadsEveryCorpusFileLikeTheDomReader) {
  if (!fs::exists(kConformance)) GTEST_SKIP() << "conformance corpus not found at " << kConformance;
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kConformance)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !name.starts_with("repodata") || !name.ends_with(".json") ||
        name == "repodata_record.json") {
      continue;
    }
    auto text = base::read_file(entry.path());
    ASSERT_TRUE(text) << text.error().message();
    auto expected = dom_reference(*text);
    ASSERT_TRUE(expected) << expected.error().message();
    Repodata scanned;
    ASSERT_TRUE(scan_repodata(*text, kSource, "chan/repodata.json", scanned)) << entry.path();
    expect_same(scanned, *expected, entry.path().string());
    ++files;
  }
  EXPECT_GE(files, 20U);
}

struct Case {
  const char* json;
  bool scanned;  // whether the structural-index reader takes it (else the DOM reader does)
};

// Valid documents: the result must be the DOM reader's, whichever reader took it.
TEST(RepodataScanTest, UnusualValuesGiveTheDomReadersRecords) {
  const Case cases[] = {
      {R"({"packages": {"a-1-0.tar.bz2": {"name": "a", "license": "GPL \"v3\" \u00e9\ud83d\ude00",
          "depends": ["b >=1", "c\t"], "size": 12, "timestamp": 1500000000, "build_number": 3}}})",
       true},
      {R"({"packages": {"a": {"depends": null, "license": null, "size": null,
          "timestamp": null, "constrains": ["x"]}}})",
       true},
      {R"({"packages": {"a": {"build_number": -2, "timestamp": 1500000000.5, "size": 0,
          "version": "1.0"}}})",
       true},
      {R"({"packages": {"a": {"timestamp": 1700000000123, "size": 18446744073709551615}}})", true},
      {R"({"packages": {"a": {"build_string": "x", "build": "y", "filename": "f", "schannel": "s",
          "build_string": "z", "name": "n", "name": "m"}}})",
       true},
      {R"({"packages": {"a": {"features": "a,b  c", "track_features": ["x ", " ", "y"],
          "noarch": true}, "b": {"noarch": "true", "track_features": "p,q"},
          "c": {"noarch": "python", "features": ""}, "d": {"noarch": false}}})",
       true},
      {R"({"packages": {"a": {"arch": "x86_64", "extra-depends": {"b": ["c"]}, "zz": 1.0,
          "date": "2020", "yy": [true, null, {"k": -1e-7}], "platform": "lin\u0075x"}}})",
       true},
      {R"({"packages": {"a": {"subdir": "noarch"}, "b": {}}, "info": {"subdir": "linux-64",
          "base_url": "../x"}, "repodata_version": 2, "removed": ["r1", "r2"]})",
       false},  // info after the records they default: read again by the DOM reader
      {R"({"info": {"subdir": "linux-64", "base_url": "https://mirror/p", "other": [1, {}]},
          "packages": {"a": {"subdir": "noarch"}}, "packages.conda": {"b": {}},
          "removed": null, "signatures": {"a": {"k": "v"}}, "repodata_version": 2})",
       true},  // base_url only counts once repodata_version 2 is read: urls set again
      {R"({"packages.conda": {"b": {}}, "packages": {"a": {}}})", false},
      {R"({"packages.conda": {}, "packages": {"a": {}}})", true},
      {R"({"packages": {"a": {}}, "packages": {"b": {}}})", false},
      {R"({"packages": {"n\u0061me-1-0.conda": {"n\u0061me": "x"}}})", false},
      {R"({"packages": {"b-1-0\u0000.conda": {"name": "b"}, "c\"\\.conda": {}}})", true},
      {R"({"packages": null, "packages.conda": {}, "info": {}, "repodata_version": 1})", true},
      {"{\"packages\": {\"a\": {\"xx\": \"\xc3\xa9/~\x7f\", \"name\": \"\xe2\x82\xac\"}}}", true},
      {"{}", true},
  };
  for (const Case& c : cases) {
    auto expected = dom_reference(c.json);
    ASSERT_TRUE(expected) << c.json << ": " << expected.error().message();
    Repodata scanned;
    ASSERT_EQ(scan_repodata(c.json, kSource, "chan/repodata.json", scanned), c.scanned) << c.json;
    if (c.scanned) expect_same(scanned, *expected, c.json);
    auto parsed = parse_repodata(
        c.json, {.subdir_url = kSource.subdir_url, .duplicates = DuplicateArchives::kKeepBoth});
    ASSERT_TRUE(parsed) << c.json;
    expect_same(*parsed, *expected, c.json);
  }
}

// Invalid JSON or wrong types: the scan must give up so the DOM reader words the error.
TEST(RepodataScanTest, RejectsWhatTheDomReaderRejects) {
  const char* const cases[] = {
      "",
      " ",
      "[]",
      "{} {}",
      "{\"a\": 1} x",
      "{\"a\" 1}",
      "{\"a\": 1,}",
      "{,}",
      "{\"a\": 01}",
      "{\"a\": tru}",
      "{\"a\": \"b\"x}",
      "{\"a\": \"b\" \"c\"}",
      "{\"a\": 1\"b\"}",
      "{\"x\": \"\\q\"}",
      "{\"x\": [1, }",
      "{\"x\": [1 2]}",
      "{\"x\": {\"k\" 1}}",
      "{\"packages\": {\"a\": 1}}",
      "{\"packages\": []}",
      "{\"packages\": {\"a\": {\"depends\": [1]}}}",
      "{\"packages\": {\"a\": {\"depends\": [\"x\"}}}",
      "{\"packages\": {\"a\": {\"size\": -1}}}",
      "{\"packages\": {\"a\": {\"build_number\": 1.5}}}",
      "{\"packages\": {\"a\": {\"name\": \"\\ud800x\\q\"}}}",
      "{\"packages\": {\"a\": {\"name\": \"x\"}}",
      "{\"packages\": {\"a\": {\"name\": \"x\"}}}}",
      "{\"info\": {\"subdir\": 64}}",
      "{\"info\": []}",
      "{\"repodata_version\": \"2\"}",
      "{\"removed\": [\"a\", 1]}",
      "{\"a\": \"\x01\"}",
      "{\"a\": \"\xff\"}",
  };
  for (const char* json : cases) {
    EXPECT_FALSE(dom_reference(json)) << json;
    Repodata scanned;
    EXPECT_FALSE(scan_repodata(json, kSource, "chan/repodata.json", scanned)) << json;
  }
}

}  // namespace
}  // namespace graft::conda::detail
