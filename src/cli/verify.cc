// `graft verify [-n NAME | -p PATH] [--json] [--fast] [--extra]`: checks every file of every
// installed package against its conda-meta record; exit 1 on drift.
#include <cstdio>
#include <memory>
#include <string>

#include "base/subprocess.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "env/locations.h"
#include "env/verify.h"

namespace graft::cli {
namespace {

struct VerifyFlags {
  env::PrefixChoice prefix;
  bool json = false;
  bool fast = false;
  bool extra = false;
};

int run_verify(const VerifyFlags& flags) {
  auto prefix = resolve_prefix(flags.prefix);
  if (!prefix) return report_error(prefix.error());
  const env::VerifyOptions options{
      .depth = flags.fast ? env::VerifyDepth::kSizeOnly : env::VerifyDepth::kHash,
      .extra = flags.extra ? env::ExtraFiles::kReport : env::ExtraFiles::kIgnore};
  auto report = env::verify_prefix(*prefix, options);
  if (!report) return report_error(report.error());
  const std::string out =
      flags.json ? env::format_verify_json(*report) : env::format_verify_text(*report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return report->problems.empty() ? 0 : 1;
}

VerbRun setup_verify(CLI::App& command) {
  auto flags = std::make_shared<VerifyFlags>();
  add_prefix_flags(command, flags->prefix);
  command.add_flag("--json", flags->json, "print the report as JSON");
  command.add_flag("--fast", flags->fast, "check sizes only (no hashing)");
  command.add_flag("--extra", flags->extra, "also report files no package owns");
  return [flags] { return run_verify(*flags); };
}

}  // namespace

GRAFT_VERB({.name = "verify",
            .help = "check an environment's files against its package records",
            .setup = setup_verify});

}  // namespace graft::cli
