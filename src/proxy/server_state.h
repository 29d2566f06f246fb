// Internals of Server shared by server.cc, session.cc, exchange.cc, mirror.cc, health.cc
// and admin.cc. Not part of the module's interface.
//
// Ownership: Server owns State; State owns the workers and the control thread. A Worker
// and everything created on its io_context (sessions, mirror requests, pooled sockets) is
// only touched from that worker's thread, except `stopping` and the atomics.
#pragma once

#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/access_log.h"
#include "proxy/guard.h"
#include "proxy/metrics.h"
#include "proxy/server.h"
#include "proxy/upstream.h"
#include "route/holder.h"

namespace graft::proxy {

using Clock = std::chrono::steady_clock;
using boost::asio::ip::tcp;

// CLOCK_MONOTONIC_COARSE as a Clock time point: the time of the last kernel tick (at most
// a few ms behind Clock::now(); both count from the same origin, libstdc++'s steady_clock
// being CLOCK_MONOTONIC), read without the TSC. For deadlines, which the sweep checks only
// every 50 ms anyway: several are set per request.
inline Clock::time_point coarse_now() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec)));
}

// Something with a deadline, checked by its worker's sweep timer.
class Timed {
 public:
  virtual ~Timed() = default;
  // Called on the worker thread once `deadline` has passed; the deadline is then reset.
  virtual void on_timeout() = 0;
  // Called on the worker thread when the server starts stopping.
  virtual void on_shutdown() {}
  // Called on the worker thread to close an idle keep-alive connection (one on the
  // worker's idle list) to make room near max_connections.
  virtual void on_evict() {}

  Clock::time_point deadline = Clock::time_point::max();
  Timed* previous = nullptr;
  Timed* next = nullptr;
  // Links of the worker's idle list (Worker::mark_idle).
  Timed* idle_previous = nullptr;
  Timed* idle_next = nullptr;
  bool idle_listed = false;
};

// A byte buffer with a read cursor: bytes [begin, end) are unread.
class Buffer {
 public:
  explicit Buffer(std::size_t capacity) : data_(new char[capacity]), capacity_(capacity) {}
  [[nodiscard]] std::string_view unread() const { return {data_.get() + begin_, end_ - begin_}; }
  [[nodiscard]] bool empty() const { return begin_ == end_; }
  void consume(std::size_t count) {
    begin_ += count;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Free space after the unread bytes (moving them to the front when that helps).
  [[nodiscard]] std::pair<char*, std::size_t> space() {
    if (end_ == capacity_ && begin_ > 0) {
      std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    return {data_.get() + end_, capacity_ - end_};
  }
  void commit(std::size_t count) { end_ += count; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }
  void clear() { begin_ = end_ = 0; }
  // Grows the buffer to at least `capacity` bytes, unread bytes moved to the front.
  void grow(std::size_t capacity) {
    if (capacity > capacity_) reallocate(capacity);
  }
  // Shrinks a grown buffer back to `capacity` when its unread bytes fit.
  void shrink(std::size_t capacity) {
    if (capacity < capacity_ && end_ - begin_ <= capacity) reallocate(capacity);
  }

 private:
  void reallocate(std::size_t capacity) {
    std::unique_ptr<char[]> data(new char[capacity]);
    std::memcpy(data.get(), data_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    data_ = std::move(data);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  std::size_t capacity_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

struct Worker;

struct Server::State {
  ServerOptions options;
  std::string admin_token;  // empty: no token (admin only on loopback)
  route::RouteTableHolder holder;
  Metrics metrics;
  std::unique_ptr<AccessLog> access_log;  // null: no access log
  std::unique_ptr<Guard> guard;           // null: no auth and no rate limit

  // The upstream set, swapped on reload; readers cache it per worker by version.
  std::atomic<std::shared_ptr<const UpstreamSet>> upstreams;
  std::atomic<std::uint64_t> upstreams_version{1};
  std::mutex reload_mutex;
  // The variants and their upstreams in force (reload, set_upstreams); under reload_mutex.
  std::vector<route::VariantConfig> variants;

  std::atomic<bool> stopping{false};
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::size_t> next_worker{0};  // whose turn the next accepted connection is

  std::uint16_t port = 0;
  std::uint16_t admin_port = 0;
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<boost::asio::io_context> control;  // admin listener + health checks
  std::unique_ptr<tcp::acceptor> admin_acceptor;
  std::thread control_thread;
  std::once_flag stop_once;

  explicit State(std::shared_ptr<const route::RouteTable> table) : holder(std::move(table)) {}
  Server* server = nullptr;
};

struct Worker {
  Worker(Server::State& state, std::size_t index);
  ~Worker();

  // The current upstream set (cached; one atomic load when unchanged).
  const UpstreamSet& upstreams();
  void add(Timed* timed);
  void remove(Timed* timed);
  void sweep();
  [[nodiscard]] std::uint64_t random();
  // Logs a warning at most once per second per worker (rate-limited degraded modes).
  [[nodiscard]] bool should_warn();
  // Counts `count` connections to `upstream` closed because bytes came past the end of a
  // response (graft_proxy_upstream_overruns_total) and warns, rate-limited.
  void note_overruns(const Upstream& upstream, std::size_t count);
  // The idle list: keep-alive client connections waiting for a request, idlest first.
  void mark_idle(Timed* timed);
  void mark_busy(Timed* timed);  // no-op when not listed
  // Closes up to `count` of the idlest connections (Timed::on_evict); returns how many.
  std::size_t close_idlest(std::size_t count);

  Server::State& state;
  std::size_t index;
  route::CachedTable table;
  WorkerStats& stats;  // owned by state.metrics
  UpstreamPool pool;
  std::shared_ptr<const UpstreamSet> upstreams_cache;
  std::uint64_t upstreams_version = 0;
  std::uint64_t rng_state;
  std::size_t round_robin = 0;
  std::size_t mirrors_in_flight = 0;
  Clock::time_point last_warning{};
  Timed* timed_head = nullptr;
  Timed* idle_head = nullptr;  // the idlest
  Timed* idle_tail = nullptr;
  std::thread thread;
  // Declared last so it is destroyed first: frames still pending on it unregister from
  // the members above while they are alive.
  std::unique_ptr<tcp::acceptor> acceptor;
  boost::asio::io_context io{1};
  boost::asio::steady_timer sweep_timer{io};
};

// Listeners (listen.cc). Errors name the address: "cannot listen on '127.0.0.1:8080':
// the address is already in use by another process" (with a hint), or the system's reason.
// The endpoint of a configured address; kInvalidArgument when the host is not an IP.
[[nodiscard]] Result<tcp::endpoint> listen_endpoint(const route::Address& address);
// Binds a plain socket (no SO_REUSEPORT) to `endpoint` and closes it again: the workers'
// SO_REUSEPORT sockets would join another process's listeners on the same address (same
// user) and silently share its traffic, a plain socket fails instead (kIo). Returns the
// port bound (the kernel's pick for port 0), which the workers then share. (Two proxies
// started within the same microseconds could still both pass; nothing else can.)
[[nodiscard]] Result<std::uint16_t> probe_address(const tcp::endpoint& endpoint);
enum class ReusePort { kNo, kYes };
// A listening acceptor on `endpoint`; kYes lets the workers' acceptors share the port.
[[nodiscard]] Result<std::unique_ptr<tcp::acceptor>> bind_acceptor(boost::asio::io_context& io,
                                                                   const tcp::endpoint& endpoint,
                                                                   ReusePort reuse_port);

// Starts serving one accepted client connection on `worker` (session.cc).
void spawn_session(Worker& worker, tcp::socket client);
// Starts the admin accept loop and health checks on the control context (admin.cc,
// health.cc).
void start_admin(Server::State& state);
void start_health_checks(Server::State& state);

}  // namespace graft::proxy
