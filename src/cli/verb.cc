#include "cli/verb.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <new>
#include <vector>

#include <fmt/core.h>

#include "base/interrupt.h"
#include "base/strings.h"
#include "cli/examples.h"

namespace graft::cli {
namespace {

std::vector<Verb>& registry() {
  static std::vector<Verb> verbs;
  return verbs;
}

}  // namespace

bool register_verb(Verb verb) {
  registry().push_back(std::move(verb));
  return true;
}

const std::vector<Verb>& all_verbs() {
  return registry();
}

std::string group_help(std::string_view group) {
  if (group == "env") return "whole environments: list, create -f, export, remove, freeze, config";
  if (group == "env config") return "settings stored in an environment";
  if (group == "env config vars") return "environment variables graft run sets (conda-meta/state)";
  if (group == "route") return "inspect and change a running proxy's traffic split";
  if (group == "exp") return "experiments: canary and A/B releases with automatic decisions";
  return "";
}

namespace {

// The words of `argv` that are not flags, as far as they name a group and then a verb
// ("env export"; "env" when they name only a group), and whether they end at a verb.
struct TypedCommand {
  std::string path;
  bool is_verb = false;
};

TypedCommand typed_command(int argc, char** argv) {
  TypedCommand typed;
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word.empty() || word.front() == '-') continue;  // global flags, or fallthrough ones
    const std::string candidate =
        typed.path.empty() ? std::string(word) : typed.path + " " + std::string(word);
    bool group = false;
    for (const Verb& verb : registry()) {
      if (verb.name == candidate) return {candidate, true};
      group = group || verb.name.starts_with(candidate + " ");
    }
    if (!group) return typed;
    typed.path = candidate;
  }
  return typed;
}

// The name of the verb `argv` picks ("env export"), "" when it picks none.
std::string chosen_verb(int argc, char** argv) {
  TypedCommand typed = typed_command(argc, argv);
  return typed.is_verb ? typed.path : "";
}

// "Examples:" and each line of `examples` indented, for the end of a --help.
std::string examples_footer(std::string_view examples) {
  std::string out = "\nExamples:\n";
  for (auto line : base::split(examples, '\n')) out += "  " + std::string(line) + "\n";
  return out;
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
      CLI::App* group = parent->add_subcommand(
          std::string(words[i]), group_help(std::string_view(path).substr(0, path.size() - 1)));
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
  std::map<std::string, std::string> group_examples;  // "env " -> first example of each verb
  for (const Verb& verb : registry()) {
    CLI::App* command = add_verb_command(app, verb, groups);
    const std::string_view example = verb_example(verb.name);
    for (const auto& [path, group] : groups) {
      if (verb.name.starts_with(path)) {
        group_examples[path] += "  " + std::string(example.substr(0, example.find('\n'))) + "\n";
      }
    }
    if (verb.name == chosen) {
      picked = command;
      run = verb.setup(*command);
      command->footer(examples_footer(example));
    }
  }
  for (const auto& [path, group] : groups) group->footer("\nExamples:\n" + group_examples[path]);
  app.footer(examples_footer(workflow_example()));
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
          fmt::format("unknown command '{}{}'", path, base::abbreviate(word)) +
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

namespace {

// The subcommand `path` names ("env export"), or `app` itself for "".
const CLI::App* subcommand_at(const CLI::App& app, const std::string& path) {
  const CLI::App* level = &app;
  for (std::string_view word : base::split(path, ' ')) {
    if (word.empty()) continue;
    auto found = level->get_subcommands(
        [word](const CLI::App* command) { return command->get_name() == word; });
    if (found.empty()) return level;
    level = found.front();
  }
  return level;
}

// Every long option `command` and the global flags accept: "--threads", "--quiet", ...
std::vector<std::string> long_options(const CLI::App& app, const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::App* level : {&command, &app}) {
    for (const CLI::Option* option : level->get_options()) {
      for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    }
  }
  return names;
}

// "unknown option '--thredas' for 'graft proxy', did you mean '--threads'?", or
// "unexpected argument 'x' for 'graft list'", for the first word nothing accepted.
std::string extras_message(const CLI::App& app, const CLI::App& command, const std::string& path) {
  const std::vector<std::string> extras = app.remaining(true);
  const std::string where = path.empty() ? "graft" : "graft " + path;
  if (extras.empty()) return fmt::format("unexpected arguments for '{}'", where);
  const std::string& word = extras.front();
  if (word.size() < 2 || word.front() != '-') {
    return fmt::format("unexpected argument '{}' for '{}'", base::abbreviate(word), where);
  }
  const std::string name = word.substr(0, word.find('='));
  std::string message = fmt::format("unknown option '{}' for '{}'", base::abbreviate(name), where);
  // One letter off a short option is any other short option: suggest long ones only.
  if (!name.starts_with("--")) return message;
  const std::string suggestion = base::closest_match(name, long_options(app, command));
  if (!suggestion.empty()) message += fmt::format(", did you mean '{}'?", suggestion);
  return message;
}

// CLI11's message in graft's words: lowercase, values abbreviated.
std::string parse_error_message(const CLI::App& app, const CLI::ParseError& error,
                                const std::string& path) {
  const CLI::App& command = *subcommand_at(app, path);
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    return extras_message(app, command, path);
  }
  std::string message = base::abbreviate(error.what(), 2 * base::kMessageQuoteLimit);
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr &&
      message.find(" missing") != std::string::npos) {
    return fmt::format("'{}' needs a value", message.substr(0, message.find(':')));
  }
  if (message == "A subcommand is required") {
    return fmt::format("'graft {}' needs a command", path);
  }
  const std::string_view required = " is required";
  if (message.ends_with(required) && message.find(' ') == message.size() - required.size()) {
    return fmt::format("'{}'{}", message.substr(0, message.size() - required.size()), required);
  }
  if (!message.empty() && message.front() >= 'A' && message.front() <= 'Z' &&
      (message.size() < 2 || !(message[1] >= 'A' && message[1] <= 'Z'))) {
    message.front() = static_cast<char>(message.front() - 'A' + 'a');
  }
  return message;
}

}  // namespace

int report_parse_error(CLI::App& app, const CLI::ParseError& error, int argc, char** argv) {
  if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
  const std::string path = typed_command(argc, argv).path;
  Error reported(ErrorCode::kInvalidArgument, parse_error_message(app, error, path));
  reported.with_hint(path.empty() ? "see 'graft --help'"
                                  : fmt::format("see 'graft {} --help'", path));
  report_error(reported);
  return 2;
}

namespace {

void report_uncaught(std::exception_ptr exception) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(std::move(exception));
  } catch (const std::bad_alloc&) {
    what = "out of memory";
  } catch (const std::exception& caught) {
    what = caught.what();
  } catch (...) {
  }
  std::fprintf(stderr, "graft: error: %s\n",
               base::abbreviate(what, 4 * base::kMessageQuoteLimit).c_str());
  std::fflush(stderr);
}

// std::terminate's handler: an exception that escaped a thread is reported like one that
// escaped main(); a terminate without one (a programmer error) still aborts.
[[noreturn]] void on_terminate() {
  if (std::exception_ptr exception = std::current_exception()) {
    report_uncaught(exception);
    std::_Exit(1);
  }
  std::abort();
}

}  // namespace

int run_guarded(const std::function<int()>& body) {
  std::set_terminate(on_terminate);
  try {
    const int code = body();
    // A change interrupted by SIGINT/SIGTERM was rolled back: exit as the signal would.
    if (base::interrupt_signal() != 0) return 128 + base::interrupt_signal();
    return code;
  } catch (...) {
    report_uncaught(std::current_exception());
    return 1;
  }
}

}  // namespace graft::cli
