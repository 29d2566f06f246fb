// `graft diff A B [--json] [--root-prefix DIR]`: what differs between two environments
// (each a name, or a path when it contains a '/'): packages, files changed in place,
// untracked files, pip packages, env vars and pins (see env/diff.h). Exit 0 when they are
// identical, 1 when they differ, 2 on errors.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "base/subprocess.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "env/diff.h"
#include "env/locations.h"

namespace graft::cli {
namespace {

struct DiffFlags {
  std::string a;
  std::string b;
  std::string root_prefix;
  bool json = false;
};

Result<std::filesystem::path> resolve(const std::string& word, const DiffFlags& flags) {
  env::PrefixChoice choice{.root_prefix_flag = flags.root_prefix};
  if (word.find('/') != std::string::npos) {
    choice.path = word;
  } else {
    choice.name = word;
  }
  return resolve_prefix(choice);
}

int run_diff(const DiffFlags& flags) {
  // Errors exit with at least 2 so that 1 keeps meaning "they differ".
  const auto error_exit = [](const Error& error) { return std::max(2, report_error(error)); };
  auto a = resolve(flags.a, flags);
  if (!a) return error_exit(a.error());
  auto b = resolve(flags.b, flags);
  if (!b) return error_exit(b.error());
  auto report = env::diff_environments(*a, *b);
  if (!report) return error_exit(report.error());
  const env::DiffLabels labels{.a = flags.a, .b = flags.b};
  const std::string out =
      flags.json ? env::format_diff_json(*report, labels) : env::format_diff_text(*report, labels);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return report->identical() ? 0 : 1;
}

VerbRun setup_diff(CLI::App& command) {
  auto flags = std::make_shared<DiffFlags>();
  command.add_option("A", flags->a, "the baseline: an environment name, or a path with a '/'")
      ->required();
  command.add_option("B", flags->b, "the environment compared with it")->required();
  command.add_option("--root-prefix", flags->root_prefix,
                     "root prefix (default: $GRAFT_ROOT_PREFIX, $CONDA_ROOT_PREFIX, ~/.graft)");
  command.add_flag("--json", flags->json, "print the differences as JSON");
  command.footer("exit status: 0 identical, 1 different, 2 error");
  return [flags] { return run_diff(*flags); };
}

}  // namespace

GRAFT_VERB({.name = "diff",
            .help = "compare two environments: packages, files, pip, env vars, pins",
            .setup = setup_diff});

}  // namespace graft::cli
