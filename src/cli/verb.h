// Verb registry: each verb lives in its own cli/<verb>.cc and registers itself with
// GRAFT_VERB. main() builds the CLI11 app from the registry, parses, and runs the one
// verb the user picked. Multi-word names ("env export", "route status") nest.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/result.h"

namespace graft::cli {

// What a verb's setup returns: run after parsing, returns the process exit code.
using VerbRun = std::function<int()>;

struct Verb {
  std::string name;  // "pack", "env export"
  std::string help;  // one line for --help
  // Adds the verb's flags to `command` (binding them to state the setup owns, e.g. a
  // shared_ptr captured by the returned function) and returns the function to run.
  std::function<VerbRun(CLI::App& command)> setup;
};

// Adds a verb; returns true so it can initialize a static. Called before main().
bool register_verb(Verb verb);

// Every registered verb, in registration order (completion scripts, tests).
[[nodiscard]] const std::vector<Verb>& all_verbs();

// The help line of a verb group ("env", "env config", "route", "exp"); "" for others.
[[nodiscard]] std::string group_help(std::string_view group);

// Builds the verbs into `app` and returns the runner of the one picked after app.parse().
// Each --help ends with the verb's examples (cli/examples.h), a group's with its verbs'
// first examples and `graft --help` with the ten-command workflow.
// Every verb becomes a subcommand, but only the one `argv` names gets its flags (setup is
// called for it alone), so start-up does not pay for the others. Used by main() only.
std::function<VerbRun()> install_verbs(CLI::App& app, int argc, char** argv);

// When the first non-flag argument names no verb (or a group's second word names no
// sub-verb), prints "unknown command 'x'" with a did-you-mean and returns 2; else 0.
int check_command_name(const CLI::App& app, int argc, char** argv);

// Reports a CLI11 parse error of `app` (already given `argv`) the way every graft error is
// reported: --help and --version print what they ask for and return 0; anything else prints
// "graft: error: <message>" (an unknown option with "did you mean '--x'?") and
// "hint: see 'graft VERB --help'", and returns 2.
int report_parse_error(CLI::App& app, const CLI::ParseError& error, int argc, char** argv);

// The last resort: runs `body` and turns any exception that escapes it into
// "graft: error: <what>" and exit code 1; exceptions escaping the threads graft starts
// (std::terminate with an exception in flight) end the same way instead of aborting.
int run_guarded(const std::function<int()>& body);

// The command line as typed (argv joined by spaces), for history's "# cmd:" line. Set once
// by main().
void set_command_line(int argc, char** argv);
[[nodiscard]] const std::string& command_line();

// Prints "graft: error: <message>" (and "hint: <hint>" when set) to stderr; returns the
// exit code for the error (1; 2 for invalid arguments).
int report_error(const Error& error);

// Prints "graft: warning: <message>" to stderr.
void report_warning(std::string_view message);

}  // namespace graft::cli

#define GRAFT_VERB_CONCAT_INNER_(a, b) a##b
#define GRAFT_VERB_CONCAT_(a, b) GRAFT_VERB_CONCAT_INNER_(a, b)
// GRAFT_VERB({.name = "pack", .help = "...", .setup = [](CLI::App& c) {...}});
#define GRAFT_VERB(...)                                                      \
  [[maybe_unused]] static const bool GRAFT_VERB_CONCAT_(graft_verb_, __LINE__) = \
      ::graft::cli::register_verb(::graft::cli::Verb __VA_ARGS__)
