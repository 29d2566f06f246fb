// Every verb's --help ends with examples, and every example parses against the verb's own
// flags (so an example can not name a flag that does not exist).
#include "cli/examples.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/fs.h"
#include "base/strings.h"
#include "cli/verb.h"

namespace graft::cli {
namespace {

// The words of one example line, as a shell would pass them: single quotes group, a
// comment ('#') and a redirection ('>' FILE) end the command.
std::vector<std::string> shell_words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool quoted = false;
  bool in_word = false;
  for (char c : line) {
    if (c == '\'') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && (c == ' ' || c == '#' || c == '>')) {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
      if (c != ' ') break;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

bool is_test_verb(const Verb& verb) {
  return verb.name.starts_with("zz");
}

TEST(Examples, EveryVerbHasOneAndItParsesAgainstTheVerbsFlags) {
  std::size_t checked = 0;
  for (const Verb& verb : all_verbs()) {
    if (is_test_verb(verb)) continue;
    const std::string_view examples = verb_example(verb.name);
    EXPECT_FALSE(examples.empty()) << "'graft " << verb.name << "' has no example";
    for (auto line : base::split(examples, '\n')) {
      std::vector<std::string> words = shell_words(line);
      ASSERT_GE(words.size(), 2u) << line;
      EXPECT_EQ(words[0], "graft") << line;
      EXPECT_TRUE(std::string(line).starts_with("graft " + verb.name)) << line;
      std::vector<char*> argv;
      for (std::string& word : words) argv.push_back(word.data());
      CLI::App app{"graft", "graft"};
      app.require_subcommand(1);
      app.fallthrough();
      app.add_flag("-v,--verbose");
      auto pick = install_verbs(app, static_cast<int>(argv.size()), argv.data());
      try {
        app.parse(static_cast<int>(argv.size()), argv.data());
      } catch (const CLI::ParseError& error) {
        ADD_FAILURE() << "'" << line << "' does not parse: " << error.what();
        continue;
      }
      EXPECT_NE(pick(), nullptr) << line;
      ++checked;
    }
  }
  EXPECT_GE(checked, 45u);
}

TEST(Examples, TheWorkflowParsesLineByLine) {
  for (auto line : base::split(workflow_example(), '\n')) {
    std::vector<std::string> words = shell_words(line);
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    CLI::App app{"graft", "graft"};
    app.require_subcommand(1);
    auto pick = install_verbs(app, static_cast<int>(argv.size()), argv.data());
    EXPECT_NO_THROW(app.parse(static_cast<int>(argv.size()), argv.data())) << line;
    EXPECT_NE(pick(), nullptr) << line;
  }
  EXPECT_EQ(base::split(workflow_example(), '\n').size(), 10u);
}

TEST(Examples, TheReadmeShowsTheSameWorkflow) {
  auto readme = base::read_file(std::string(GRAFT_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(readme) << readme.error().message();
  EXPECT_NE(readme->find("```sh\n" + std::string(workflow_example()) + "\n```"), std::string::npos)
      << "README.md's ten commands differ from cli/examples.cc's workflow_example()";
}

TEST(Examples, ShellWordsFollowQuotesCommentsAndRedirections) {
  EXPECT_EQ(shell_words("graft install 'a b' c # note"),
            (std::vector<std::string>{"graft", "install", "a b", "c"}));
  EXPECT_EQ(shell_words("graft env export -n x > env.yml"),
            (std::vector<std::string>{"graft", "env", "export", "-n", "x"}));
}

}  // namespace
}  // namespace graft::cli
