// `graft proxy -c route.yml [--threads N] [--cpu-affinity auto|none]`: runs the gray-release reverse proxy in the
// foreground. SIGINT/SIGTERM stop it gracefully (stop accepting, finish in-flight requests
// for up to --grace), SIGHUP re-reads the config, SIGUSR1 reopens the access log.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/core.h>

#include "base/fs.h"
#include "cli/checked_flags.h"
#include "cli/verb.h"
#include "proxy/server.h"
#include "route/config.h"

namespace graft::cli {
namespace {

struct ProxyFlags {
  std::string config_path;
  std::size_t threads = 0;
  std::string cpu_affinity = "none";
  double grace_seconds = 10;
};

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaddset(&set, signal);
  return set;
}

// Waits for signals until one asks to stop. Returns the exit code.
int serve_until_signalled(proxy::Server& server, const sigset_t& signals) {
  while (true) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      if (auto status = server.reload(); !status) report_warning("reload failed: " + status.error().message());
      else std::fprintf(stderr, "graft: reloaded the route configuration\n");
      continue;
    }
    if (signal == SIGUSR1) {
      server.reopen_access_log();
      continue;
    }
    std::fprintf(stderr, "graft: stopping: finishing in-flight requests\n");
    server.stop();
    std::fprintf(stderr, "graft: proxy stopped\n");
    return 0;
  }
}

int run_proxy(const ProxyFlags& flags) {
  auto text = base::read_file(flags.config_path);
  if (!text) return report_error(text.error());
  auto config = route::parse_route_config(*text, flags.config_path);
  if (!config) return report_error(config.error());
  // Block the signals before any thread starts so that only sigwait() sees them.
  sigset_t signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto server = proxy::Server::start(
      {.config = *config,
       .config_path = std::filesystem::absolute(flags.config_path),
       .threads = flags.threads,
       .pin_workers = flags.cpu_affinity == "auto",
       .shutdown_grace = std::chrono::milliseconds(static_cast<long>(flags.grace_seconds * 1000))});
  if (!server) return report_error(server.error());
  std::fprintf(stderr, "graft: proxy listening on %s:%u (admin on %s:%u), %zu variants\n",
               config->listen.host.c_str(), (*server)->port(), config->admin.host.c_str(),
               (*server)->admin_port(), config->variants.size());
  std::fflush(stderr);
  return serve_until_signalled(**server, signals);
}

GRAFT_VERB({.name = "proxy",
            .help = "run the gray-release reverse proxy in the foreground",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ProxyFlags>();
              command.add_option("-c,--config", flags->config_path, "route.yml to serve")
                  ->required();
              add_number_option(command, "--threads", flags->threads,
                                "worker threads, 1 to 256 (default: one per core)",
                                NumberRange<std::size_t>{1, 256});
              add_choice_option(command, "--cpu-affinity", flags->cpu_affinity,
                                "auto: pin worker i to the i-th CPU, as nginx's "
                                "worker_cpu_affinity auto (best on a machine that serves "
                                "only the proxy); none (default): let the kernel move them",
                                {"auto", "none"});
              add_number_option(command, "--grace", flags->grace_seconds,
                                "seconds in-flight requests get on shutdown, 0 to 86400 "
                                "(default 10)",
                                NumberRange<double>{0, 86400});
              return [flags] { return run_proxy(*flags); };
            }});

}  // namespace
}  // namespace graft::cli
