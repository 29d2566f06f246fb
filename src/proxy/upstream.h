// Upstreams of the proxy: their shared health state, the immutable set of them per
// variant, and the per-worker idle-connection pools.
//
// Health. Every upstream starts healthy. It is marked down after HealthConfig::fails
// consecutive failures (active probe failures, connect errors, 5xx responses) and up
// again after HealthConfig::passes consecutive successful active probes. Transitions are
// logged and exported as graft_proxy_upstream_healthy.
//
// Thread-safety: Upstream's health fields are atomics, safe from any thread. UpstreamSet
// is immutable after build() and shared between threads. UpstreamPool belongs to one
// worker thread (one io_context) and must only be used there.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "base/result.h"
#include "route/config.h"

namespace graft::proxy {

class Metrics;

struct Upstream {
  std::string variant;
  std::string label;  // "host:port" as configured
  boost::asio::ip::tcp::endpoint endpoint;
  std::uint64_t id = 0;  // unique per process: keys the connection pools
  std::atomic<bool> healthy{true};
  std::atomic<std::uint32_t> fail_streak{0};          // consecutive failed probes
  std::atomic<std::uint32_t> passive_fail_streak{0};  // consecutive failed requests
  std::atomic<std::uint32_t> pass_streak{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> failures{0};
};

// What one observation of an upstream says.
enum class HealthSignal {
  kProbeOk,        // an active probe got a 2xx/3xx
  kProbeFailed,    // an active probe failed (connect, timeout, non-2xx/3xx)
  kPassiveOk,      // a proxied request got a non-5xx response
  kPassiveFailed,  // a proxied request failed to connect or got a 5xx
};

// Applies one signal; returns true when the upstream's healthy flag changed (the caller
// logs). Probes and proxied requests keep separate failure streaks, so a run of
// successful requests does not hide failing probes (and vice versa); either streak
// reaching `fails` marks the upstream down. Only active probes bring it back. Thread-safe.
bool apply_health_signal(Upstream& upstream, HealthSignal signal,
                         const route::HealthConfig& config);

// The upstreams of every variant, built from a RouteConfig. Immutable.
class UpstreamSet {
 public:
  // Resolves every upstream address (numeric or via getaddrinfo). Health state of an
  // upstream already present in `previous` (same variant and label) carries over.
  // Errors: kInvalidArgument when an address does not resolve.
  [[nodiscard]] static Result<std::shared_ptr<const UpstreamSet>> build(
      const route::RouteConfig& config, const UpstreamSet* previous);

  // The upstreams of `variant`, or nullptr when it has none.
  [[nodiscard]] const std::vector<std::shared_ptr<Upstream>>* of(std::string_view variant) const;
  [[nodiscard]] const std::vector<std::shared_ptr<Upstream>>& all() const { return all_; }
  // True when at least one upstream of `variant` is healthy.
  [[nodiscard]] bool any_healthy(std::string_view variant) const;

 private:
  std::vector<std::pair<std::string, std::vector<std::shared_ptr<Upstream>>>> by_variant_;
  std::vector<std::shared_ptr<Upstream>> all_;
};

// What a non-blocking peek at an idle upstream connection shows.
enum class IdleCheck {
  kIdle,    // nothing to read: the connection may carry a request
  kUnread,  // bytes the upstream sent past the end of its last response wait unread
  kClosed,  // the upstream closed it (EOF) or it failed
};
[[nodiscard]] IdleCheck check_idle(boost::asio::ip::tcp::socket& socket);

// Idle keep-alive connections to upstreams, per worker. Connections are returned after a
// complete response on a persistent connection and reused most recent first.
//
// A connection is handed out only when it is idle with nothing unread (check_idle, one
// non-blocking peek per reuse): bytes an upstream sends after a complete response never
// become the next request's response; such a connection is closed instead. (Bytes past a
// response that arrived with it never reach the pool: Session::relay_response and the
// mirror close that connection.) The one window left is inherent to HTTP/1.1, which has
// no request ids: bytes sent by the upstream in the microseconds between the check and
// the request cannot be told from the response.
class UpstreamPool {
 public:
  static constexpr std::size_t kMaxIdlePerUpstream = 128;

  // An idle connection to `upstream` that passes check_idle, if any; the others are closed
  // on the way, and those that had unread bytes are counted in *overruns. (The caller must
  // still be ready for the peer closing it at any moment.)
  [[nodiscard]] bool take(const Upstream& upstream, boost::asio::ip::tcp::socket* socket,
                          std::size_t* overruns);
  // Pools `socket` (after a complete response with nothing past it), closing the oldest
  // when the upstream already has kMaxIdlePerUpstream.
  void give_back(const Upstream& upstream, boost::asio::ip::tcp::socket socket);
  void clear();
  [[nodiscard]] std::size_t idle_count() const;

 private:
  std::unordered_map<std::uint64_t, std::vector<boost::asio::ip::tcp::socket>> idle_;
};

}  // namespace graft::proxy
