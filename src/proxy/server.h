// The gray-release reverse proxy as a library: Server::start binds the data-plane and
// admin listeners (port 0 allowed), reports the bound ports and runs until stop().
//
// Design (measured against nginx with bench/proxy/run, figures in bench/RESULTS.md):
//   - one worker thread per core, each with its own Boost.Asio io_context, its own
//     SO_REUSEPORT acceptor on the shared port (the kernel spreads connections), its own
//     upstream connection pools and metric series cache: the request path shares nothing
//     mutable between threads except atomics (health flags, counters). Before binding
//     them, a plain socket probes the address, so a second proxy (or anything else
//     listening there) makes start() fail instead of silently sharing the port;
//   - a client connection is one C++20 coroutine: read head (http_parser.h), admit
//     (auth, route through a per-thread route::CachedTable: one atomic load per request,
//     no lock, rate limit), read a small body whole (up to 64 KiB, so a slow client holds
//     no upstream connection), forward head + body to a pooled upstream connection (one
//     idle with nothing unread: upstream.h), stream the response back; larger bodies are
//     streamed through fixed buffers, never held whole;
//   - timeouts are deadlines swept by one timer per worker every 50 ms (no per-operation
//     timer churn), so a timeout fires within ~50 ms of its configured value;
//   - a control thread runs the admin listener (admin.h) and the active health checks.
//
// Degraded modes (each logged and counted): a variant with no healthy upstream fails over
// to the baseline (graft_proxy_failovers_total); a connect failure is retried once on
// another upstream of the variant for idempotent methods (graft_proxy_upstream_retries_total);
// a full mirror queue drops the copy (graft_proxy_mirror_dropped_total); an upstream
// sending bytes past the end of a response has that connection closed, never reused
// (graft_proxy_upstream_overruns_total); from 90% of max_connections on, every new
// connection closes the idlest keep-alive one (graft_proxy_idle_connections_closed_total),
// and only at the limit with none idle is a new one refused with 503; access log lines
// that cannot be queued or written are dropped (graft_proxy_access_log_dropped_total).
//
// Client deadlines: a new connection must send its first byte within
// timeouts.first_byte, the head within timeouts.header, and a body with no pause longer
// than timeouts.body and at limits.min_body_rate on average (408 otherwise).
//
// Mirror bound: a mirrored request's body is copied up to ServerOptions::mirror_max_body_bytes
// (default 64 KiB); larger bodies are not mirrored and count as dropped. At most
// mirror_max_in_flight mirror requests run at once per worker; more are dropped.
//
// Thread-safety: every public member may be called from any thread, concurrently with
// traffic. stop() is idempotent; the destructor calls it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "proxy/admin_route.h"
#include "proxy/metrics.h"
#include "route/config.h"

namespace graft::route {
class RouteTableHolder;
}

namespace graft::proxy {

struct ServerOptions {
  route::RouteConfig config;
  // The file `config` came from: relative token_file/access_log paths resolve against its
  // directory, and reload() re-reads it. Empty: paths are used as written, no reload.
  std::filesystem::path config_path;
  std::size_t threads = 0;  // worker threads; 0 = one per core
  // Worker i runs only on the i-th CPU this process may use (nginx's worker_cpu_affinity
  // auto): no migrations, and two workers never queue on one CPU. Not done (a warning)
  // when there are more workers than CPUs.
  bool pin_workers = false;
  std::size_t mirror_max_in_flight = 64;  // per worker
  std::uint64_t mirror_max_body_bytes = 64 * 1024;
  std::chrono::milliseconds shutdown_grace{10'000};  // in-flight requests get this long
  // Routes added to the admin API (admin_route.h), looked up before the built-in ones.
  std::vector<AdminRoute> admin_routes;
};

class Server {
 public:
  // Resolves upstreams, opens the access log, reads the admin token, binds both listeners
  // and starts the threads. Errors: kInvalidArgument (bad config, unresolvable upstream),
  // kIo (cannot bind, cannot open the access log or token file).
  [[nodiscard]] static Result<std::unique_ptr<Server>> start(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] std::uint16_t admin_port() const;

  // Graceful stop: stop accepting, close idle keep-alive connections, let in-flight
  // requests finish for up to shutdown_grace, then close everything and join the threads.
  void stop();

  // Re-reads config_path and swaps in the new route table and upstream set (listen/admin
  // addresses, limits and timeouts keep their start-up values; a change is logged).
  // Errors: kInvalidArgument for a bad file (the running config stays).
  [[nodiscard]] Status reload();
  // Weight change / rollback in one atomic table swap. Errors as RouteTable::with_weights.
  [[nodiscard]] Status set_weights(
      const std::map<std::string, std::uint32_t, std::less<>>& weights);
  // Every variant's share in percent, in one swap (RouteTable::with_percentages): what the
  // experiment controller sets.
  [[nodiscard]] Status set_percentages(
      const std::map<std::string, std::uint32_t, std::less<>>& percentages);
  // Moves `variant` to a new set of upstreams in one swap (a hot swap of its replicas):
  // requests already sent finish on the old ones; new requests and pooled connections use
  // the new ones. Errors: kInvalidArgument (unknown variant, no upstream, unresolvable).
  [[nodiscard]] Status set_upstreams(std::string_view variant,
                                     std::vector<route::Address> upstreams);
  void rollback();
  // Closes and reopens the access log (SIGUSR1).
  void reopen_access_log();

  // GET /status body: {"generation":N,"variants":[{"name","weight","share_percent",
  // "upstreams":[{"address","healthy","requests","failures"}]}],"counters":{...}}.
  [[nodiscard]] std::string status_json() const;
  // GET /metrics body (Prometheus text format).
  [[nodiscard]] std::string metrics_text() const;
  // Per-variant requests, errors and fine latency histograms since the start (typed, for
  // the experiment controller; Metrics::snapshot).
  [[nodiscard]] std::vector<VariantSnapshot> variant_snapshots() const;
  [[nodiscard]] route::RouteTableHolder& routes();
  [[nodiscard]] const std::vector<AdminRoute>& admin_routes() const;

  struct State;  // shared by the threads; defined in server_state.h

 private:
  explicit Server(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace graft::proxy
