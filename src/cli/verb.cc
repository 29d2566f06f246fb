#include "cli/verb.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include <fmt/core.h>

#include "base/strings.h"

namespace graft::cli {
namespace {

// The help line of a verb group ("env ", "route ", ...), shown in `graft --help`.
std::string group_help(const std::string& path) {
  if (path == "env ") return "whole environments: list, create -f, export, remove, freeze, config";
  if (path == "env config ") return "settings stored in an environment";
  if (path == "env config vars ") return "environment variables graft run sets (conda-meta/state)";
  if (path == "route ") return "inspect and change a running proxy's traffic split";
  return "";
}

std::vector<Verb>& registry() {
  static std::vector<Verb> verbs;
  return verbs;
}

}  // namespace

bool register_verb(Verb verb) {
  registry().push_back(std::move(verb));
  return true;
}

namespace {

// The name of the verb `argv` picks ("env export"), "" when it picks none: the words that
// are not flags, as far as they name a group and then a verb.
std::string chosen_verb(int argc, char** argv) {
  std::string path;
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word.empty() || word.front() == '-') continue;  // global flags, or fallthrough ones
    const std::string candidate = path.empty() ? std::string(word) : path + " " + std::string(word);
    bool group = false;
    for (const Verb& verb : registry()) {
      if (verb.name == candidate) return candidate;
      group = group || verb.name.starts_with(candidate + " ");
    }
    if (!group) return "";
    path = candidate;
  }
  return "";
}

// The subcommand for `name`, under the groups its first words name (created on first use).
CLI::App* add_verb_command(CLI::App& app, const Verb& verb,
                           std::map<std::string, CLI::App*>& groups) {
  CLI::App* parent = &app;
  auto words = base::split(verb.name, ' ');
  std::string path;
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    path += std::string(words[i]) + " ";
    auto found = groups.find(path);
    if (found == groups.end()) {
      CLI::App* group = parent->add_subcommand(std::string(words[i]), group_help(path));
      group->require_subcommand(1);
      group->fallthrough();
      found = groups.emplace(path, group).first;
    }
    parent = found->second;
  }
  CLI::App* command = parent->add_subcommand(std::string(words.back()), verb.help);
  command->fallthrough();
  return command;
}

}  // namespace

std::function<VerbRun()> install_verbs(CLI::App& app, int argc, char** argv) {
  // Every verb gets its subcommand (for --help and name checks); only the one picked gets
  // its flags: building all of them would cost every command a few hundred microseconds.
  const std::string chosen = chosen_verb(argc, argv);
  std::map<std::string, CLI::App*> groups;  // "env ", "route ", ...
  CLI::App* picked = nullptr;
  VerbRun run;
  for (const Verb& verb : registry()) {
    CLI::App* command = add_verb_command(app, verb, groups);
    if (verb.name == chosen) {
      picked = command;
      run = verb.setup(*command);
    }
  }
  return
      [picked, run]() -> VerbRun { return picked != nullptr && picked->parsed() ? run : nullptr; };
}

int check_command_name(const CLI::App& app, int argc, char** argv) {
  const CLI::App* level = &app;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word.empty() || word.front() == '-') {
      if (path.empty()) continue;  // global flags come first
      return 0;
    }
    std::vector<std::string> names;
    for (const CLI::App* command : level->get_subcommands({})) names.push_back(command->get_name());
    if (names.empty()) return 0;  // a leaf verb: the rest are its arguments
    auto found = std::find(names.begin(), names.end(), word);
    if (found == names.end()) {
      std::string suggestion = base::closest_match(word, names);
      Error error(
          ErrorCode::kInvalidArgument,
          fmt::format("unknown command '{}{}'", path, word) +
              (suggestion.empty() ? "" : fmt::format(", did you mean '{}{}'?", path, suggestion)));
      error.with_hint("run 'graft " + path + "--help' to see the commands");
      return report_error(error);
    }
    level = level->get_subcommand(std::string(word));
    path += std::string(word) + " ";
  }
  return 0;
}

namespace {
std::string& command_line_storage() {
  static std::string line;
  return line;
}
}  // namespace

void set_command_line(int argc, char** argv) {
  std::vector<std::string> words(argv, argv + argc);
  command_line_storage() = base::join(words, " ");
}

const std::string& command_line() { return command_line_storage(); }

int report_error(const Error& error) {
  std::fprintf(stderr, "graft: error: %s\n", error.message().c_str());
  if (!error.hint().empty()) std::fprintf(stderr, "hint: %s\n", error.hint().c_str());
  return error.code() == ErrorCode::kInvalidArgument ? 2 : 1;
}

void report_warning(std::string_view message) {
  std::fprintf(stderr, "graft: warning: %.*s\n", static_cast<int>(message.size()), message.data());
}

}  // namespace graft::cli
