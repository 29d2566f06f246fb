#include "base/strings.h"

#include <gtest/gtest.h>

#include "base/progress.h"
#include "base/result.h"

namespace graft::base {
namespace {

TEST(StringsTest, SplitKeepsEmptyParts) {
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(split("", ','), (std::vector<std::string_view>{""}));
}

TEST(StringsTest, TrimLowerJoinReplace) {
  EXPECT_EQ(trim("  a b \n"), "a b");
  EXPECT_EQ(to_lower("AbC"), "abc");
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(replace_all("/opt/x/bin:/opt/x", "/opt/x", "/env"), "/env/bin:/env");
  EXPECT_TRUE(starts_with("conda-forge", "conda"));
  EXPECT_TRUE(ends_with("pkg.tar.bz2", ".tar.bz2"));
}

TEST(StringsTest, ClosestMatchSuggestsOnlyLikelyTypos) {
  std::vector<std::string> verbs{"create", "install", "remove", "list"};
  EXPECT_EQ(closest_match("instal", verbs), "install");
  EXPECT_EQ(closest_match("lsit", verbs), "list");
  EXPECT_EQ(closest_match("xyzzy", verbs), "");
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(StringsTest, ClosestMatchOfAHugeNameIsQuickAndEmpty) {
  // Quadratic in the lengths before: 10^10 cells for these two.
  const std::string huge(100'000, 'a');
  EXPECT_EQ(closest_match(huge, {huge + "b", "install"}), "");
  EXPECT_EQ(closest_match("instal", {huge, "install"}), "install");
}

TEST(StringsTest, AbbreviateQuotesAtMostTheLimit) {
  EXPECT_EQ(abbreviate("short"), "short");
  EXPECT_EQ(abbreviate(std::string(kMessageQuoteLimit, 'x')), std::string(kMessageQuoteLimit, 'x'));
  EXPECT_EQ(abbreviate(std::string(10'000'000, 'x')), std::string(kMessageQuoteLimit, 'x') + "...");
  EXPECT_EQ(abbreviate("abcdef", 3), "abc...");
  // "\xc3\xa9" is one character: never cut in half.
  EXPECT_EQ(abbreviate("ab\xc3\xa9z", 3), "ab...");
}

TEST(StringsTest, ShellQuote) {
  EXPECT_EQ(shell_quote("plain-arg"), "plain-arg");
  EXPECT_EQ(shell_quote("two words"), "'two words'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
}

TEST(ResultTest, ContextAndHintCompose) {
  Error error = Error(ErrorCode::kNotFound, "no such file").with_context("reading 'a.yml'");
  error.with_hint("create it first");
  EXPECT_EQ(error.message(), "reading 'a.yml': no such file");
  EXPECT_EQ(error.hint(), "create it first");
  EXPECT_EQ(error_code_name(error.code()), "not_found");
}

Result<int> parse_positive(int value) {
  if (value <= 0) return fail(ErrorCode::kInvalidArgument, "not positive");
  return value;
}

Result<int> doubled(int value) {
  GRAFT_ASSIGN_OR_RETURN(int parsed, parse_positive(value));
  return parsed * 2;
}

TEST(ResultTest, AssignOrReturnPropagates) {
  EXPECT_EQ(*doubled(4), 8);
  EXPECT_EQ(doubled(-1).error().message(), "not positive");
}

TEST(ProgressTest, HumanBytesAndQuietWhenNotATerminal) {
  EXPECT_EQ(human_bytes(812), "812 B");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(3 * 1024 * 1024), "3.0 MiB");
  Progress never(ProgressMode::kNever);
  EXPECT_FALSE(never.enabled());
  ProgressTask* task = never.add_task("x");
  task->set(1, 2);
  task->finish();
}

}  // namespace
}  // namespace graft::base
