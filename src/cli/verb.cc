#include "cli/verb.h"

#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include <fmt/core.h>

#include "base/strings.h"

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

std::function<VerbRun()> install_verbs(CLI::App& app) {
  // Groups ("env", "route") are created on demand from multi-word names.
  auto groups = std::make_shared<std::map<std::string, CLI::App*>>();
  auto picked = std::make_shared<std::vector<std::pair<CLI::App*, VerbRun>>>();
  for (const Verb& verb : registry()) {
    CLI::App* parent = &app;
    auto words = base::split(verb.name, ' ');
    std::string path;
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
      path += std::string(words[i]) + " ";
      auto found = groups->find(path);
      if (found == groups->end()) {
        CLI::App* group = parent->add_subcommand(std::string(words[i]));
        group->require_subcommand(1);
        found = groups->emplace(path, group).first;
      }
      parent = found->second;
    }
    CLI::App* command = parent->add_subcommand(std::string(words.back()), verb.help);
    picked->emplace_back(command, verb.setup(*command));
  }
  return [picked]() -> VerbRun {
    for (auto& [command, run] : *picked) {
      if (command->parsed()) return run;
    }
    return nullptr;
  };
}

int report_error(const Error& error) {
  std::fprintf(stderr, "graft: error: %s\n", error.message().c_str());
  if (!error.hint().empty()) std::fprintf(stderr, "hint: %s\n", error.hint().c_str());
  return error.code() == ErrorCode::kInvalidArgument ? 2 : 1;
}

void report_warning(std::string_view message) {
  std::fprintf(stderr, "graft: warning: %.*s\n", static_cast<int>(message.size()),
               message.data());
}

}  // namespace graft::cli
