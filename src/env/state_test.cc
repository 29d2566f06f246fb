#include "env/state.h"

#include <filesystem>
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "env/testing.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::Pair;

class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = base::TempDir::create("graft-state-");
    ASSERT_TRUE(dir);
    dir_ = std::make_unique<base::TempDir>(std::move(*dir));
    prefix_ = dir_->path() / "env";
    fs::create_directories(prefix_ / "conda-meta");
  }
  std::string state() { return testing::read_text(state_file(prefix_)); }
  void write_state(const std::string& text) { testing::write_text(state_file(prefix_), text); }

  std::unique_ptr<base::TempDir> dir_;
  fs::path prefix_;
};

TEST_F(StateTest, SetWritesCondasBytes) {
  ASSERT_TRUE(set_env_vars(prefix_, {{"MODEL", "bert"}, {"LR", "0.1"}}));
  EXPECT_EQ(state(), R"({
  "env_vars": {
    "MODEL": "bert",
    "LR": "0.1"
  }
})");
}

TEST_F(StateTest, SetEscapesAsPythonWithoutEnsureAscii) {
  ASSERT_TRUE(set_env_vars(prefix_, {{"NOTE", "caf\xc3\xa9 \"q\" \\ \t\x01"}}));
  EXPECT_EQ(
      state(),
      "{\n  \"env_vars\": {\n    \"NOTE\": \"caf\xc3\xa9 \\\"q\\\" \\\\ \\t\\u0001\"\n  }\n}");
}

TEST_F(StateTest, SetUpdatesInPlaceAppendsNewAndKeepsOtherKeys) {
  write_state(R"({"other": [1, {"x": true}], "env_vars": {"A": "1", "B": "2"}})");
  ASSERT_TRUE(set_env_vars(prefix_, {{"C", "3"}, {"A", "one"}, {"C", "three"}}));
  EXPECT_EQ(state(),
            R"({
  "other": [
    1,
    {
      "x": true
    }
  ],
  "env_vars": {
    "A": "one",
    "B": "2",
    "C": "three"
  }
})");
}

TEST_F(StateTest, UnsetMarksAsCondaDoesAndReadSkipsMarked) {
  ASSERT_TRUE(set_env_vars(prefix_, {{"A", "1"}, {"B", "2"}}));
  auto not_set = unset_env_vars(prefix_, {"A", "MISSING"});
  ASSERT_TRUE(not_set) << not_set.error().message();
  EXPECT_THAT(*not_set, ElementsAre("MISSING"));
  EXPECT_EQ(state(), R"({
  "env_vars": {
    "A": "***unset***",
    "B": "2"
  }
})");
  auto variables = read_env_vars(prefix_);
  ASSERT_TRUE(variables);
  EXPECT_THAT(*variables, ElementsAre(Pair("B", "2")));
  // Unsetting it again finds nothing; setting it again brings it back in its place.
  EXPECT_THAT(*unset_env_vars(prefix_, {"A"}), ElementsAre("A"));
  ASSERT_TRUE(set_env_vars(prefix_, {{"A", "3"}}));
  EXPECT_THAT(*read_env_vars(prefix_), ElementsAre(Pair("A", "3"), Pair("B", "2")));
}

TEST_F(StateTest, UnsetWithNothingSetWritesNothing) {
  auto not_set = unset_env_vars(prefix_, {"X", "X"});
  ASSERT_TRUE(not_set);
  EXPECT_THAT(*not_set, ElementsAre("X"));
  EXPECT_FALSE(fs::exists(state_file(prefix_)));
}

TEST_F(StateTest, ReadKeepsFileOrderAndNonStringValues) {
  EXPECT_TRUE(read_env_vars(prefix_)->empty());  // no file
  write_state(R"({"env_vars": {"ZED": "z", "N": 3, "ALPHA": "a"}})");
  EXPECT_THAT(*read_env_vars(prefix_),
              ElementsAre(Pair("ZED", "z"), Pair("N", "3"), Pair("ALPHA", "a")));
  write_state(R"({"env_vars": null})");
  EXPECT_TRUE(read_env_vars(prefix_)->empty());
}

TEST_F(StateTest, MalformedFilesAreNamedAndNeverOverwritten) {
  const std::string file = state_file(prefix_).string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{not json", "invalid JSON"},
      {"[1]", "expected a JSON object"},
      {R"({"env_vars": ["A"]})", "'env_vars' must be an object"}};
  for (const auto& [text, why] : cases) {
    write_state(text);
    auto read = read_env_vars(prefix_);
    ASSERT_FALSE(read) << text;
    EXPECT_EQ(read.error().code(), ErrorCode::kCorrupt);
    EXPECT_EQ(read.error().message(), "'" + file + "' is not a valid state file: " + why);
    EXPECT_FALSE(set_env_vars(prefix_, {{"A", "1"}}));
    EXPECT_FALSE(unset_env_vars(prefix_, {"A"}));
    EXPECT_EQ(state(), text);
  }
}

TEST_F(StateTest, SetOutsideAnEnvironmentIsNotFound) {
  auto set = set_env_vars(dir_->path() / "nowhere", {{"A", "1"}});
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_->path() / "nowhere"));
}

TEST(ParseAssignmentsTest, SplitsAtTheFirstEqualsAndTrims) {
  auto parsed = parse_assignments({"K=V", " SPACED = a b ", "EMPTY=", "URL=a=b=c"});
  ASSERT_TRUE(parsed);
  EXPECT_THAT(*parsed, ElementsAre(Pair("K", "V"), Pair("SPACED", "a b"), Pair("EMPTY", ""),
                                   Pair("URL", "a=b=c")));
}

TEST(ParseAssignmentsTest, RejectsMissingEqualsAndEmptyNames) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"K", "'K' is not a valid variable assignment: expected KEY=VALUE"},
      {"=V", "'=V' is not a valid variable assignment: the name is empty"},
      {" =V", "' =V' is not a valid variable assignment: the name is empty"}};
  for (const auto& [word, message] : cases) {
    auto parsed = parse_assignments({"OK=1", word});
    ASSERT_FALSE(parsed) << word;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().message(), message);
  }
}

TEST(CheckVariableNameTest, OneRuleForSetAndEnvironmentFiles) {
  EXPECT_TRUE(check_variable_name("MODE"));
  EXPECT_TRUE(check_variable_name("lower.dotted-name"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "variable name '' is not valid: the name is empty"},
      {"A=B", "variable name 'A=B' is not valid: it has a '='"},
      {std::string("A\0B", 3),
       std::string("variable name 'A\0B' is not valid: it has a NUL byte", 51)},
      {" A", "variable name ' A' is not valid: it starts or ends with whitespace"},
      {"A\t", "variable name 'A\t' is not valid: it starts or ends with whitespace"}};
  for (const auto& [name, message] : cases) {
    auto checked = check_variable_name(name);
    ASSERT_FALSE(checked) << name;
    EXPECT_EQ(checked.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(checked.error().message(), message);
  }
}

}  // namespace
}  // namespace graft::env
