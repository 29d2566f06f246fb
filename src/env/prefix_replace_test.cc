#include "env/prefix_replace.h"

#include <string>

#include <gtest/gtest.h>

namespace graft::env {
namespace {

constexpr std::string_view kPlaceholder = "/opt/anaconda1anaconda2anaconda3";

struct TextCase {
  std::string name;
  std::string input;
  std::string prefix;
  std::string expected;
};

class TextReplaceTest : public ::testing::TestWithParam<TextCase> {};

TEST_P(TextReplaceTest, MatchesConda) {
  const TextCase& c = GetParam();
  auto out = replace_prefix(c.input, FileMode::kText, kPlaceholder, c.prefix);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, c.expected);
}

const std::string kLong(120, 'x');

INSTANTIATE_TEST_SUITE_P(
    Cases, TextReplaceTest,
    ::testing::Values(
        TextCase{"every_occurrence",
                 "prefix=/opt/anaconda1anaconda2anaconda3\nlib=/opt/anaconda1anaconda2anaconda3/lib\n",
                 "/env", "prefix=/env\nlib=/env/lib\n"},
        TextCase{"no_placeholder", "plain text\n", "/env", "plain text\n"},
        TextCase{"short_shebang", "#!/opt/anaconda1anaconda2anaconda3/bin/python -E\nprint(1)\n",
                 "/env", "#!/env/bin/python -E\nprint(1)\n"},
        TextCase{"long_shebang_uses_env",
                 "#!/opt/anaconda1anaconda2anaconda3/bin/python3 -s\nimport x\n",
                 "/" + kLong, "#!/usr/bin/env python3 -s\nimport x\n"},
        TextCase{"space_in_prefix_uses_env",
                 "#!/opt/anaconda1anaconda2anaconda3/bin/perl\nA=/opt/anaconda1anaconda2anaconda3\n",
                 "/my env", "#!/usr/bin/env perl\nA=/my env\n"},
        TextCase{"shebang_at_127_kept",
                 "#!/opt/anaconda1anaconda2anaconda3/bin/py\n",
                 "/" + std::string(127 - 2 - 7 - 1, 'p'),
                 "#!/" + std::string(117, 'p') + "/bin/py\n"},
        TextCase{"shebang_at_128_rewritten",
                 "#!/opt/anaconda1anaconda2anaconda3/bin/py\n",
                 "/" + std::string(118, 'p'), "#!/usr/bin/env py\n"},
        TextCase{"no_newline_shebang_not_escaped", "#!/opt/anaconda1anaconda2anaconda3/bin/sh",
                 "/a b", "#!/a b/bin/sh"}),
    [](const auto& info) { return info.param.name; });

TEST(ReplaceLongShebang, LeavesNonShebangsAlone) {
  EXPECT_EQ(replace_long_shebang("echo " + kLong + kLong), "echo " + kLong + kLong);
  EXPECT_EQ(replace_long_shebang("#! relative/" + kLong + kLong), "#! relative/" + kLong + kLong);
}

TEST(BinaryReplace, PadsWithNulsAndKeepsLength) {
  const std::string placeholder(kPlaceholder);
  const std::string data = std::string("head\0", 5) + placeholder + "/lib:" + placeholder + "/x" +
                           std::string(1, '\0') + "tail";
  auto out = replace_prefix(data, FileMode::kBinary, kPlaceholder, "/env");
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_EQ(out->size(), data.size());
  const std::string expected_string = "/env/lib:/env/x";
  EXPECT_EQ(out->substr(0, 5), std::string("head\0", 5));
  EXPECT_EQ(out->substr(5, expected_string.size()), expected_string);
  // 2 occurrences * (32 - 4) bytes of padding, then the original terminator.
  EXPECT_EQ(out->substr(5 + expected_string.size(), 57), std::string(57, '\0'));
  EXPECT_EQ(out->substr(out->size() - 4), "tail");
}

TEST(BinaryReplace, PlaceholderWithoutTerminatorIsLeftAlone) {
  const std::string data = "abc/opt/anaconda1anaconda2anaconda3";
  auto out = replace_prefix(data, FileMode::kBinary, kPlaceholder, "/env");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, data);
}

TEST(BinaryReplace, RefusesALongerPrefix) {
  std::string data("/opt/anaconda1anaconda2anaconda3/lib\0", 37);
  auto out = replace_prefix(data, FileMode::kBinary, kPlaceholder, "/" + kLong);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(out.error().message(),
            "prefix '/" + kLong + "' is longer than the placeholder "
            "'/opt/anaconda1anaconda2anaconda3' (32 bytes) of a binary file: a binary can only "
            "take a prefix of at most that length");
}

TEST(ReplacePrefix, RejectsAnEmptyPlaceholder) {
  auto out = replace_prefix("x", FileMode::kText, "", "/env");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace graft::env
