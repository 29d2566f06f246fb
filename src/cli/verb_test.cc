#include "cli/verb.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace graft::cli {
namespace {

// Verbs of a test-only group; each records that its setup ran and returns its exit code.
std::set<std::string>& setups() {
  static std::set<std::string> names;
  return names;
}

VerbRun setup_of(const std::string& name, int code, CLI::App& command) {
  static bool shout = false;
  setups().insert(name);
  command.add_flag("--shout", shout, "a flag only this verb has");
  return [code] { return code; };
}

GRAFT_VERB({.name = "zztest alpha", .help = "first test verb", .setup = [](CLI::App& c) {
              return setup_of("zztest alpha", 3, c);
            }});
GRAFT_VERB({.name = "zztest beta", .help = "second test verb", .setup = [](CLI::App& c) {
              return setup_of("zztest beta", 4, c);
            }});
GRAFT_VERB({.name = "zzsolo", .help = "a test verb outside groups", .setup = [](CLI::App& c) {
              return setup_of("zzsolo", 5, c);
            }});

std::string base_line(const std::vector<std::string>& words) {
  std::string line;
  for (const std::string& word : words) line += word + " ";
  return line;
}

// Builds an app for `words` (argv[0] added), parses it and runs the verb picked; -1 when
// none is, -2 when parsing fails. `help` receives the top-level help.
int run(std::vector<std::string> words, std::string* help = nullptr) {
  words.insert(words.begin(), "graft");
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  setups().clear();
  CLI::App app{"test", "graft"};
  app.fallthrough();
  bool quiet = false;
  app.add_flag("-q", quiet, "a global flag, as main() has");
  auto pick = install_verbs(app, static_cast<int>(argv.size()), argv.data());
  if (help != nullptr) *help = app.help();
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
    return -2;
  }
  VerbRun verb = pick();
  return verb ? verb() : -1;
}

TEST(VerbTest, OnlyThePickedVerbIsSetUp) {
  const struct {
    std::vector<std::string> words;
    int code;
    std::set<std::string> setups;
  } cases[] = {
      {{"zztest", "alpha"}, 3, {"zztest alpha"}},
      {{"zztest", "beta", "--shout"}, 4, {"zztest beta"}},
      {{"-q", "zztest", "-q", "beta"}, 4, {"zztest beta"}},  // global flags between the words
      {{"zzsolo", "--shout"}, 5, {"zzsolo"}},
      {{"zztest", "gamma"}, -2, {}},
      {{"nothing"}, -2, {}},
  };
  for (const auto& test : cases) {
    const std::string line = base_line(test.words);
    EXPECT_EQ(run(test.words), test.code) << line;
    EXPECT_EQ(setups(), test.setups) << line;
  }
}

TEST(VerbTest, EveryVerbIsListedWithoutBeingSetUp) {
  std::string help;
  run({"zzsolo"}, &help);
  EXPECT_NE(help.find("zzsolo"), std::string::npos) << help;
  EXPECT_NE(help.find("zztest"), std::string::npos) << help;
  EXPECT_EQ(setups(), std::set<std::string>{"zzsolo"});
}

TEST(VerbTest, RunGuardedTurnsExceptionsIntoErrors) {
  EXPECT_EQ(run_guarded([] { return 7; }), 7);
  testing::internal::CaptureStderr();
  const int code = run_guarded([]() -> int {
    throw std::filesystem::filesystem_error(
        "cannot get current path", std::make_error_code(std::errc::no_such_file_or_directory));
  });
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 1);
  EXPECT_EQ(err,
            "graft: error: filesystem error: cannot get current path: No such file or directory\n");
}

TEST(VerbDeathTest, AnExceptionEscapingAThreadIsAnErrorNotAnAbort) {
  EXPECT_EXIT(run_guarded([] {
                std::thread([] { throw std::runtime_error("boom in a worker"); }).join();
                return 0;
              }),
              testing::ExitedWithCode(1), "graft: error: boom in a worker");
}

}  // namespace
}  // namespace graft::cli
