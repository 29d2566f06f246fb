#include "conda/version_spec.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace graft::conda {
namespace {

VersionSpec spec(std::string_view text) {
  auto parsed = VersionSpec::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
  return parsed ? *parsed : VersionSpec();
}

// conda's test_match: each spec against version 1.7.1; str(spec) is the input.
TEST(VersionSpec, CondaMatchTableAgainst171) {
  const std::vector<std::pair<std::string, bool>> table = {
      {"1.7.*", true},         {"1.7.1", true},          {"1.7.0", false},
      {"1.7", false},          {"1.5.*", false},         {">=1.5", true},
      {"!=1.5", true},         {"!=1.7.1", false},       {"==1.7.1", true},
      {"==1.7", false},        {"==1.7.2", false},       {"==1.7.1.0", true},
      {"1.7.*|1.8.*", true},   {">1.7,<1.8", true},      {">1.7.1,<1.8", false},
      {"^1.7.1$", true},       {R"(^1\.7\.1$)", true},   {R"(^1\.7\.[0-9]+$)", true},
      {R"(^1\.8.*$)", false},  {R"(^1\.[5-8]\.1$)", true}, {"^[^1].*$", false},
      {R"(^[0-9+]+\.[0-9+]+\.[0-9]+$)", true}, {"^$", false}, {"^.*$", true},
      {"1.7.*|^0.*$", true},   {"1.6.*|^0.*$", false},   {"1.6.*|^0.*$|1.7.1", true},
      {"^0.*$|1.7.1", true},   {R"(1.6.*|^.*\.7\.1$|0.7.1)", true}, {"*", true},
      {"1.*.1", true},         {"1.5.*|>1.7,<1.8", true}, {"1.5.*|>1.7,<1.7.1", false},
      {"===1.7.1", true},      {"===1.7.1.0", false},
  };
  auto version = Version::parse("1.7.1");
  ASSERT_TRUE(version);
  for (const auto& [text, expected] : table) {
    VersionSpec parsed = spec(text);
    EXPECT_EQ(parsed.to_string(), text);
    EXPECT_EQ(parsed.matches(*version), expected) << text;
    EXPECT_EQ(parsed.matches("1.7.1"), expected) << text;
  }
}

// conda's test_ver_eval and test_not_eq_star / test_compound_versions / test_local_identifier.
TEST(VersionSpec, CondaVersionEvaluationTable) {
  const std::vector<std::tuple<std::string, std::string, bool>> table = {
      {"1.7.0", "==1.7", true},     {"1.7.0", "<=1.7", true},     {"1.7.0", "<1.7", false},
      {"1.7.0", ">=1.7", true},     {"1.7.0", ">1.7", false},     {"1.6.7", ">=1.7", false},
      {"2013a", ">2013b", false},   {"2013k", ">2013b", true},    {"3.0.0", ">2013b", false},
      {"1.0.0", ">1.0.0a", true},   {"1.0.0", ">1.0.0*", true},   {"1.0", "1.0*", true},
      {"1.0.0", "1.0*", true},      {"1.0", "1.0.0*", true},      {"1.0.1", "1.0.0*", false},
      {"2013a", "2013a*", true},    {"2013a", "2013b*", false},   {"2013ab", "2013a*", true},
      {"1.3.4", "1.2.4*", false},   {"1.2.3+4.5.6", "1.2.3*", true},
      {"1.2.3+4.5.6", "1.2.3+4*", true}, {"1.2.3+4.5.6", "1.2.3+5*", false},
      {"1.2.3+4.5.6", "1.2.4+5*", false},
      {"3.3.1", "=3.3", true},      {"3.3", "=3.3", true},        {"3.4", "=3.3", false},
      {"3.3.1", "3.3.*", true},     {"3.3", "3.3.*", true},       {"3.4", "3.3.*", false},
      {"3.3.1", "=3.3.*", true},    {"3.3", "=3.3.*", true},      {"3.4", "=3.3.*", false},
      {"3.3.1", "!=3.3.*", false},  {"3.4", "!=3.3.*", true},     {"3.4.1", "!=3.3.*", true},
      {"3.3.1", "!=3.3", true},     {"3.3.0.0", "!=3.3", false},  {"3.3.0.0", "!=3.3.*", false},
      {"1.20", "1.2.*", false},     {"1.2", "1.2.*", true},
      {"2.6.8", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", false},
      {"2.7.2", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", true},
      {"3.3.4", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", false},
      {"3.4a", ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", true},
      {"1.7.0.post123+gabcdef9", "1.7.0.post123+gabcdef9", true},
      {"1.11.0", "~=1.10", true},   {"1.11.0", "~=1.10.0", false}, {"3.4.0", "~=3.3.2", false},
      {"3.3.1", "~=3.3.2", false},  {"3.3.2.0", "~=3.3.2", true},  {"3.3.3", "~=3.3.2", true},
      {"2.2.0", "~=3.3.2|==2.2", true}, {"3.3.3", "~=3.3.2|==2.2", true},
      {"2.2.1", "~=3.3.2|==2.2", false},
      {"1.5", "(>=1,<2)|>3", true}, {"2.5", "(>=1,<2)|>3", false}, {"4", "(>=1,<2)|>3", true},
      {"3.1", ">=3,(<3.2|>4)", true}, {"3.5", ">=3,(<3.2|>4)", false},
      {"not-a-version!", "*", true}, {"not a version", ">=1", false},
      {"1.0@abc", "1.0@abc", true},
  };
  for (const auto& [version, text, expected] : table) {
    EXPECT_EQ(spec(text).matches(version), expected) << version << " vs " << text;
  }
}

TEST(VersionSpec, CanonicalTextAndEquality) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"1.7.1*", "1.7.1.*"},
      {"1.7.1.*", "1.7.1.*"},
      {"1.7.1*,1.8.1*", "1.7.1.*,1.8.1.*"},
      {"  >=1.2 ,  <2 ", ">=1.2,<2"},
      {"( (1.5|((1.6|1.7), 1.8), 1.9 |2.0))|2.1", "1.5|(1.6|1.7),1.8,1.9|2.0|2.1"},
      {"(1.2.3|4.5.6),<=7.8.9", "(1.2.3|4.5.6),<=7.8.9"},
      {"1.2.3,4.5.6|<=7.8.9", "1.2.3,4.5.6|<=7.8.9"},
      {"(1.2)", "1.2"},
      {"^1\\.(7|8)$|2", "^1\\.(7|8)$|2"},
  };
  for (const auto& [input, canonical] : table) {
    VersionSpec parsed = spec(input);
    EXPECT_EQ(parsed.to_string(), canonical) << input;
    EXPECT_EQ(spec(parsed.to_string()), parsed) << "round trip of " << input;
  }
  EXPECT_EQ(spec("1.7.1*"), spec("1.7.1.*"));
  EXPECT_TRUE(spec("1.7.1").is_exact());
  EXPECT_TRUE(spec("==1.7.1").is_exact());
  EXPECT_FALSE(spec("1.7.1*").is_exact());
  EXPECT_FALSE(spec("1.7.1*,1.8.1*").is_exact());
  EXPECT_TRUE(spec("*").is_any());
  EXPECT_TRUE(VersionSpec().is_any());
  EXPECT_EQ(VersionSpec().to_string(), "*");
}

TEST(VersionSpec, RejectsInvalidSpecsNamingSpecAndProblem) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"(1.5", "invalid version spec '(1.5': missing ')'"},
      {"1.5)", "invalid version spec '1.5)': unexpected ')'"},
      {"1.5||1.6", "invalid version spec '1.5||1.6': expected a version here"},
      {"1.5,", "invalid version spec '1.5,': expected a version at the end"},
      {"", "invalid version spec '': expected a version at the end"},
      {"^1.5", "invalid version spec '^1.5': regex specs must start with '^' and end with '$'"},
      {"^", "invalid version spec '^': regex specs must start with '^' and end with '$'"},
      {"~", "invalid version spec '~': invalid operator"},
      {"><2.4.5", "invalid version spec '><2.4.5': invalid operator"},
      {"!!2.4.5", "invalid version spec '!!2.4.5': invalid operator"},
      {"!", "invalid version spec '!': invalid operator"},
      {"==", "invalid version spec '==': invalid operator"},
      {"=", "invalid version spec '=': invalid operator"},
      {">=", "invalid version spec '>=': invalid operator"},
      {"<= 1.2", "invalid version spec '<= 1.2': invalid operator"},
      {"~=3.3.2.*", "invalid version spec '~=3.3.2.*': invalid operator with '.*'"},
      {"~=3", "invalid version spec '~=3': '~=' needs a version with at least two parts"},
      {"1.2+", "invalid version spec '1.2+': invalid version '1.2+': empty version component"},
      {"+1.2", "invalid version spec '+1.2': invalid version '+1.2': missing version before "
               "local version separator '+'"},
      {"++", "invalid version spec '++': invalid version '++': duplicated local version "
             "separator '+'"},
      {">=1.2&", "invalid version spec '>=1.2&': invalid version '1.2&': invalid character(s)"},
      {"c +, 0/|0 *", "invalid version spec 'c +, 0/|0 *': invalid version 'c +': invalid "
                      "character(s)"},
      {"a=)(=b", "invalid version spec 'a=)(=b': invalid version 'a=': invalid character(s)"},
  };
  for (const auto& [text, message] : table) {
    auto parsed = VersionSpec::parse(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().message(), message);
  }
  EXPECT_FALSE(VersionSpec::parse("^(aaaa$").has_value());
}

}  // namespace
}  // namespace graft::conda
