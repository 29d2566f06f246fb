// The graft binary: parses the command line and runs one verb. All verbs live in
// cli/<verb>.cc and register themselves (see cli/verb.h).
#include <cstdio>

#include <CLI/CLI.hpp>

#include "base/log.h"
#include "cli/verb.h"

namespace {

int run_graft(int argc, char** argv) {
  CLI::App app{"graft: reproducible conda environments and safe gray releases of models",
               "graft"};
  app.require_subcommand(1);
  app.fallthrough();  // -q and -v work after the verb too
  app.set_version_flag("--version", std::string("graft ") + GRAFT_VERSION);
  bool verbose = false;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "log debug detail to stderr");
  app.add_flag("-q,--quiet", quiet, "print only errors and results");
  graft::cli::set_command_line(argc, argv);
  auto pick = graft::cli::install_verbs(app, argc, argv);
  if (argc < 2) {
    std::fputs(app.help().c_str(), stderr);
    return 2;
  }
  if (int code = graft::cli::check_command_name(app, argc, argv); code != 0) return code;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return graft::cli::report_parse_error(app, error, argc, argv);
  }
  graft::base::init_logging(verbose ? graft::base::LogLevel::kDebug
                            : quiet ? graft::base::LogLevel::kError
                                    : graft::base::LogLevel::kInfo);
  graft::cli::VerbRun run = pick();
  if (!run) {
    std::fputs(app.help().c_str(), stderr);
    return 2;
  }
  return run();
}

}  // namespace

int main(int argc, char** argv) {
  return graft::cli::run_guarded([argc, argv] { return run_graft(argc, argv); });
}
