// graft completion bash|zsh|fish: a completion script generated from the verb registry
// itself (every verb, group and flag graft has), so it never falls behind the binary.
// bash and zsh share one function (zsh loads it through bashcompinit); fish gets its own
// `complete` lines. Environment names complete after -n/--name.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include <fmt/core.h>

#include "base/strings.h"
#include "cli/verb.h"

namespace graft::cli {
namespace {

// One option: its long and short names without dashes ("name", "n"; either may be empty).
struct Flag {
  std::string long_name;
  std::string short_name;
  std::string help;
  bool takes_value = false;
};

// A verb or a group, with what may follow it: sub-verbs (for a group) or flags.
struct Node {
  std::string help;
  std::vector<std::string> children;  // next words, in registration order
  std::vector<Flag> flags;
  bool verb = false;
};

// Every path ("", "env", "env export") with its children and flags. Each verb's setup runs
// on a scratch app only to learn its flags.
std::map<std::string, Node> command_tree() {
  std::map<std::string, Node> tree;
  tree[""].flags = {{"help", "h", "print help"},
                    {"version", "", "print the version"},
                    {"verbose", "v", "log debug detail to stderr"},
                    {"quiet", "q", "print only errors and results"}};
  for (const Verb& verb : all_verbs()) {
    if (verb.name.starts_with("zztest")) continue;  // the registry's own tests
    std::string path;
    for (auto word : base::split(verb.name, ' ')) {
      const std::string next = path.empty() ? std::string(word) : path + " " + std::string(word);
      auto& children = tree[path].children;
      if (std::find(children.begin(), children.end(), std::string(word)) == children.end()) {
        children.emplace_back(word);
        tree[next].help = next == verb.name ? verb.help : group_help(next);
      }
      path = next;
    }
    Node& node = tree[verb.name];
    node.verb = true;
    CLI::App scratch;
    (void)verb.setup(scratch);
    for (const CLI::Option* option : scratch.get_options()) {
      if (option->get_lnames().empty() && option->get_snames().empty()) continue;  // positional
      node.flags.push_back(
          {.long_name = option->get_lnames().empty() ? "" : option->get_lnames().front(),
           .short_name = option->get_snames().empty() ? "" : option->get_snames().front(),
           .help = option->get_description(),
           .takes_value = option->get_type_size() != 0});
    }
  }
  return tree;
}

std::string words_of(const Node& node) {
  std::string out;
  for (const std::string& child : node.children) out += (out.empty() ? "" : " ") + child;
  for (const Flag& flag : node.flags) {
    if (!flag.long_name.empty()) out += (out.empty() ? "--" : " --") + flag.long_name;
    if (!flag.short_name.empty()) out += (out.empty() ? "-" : " -") + flag.short_name;
  }
  return out;
}

std::string bash_script(const std::map<std::string, Node>& tree) {
  std::string paths;
  std::string cases;
  for (const auto& [path, node] : tree) {
    if (!path.empty()) paths += (paths.empty() ? "" : "|") + fmt::format("'{}'", path);
    cases += fmt::format("    '{}') words='{}' ;;\n", path, words_of(node));
  }
  return fmt::format(
      R"SH(# graft completion for bash (and zsh, through bashcompinit).
# bash: graft completion bash > ~/.local/share/bash-completion/completions/graft
# zsh:  graft completion zsh > "${{fpath[1]}}/_graft"   (or: source <(graft completion zsh))
_graft() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
  local path='' word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${{COMP_WORDS[i]}}
    [[ $word == -* ]] && continue
    case "${{path:+$path }}$word" in
      {}) path=${{path:+$path }}$word ;;
      *) break ;;
    esac
  done
  if [[ $prev == -n || $prev == --name ]] && [[ $path != exp* ]]; then
    COMPREPLY=($(compgen -W "$(command graft env list 2>/dev/null | awk '!/^#/ && NF {{print $1}}')" -- "$cur"))
    return
  fi
  local words=''
  case "$path" in
{}  esac
  if [[ $cur == -* || $path == '' || " ${{_graft_groups}} " == *" $path "* ]]; then
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
}}
_graft_groups='{}'
complete -o default -F _graft graft
)SH",
      paths.empty() ? "''" : paths, cases, [&] {
        std::string groups;
        for (const auto& [path, node] : tree) {
          if (!path.empty() && !node.verb) groups += (groups.empty() ? "" : " ") + path;
        }
        return groups;
      }());
}

// fish quotes: single quotes with \' and \\ escaped.
std::string fish_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string fish_script(const std::map<std::string, Node>& tree) {
  std::string paths;
  for (const auto& [path, node] : tree) {
    if (!path.empty()) paths += " " + fish_quote(path);
  }
  std::string out = fmt::format(
      R"SH(# graft completion for fish: graft completion fish > ~/.config/fish/completions/graft.fish
set -g __graft_paths{}
function __graft_path
  set -l path
  for word in (commandline -opc)[2..-1]
    string match -q -- '-*' $word; and continue
    set -l candidate (string join ' ' $path $word)
    contains -- $candidate $__graft_paths; or break
    set path $path $word
  end
  string join ' ' $path
end
function __graft_at
  set -l path (__graft_path)
  test "$path" = "$argv[1]"
end
function __graft_envs
  command graft env list 2>/dev/null | string match -rv '^#' | string match -r '^\S+'
end
complete -c graft -f
complete -c graft -n 'not __graft_at ""' -F
)SH",
      paths);
  for (const auto& [path, node] : tree) {
    const std::string condition = fish_quote("__graft_at " + fish_quote(path));
    for (const std::string& child : node.children) {
      const std::string next = path.empty() ? child : path + " " + child;
      out += fmt::format("complete -c graft -n {} -a {} -d {}\n", condition, fish_quote(child),
                         fish_quote(tree.at(next).help));
    }
    for (const Flag& flag : node.flags) {
      std::string line = "complete -c graft -n " + condition;
      if (!flag.long_name.empty()) line += " -l " + flag.long_name;
      if (!flag.short_name.empty()) line += " -s " + flag.short_name;
      if (flag.long_name == "name" && !path.starts_with("exp")) {
        line += " -x -a '(__graft_envs)'";
      } else if (flag.takes_value) {
        line += " -r";
      }
      out += line + " -d " + fish_quote(flag.help) + "\n";
    }
  }
  return out;
}

int run_completion(const std::string& shell) {
  const auto tree = command_tree();
  if (shell == "bash") {
    std::fputs(bash_script(tree).c_str(), stdout);
  } else if (shell == "zsh") {
    std::fputs("#compdef graft\nautoload -U +X bashcompinit && bashcompinit\n", stdout);
    std::fputs(bash_script(tree).c_str(), stdout);
  } else if (shell == "fish") {
    std::fputs(fish_script(tree).c_str(), stdout);
  } else {
    return report_error(
        Error(ErrorCode::kInvalidArgument, fmt::format("no completion for shell '{}'", shell))
            .with_hint("pick bash, zsh or fish"));
  }
  return 0;
}

GRAFT_VERB({.name = "completion",
            .help = "print a shell completion script: bash, zsh or fish",
            .setup = [](CLI::App& command) -> VerbRun {
              auto shell = std::make_shared<std::string>();
              command.add_option("SHELL", *shell, "bash, zsh or fish")->required();
              return [shell] { return run_completion(*shell); };
            }});

}  // namespace
}  // namespace graft::cli
