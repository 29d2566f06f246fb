#include "conda/version.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace graft::conda {

void PrintTo(const Version& version, std::ostream* out) { *out << version.to_string(); }

namespace {

Version v(std::string_view text) {
  auto parsed = Version::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
  return parsed ? *parsed : *Version::parse("0");
}

TEST(Version, ParsedVersionsMatchCondaForEveryCorpusLine) {
  std::filesystem::path path =
      std::filesystem::path(GRAFT_CONFORMANCE_DIR) / "rattler" / "parsed_versions.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "conformance corpus absent: " << path;
  std::ifstream in(path);
  std::string line;
  int checked = 0, mismatches = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::size_t equals = line.find('=');
    ASSERT_NE(equals, std::string::npos) << line;
    std::string text = line.substr(0, equals), expected = line.substr(equals + 1);
    ++checked;
    auto parsed = Version::parse(text);
    std::string actual = parsed ? parsed->debug_components() : parsed.error().message();
    if (actual != expected && ++mismatches <= 10) {
      ADD_FAILURE() << "'" << text << "': expected " << expected << ", got " << actual;
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(checked, 28530);
}

// test_version_order in conda's tests: (text, components), in ascending order.
TEST(Version, ComponentsAndOrderOfCondaTable) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"0.4", "[[0], [0], [4]]"},
      {"0.4.0", "[[0], [0], [4], [0]]"},
      {"0.4.1a.vc11", "[[0], [0], [4], [1, 'a'], [0, 'vc', 11]]"},
      {"0.4.1.rc", "[[0], [0], [4], [1], [0, 'rc']]"},
      {"0.4.1.vc11", "[[0], [0], [4], [1], [0, 'vc', 11]]"},
      {"0.4.1", "[[0], [0], [4], [1]]"},
      {"0.5*", "[[0], [0], [5, '*']]"},
      {"0.5a1", "[[0], [0], [5, 'a', 1]]"},
      {"0.5b3", "[[0], [0], [5, 'b', 3]]"},
      {"0.5C1", "[[0], [0], [5, 'c', 1]]"},
      {"0.5z", "[[0], [0], [5, 'z']]"},
      {"0.5za", "[[0], [0], [5, 'za']]"},
      {"0.5", "[[0], [0], [5]]"},
      {"0.5_5", "[[0], [0], [5], [5]]"},
      {"0.5-5", "[[0], [0], [5], [5]]"},
      {"0.9.6", "[[0], [0], [9], [6]]"},
      {"0.960923", "[[0], [0], [960923]]"},
      {"1.0", "[[0], [1], [0]]"},
      {"1.0.4a3", "[[0], [1], [0], [4, 'a', 3]]"},
      {"1.0.4b1", "[[0], [1], [0], [4, 'b', 1]]"},
      {"1.0.4", "[[0], [1], [0], [4]]"},
      {"1.1dev1", "[[0], [1], [1, 'DEV', 1]]"},
      {"1.1_", "[[0], [1], [1, '_']]"},
      {"1.1a1", "[[0], [1], [1, 'a', 1]]"},
      {"1.1.dev1", "[[0], [1], [1], [0, 'DEV', 1]]"},
      {"1.1.a1", "[[0], [1], [1], [0, 'a', 1]]"},
      {"1.1", "[[0], [1], [1]]"},
      {"1.1.post1", "[[0], [1], [1], [0, inf, 1]]"},
      {"1.1.1dev1", "[[0], [1], [1], [1, 'DEV', 1]]"},
      {"1.1.1rc1", "[[0], [1], [1], [1, 'rc', 1]]"},
      {"1.1.1", "[[0], [1], [1], [1]]"},
      {"1.1.1post1", "[[0], [1], [1], [1, inf, 1]]"},
      {"1.1post1", "[[0], [1], [1, inf, 1]]"},
      {"2g6", "[[0], [2, 'g', 6]]"},
      {"2.0b1pr0", "[[0], [2], [0, 'b', 1, 'pr', 0]]"},
      {"2.2be.ta29", "[[0], [2], [2, 'be'], [0, 'ta', 29]]"},
      {"2.2be5ta29", "[[0], [2], [2, 'be', 5, 'ta', 29]]"},
      {"2.2beta29", "[[0], [2], [2, 'beta', 29]]"},
      {"2.2.0.1", "[[0], [2], [2], [0], [1]]"},
      {"3.1.1.6", "[[0], [3], [1], [1], [6]]"},
      {"3.2.p.r0", "[[0], [3], [2], [0, 'p'], [0, 'r', 0]]"},
      {"3.2.pr0", "[[0], [3], [2], [0, 'pr', 0]]"},
      {"3.2.pr.1", "[[0], [3], [2], [0, 'pr'], [1]]"},
      {"5.5.kw", "[[0], [5], [5], [0, 'kw']]"},
      {"11g", "[[0], [11, 'g']]"},
      {"14.3.1", "[[0], [14], [3], [1]]"},
      {"14.3.1.post26.g9d75ca2", "[[0], [14], [3], [1], [0, inf, 26], [0, 'g', 9, 'd', 75, 'ca', 2]]"},
      {"1996.07.12", "[[0], [1996], [7], [12]]"},
      {"1!0.4.1", "[[1], [0], [4], [1]]"},
      {"1!3.1.1.6", "[[1], [3], [1], [1], [6]]"},
      {"2!0.4.1", "[[2], [0], [4], [1]]"},
  };
  std::vector<Version> versions;
  for (const auto& [text, components] : table) {
    versions.push_back(v(text));
    EXPECT_EQ(versions.back().debug_components(), components) << text;
    EXPECT_EQ(versions.back().to_string(), text);
  }
  for (std::size_t i = 1; i < versions.size(); ++i) {
    EXPECT_LE(versions[i - 1], versions[i]) << table[i - 1].first << " vs " << table[i].first;
  }
  EXPECT_EQ(v("0.5-5").normalized(), "0.5_5");
  EXPECT_EQ(v("0.5C1").normalized(), "0.5c1");
}

// The ordered list of conda's VersionOrder docstring; "==" marks an equal neighbour.
TEST(Version, DocstringOrderHolds) {
  const std::vector<std::pair<std::string, bool>> ordered = {
      {"0.4", false},      {"0.4.0", true},     {"0.4.1.rc", false}, {"0.4.1.RC", true},
      {"0.4.1", false},    {"0.5a1", false},    {"0.5b3", false},    {"0.5C1", false},
      {"0.5", false},      {"0.9.6", false},    {"0.960923", false}, {"1.0", false},
      {"1.1dev1", false},  {"1.1_", false},     {"1.1a1", false},    {"1.1.0dev1", false},
      {"1.1.dev1", true},  {"1.1.a1", false},   {"1.1.0rc1", false}, {"1.1.0", false},
      {"1.1", true},       {"1.1.0post1", false}, {"1.1.post1", true}, {"1.1post1", false},
      {"1996.07.12", false}, {"1!0.4.1", false}, {"1!3.1.1.6", false}, {"2!0.4.1", false},
  };
  for (std::size_t i = 1; i < ordered.size(); ++i) {
    Version previous = v(ordered[i - 1].first), current = v(ordered[i].first);
    if (ordered[i].second) {
      EXPECT_EQ(previous, current) << ordered[i - 1].first << " == " << ordered[i].first;
    } else {
      EXPECT_LT(previous, current) << ordered[i - 1].first << " < " << ordered[i].first;
    }
  }
}

void expect_sorted_after_shuffle(const std::vector<std::string>& texts) {
  std::vector<Version> expected;
  for (const auto& text : texts) expected.push_back(v(text));
  std::vector<Version> shuffled = expected;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(42));
  std::stable_sort(shuffled.begin(), shuffled.end());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(shuffled[i].to_string(), expected[i].to_string()) << "position " << i;
  }
}

TEST(Version, OpensslConvention) {
  expect_sorted_after_shuffle({"1.0.1dev", "1.0.1_", "1.0.1a", "1.0.1b", "1.0.1c", "1.0.1d",
                               "1.0.1r", "1.0.1rc", "1.0.1rc1", "1.0.1rc2", "1.0.1s", "1.0.1",
                               "1.0.1post.a", "1.0.1post.b", "1.0.1post.z", "1.0.1post.za",
                               "1.0.2"});
}

TEST(Version, Pep440OrderWithLocalVersionsAndEpochs) {
  std::vector<std::string> base = {
      "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2",
      "1.0b2.post345.dev456", "1.0b2.post345", "1.0c1.dev456", "1.0c1", "1.0c3", "1.0rc2",
      "1.0.dev456", "1.0", "1.0.post456.dev34", "1.0.post456", "1.1.dev1", "1.2.r32+123456",
      "1.2.rev33+123456", "1.2+abc", "1.2+abc123def", "1.2+abc123", "1.2+123abc",
      "1.2+123abc456", "1.2+1234.abc", "1.2+123456"};
  std::vector<std::string> all = base;
  for (const auto& text : base) all.push_back("1!" + text);
  expect_sorted_after_shuffle(all);
  expect_sorted_after_shuffle({"0.3.0.dev", "0.3.3"});
}

TEST(Version, IssueExamples) {
  EXPECT_LT(v("1.0rc1"), v("1.0"));
  EXPECT_LT(v("1.0"), v("1.0post1"));
  EXPECT_LT(v("1.1dev1"), v("1.1a1"));
  EXPECT_LT(v("1.1a1"), v("1.1.0rc1"));
  EXPECT_LT(v("0.4.1"), v("0.5a1"));
  EXPECT_EQ(v("0.4"), v("0.4.0"));
  EXPECT_EQ(v("  0.4.rc  "), v("0.4.RC"));
  EXPECT_EQ(v("0.4.a1"), v("0.4.0a1"));
  EXPECT_NE(v("0.4.a1"), v("0.4.1a1"));
  EXPECT_NE(v("0.4"), v("0.4.1"));
  // A string sorts below the implicit 0 of a missing local part, as in conda.
  EXPECT_LT(v("1.2+local"), v("1.2"));
  EXPECT_LT(v("1.2"), v("1.2+1"));
  EXPECT_LT(v("2.0"), v("1!1.0"));
  EXPECT_LT(v("9999999999999999999"), v("10000000000000000000"));
  EXPECT_EQ(v("000000000000000000000012"), v("12"));
  EXPECT_EQ(v("1.1.0").to_string(), "1.1.0");
}

TEST(Version, RejectsInvalidTextWithCondasReason) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"", "invalid version '': empty version string"},
      {"  ", "invalid version '  ': empty version string"},
      {"3.5&1", "invalid version '3.5&1': invalid character(s)"},
      {"1.2-3_4", "invalid version '1.2-3_4': invalid character(s)"},
      {"5.5++", "invalid version '5.5++': duplicated local version separator '+'"},
      {"5.5..mw", "invalid version '5.5..mw': empty version component"},
      {"!", "invalid version '!': epoch must be an integer"},
      {"a!1.0", "invalid version 'a!1.0': epoch must be an integer"},
      {"a!b!1.0", "invalid version 'a!b!1.0': duplicated epoch separator '!'"},
      {"1.2+", "invalid version '1.2+': empty version component"},
      {"+1.2", "invalid version '+1.2': missing version before local version separator '+'"},
      {"1.", "invalid version '1.': empty version component"},
  };
  for (const auto& [text, message] : table) {
    auto parsed = Version::parse(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().message(), message);
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(Version, StartsWithFollowsConda) {
  const std::vector<std::tuple<std::string, std::string, bool>> table = {
      {"0.4.1", "0", true},          {"0.4.1", "0.4", true},
      {"0.4.1p1", "0.4", true},      {"0.4.1p1", "0.4.1p", true},
      {"0.4.1p1", "0.4.1q1", false}, {"0.4", "0.4.1", false},
      {"0.4.1+1.3", "0.4.1", true},  {"0.4.1+1.3", "0.4.1+1", true},
      {"0.4.1", "0.4.1+1.3", false}, {"0.4.1+1", "0.4.1+1.3", false},
      {"1.20", "1.2", false},        {"1.2", "1.2.0", true},
      {"2013ab", "2013a", true},     {"2013a", "2013b", false},
      {"1.0", "1.0.0", true},        {"1.0.1", "1.0.0", false},
  };
  for (const auto& [version, prefix, expected] : table) {
    EXPECT_EQ(v(version).starts_with(v(prefix)), expected) << version << " starts with " << prefix;
  }
}

TEST(Version, CompatibleWithFollowsCondaTildeEquals) {
  EXPECT_TRUE(v("1.11.0").compatible_with(v("1.10")));
  EXPECT_FALSE(v("1.11.0").compatible_with(v("1.10.0")));
  EXPECT_FALSE(v("3.4.0").compatible_with(v("3.3.2")));
  EXPECT_FALSE(v("3.3.1").compatible_with(v("3.3.2")));
  EXPECT_TRUE(v("3.3.2.0").compatible_with(v("3.3.2")));
  EXPECT_TRUE(v("3.3.3").compatible_with(v("3.3.2")));
  EXPECT_FALSE(v("2.0").compatible_with(v("1")));
}

}  // namespace
}  // namespace graft::conda
