#include "cli/checked_flags.h"

#include <gtest/gtest.h>

#include <vector>

namespace graft::cli {
namespace {

// Parses `--threads VALUE --grace VALUE`-style words; the parse error's message, or "".
std::string parse(std::vector<std::string> words, std::size_t& threads, double& grace) {
  CLI::App app{"test", "graft"};
  add_number_option(app, "-j,--threads", threads, "threads", NumberRange<std::size_t>{1, 1024});
  add_number_option(app, "--grace", grace, "seconds", NumberRange<double>{0, 86400});
  words.insert(words.begin(), "graft");
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& error) {
    return error.what();
  }
  return "";
}

TEST(CheckedFlagsTest, OutOfRangeValuesNameTheFlagAndTheRange) {
  const struct {
    std::vector<std::string> words;
    std::string message;
  } cases[] = {
      {{"--threads", "-1"}, "--threads must be a whole number from 1 to 1024, got '-1'"},
      {{"--threads", "100000"}, "--threads must be a whole number from 1 to 1024, got '100000'"},
      {{"-j", "0"}, "--threads must be a whole number from 1 to 1024, got '0'"},
      {{"--threads", "4.5"}, "--threads must be a whole number from 1 to 1024, got '4.5'"},
      {{"--threads", "99999999999999999999999"},
       "--threads must be a whole number from 1 to 1024, got '99999999999999999999999'"},
      {{"--threads", "two"}, "--threads must be a whole number from 1 to 1024, got 'two'"},
      {{"--grace", "1e99"}, "--grace must be a number from 0 to 86400, got '1e99'"},
      {{"--grace", "nan"}, "--grace must be a number from 0 to 86400, got 'nan'"},
      {{"--grace", "inf"}, "--grace must be a number from 0 to 86400, got 'inf'"},
      {{"--grace", "-0.5"}, "--grace must be a number from 0 to 86400, got '-0.5'"},
      {{"--grace=" + std::string(100'000, '9')},
       "--grace must be a number from 0 to 86400, got '" + std::string(200, '9') + "...'"},
  };
  for (const auto& c : cases) {
    std::size_t threads = 7;
    double grace = 10;
    EXPECT_EQ(parse(c.words, threads, grace), c.message) << c.words[0];
    EXPECT_EQ(threads, 7u);
    EXPECT_EQ(grace, 10);
  }
}

TEST(CheckedFlagsTest, ValuesInRangeAreStored) {
  std::size_t threads = 0;
  double grace = 0;
  EXPECT_EQ(parse({"--threads", "1024", "--grace", "2.5"}, threads, grace), "");
  EXPECT_EQ(threads, 1024u);
  EXPECT_EQ(grace, 2.5);
  EXPECT_EQ(parse({"--threads=1", "--grace=0"}, threads, grace), "");
  EXPECT_EQ(threads, 1u);
  EXPECT_EQ(grace, 0);
}

TEST(CheckedFlagsTest, ChoicesListWhatIsAllowed) {
  CLI::App app{"test", "graft"};
  std::string affinity = "none";
  add_choice_option(app, "-a,--cpu-affinity", affinity, "pinning", {"auto", "none"});
  std::vector<std::string> words = {"graft", "--cpu-affinity", "sometimes"};
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    ADD_FAILURE() << "parsed";
  } catch (const CLI::ParseError& error) {
    EXPECT_EQ(std::string(error.what()),
              "--cpu-affinity must be one of auto, none, got 'sometimes'");
  }
  EXPECT_EQ(affinity, "none");
  words = {"graft", "-a", "auto"};
  argv.clear();
  for (std::string& word : words) argv.push_back(word.data());
  app.parse(static_cast<int>(argv.size()), argv.data());
  EXPECT_EQ(affinity, "auto");
}

}  // namespace
}  // namespace graft::cli
