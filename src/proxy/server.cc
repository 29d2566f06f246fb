#include "proxy/server.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cstring>
#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/fs.h"
#include "base/strings.h"
#include "proxy/server_state.h"
#include "route/table.h"

namespace graft::proxy {
namespace asio = boost::asio;

namespace {

constexpr auto kSweepInterval = std::chrono::milliseconds(50);

std::filesystem::path resolve_relative(const std::filesystem::path& config_path,
                                       const std::string& path) {
  std::filesystem::path result(path);
  if (path == "-" || result.is_absolute() || config_path.empty()) return result;
  return config_path.parent_path() / result;
}

Result<std::string> read_token(const ServerOptions& options) {
  if (options.config.token_file.empty()) return std::string();
  auto path = resolve_relative(options.config_path, options.config.token_file);
  auto text = base::read_file(path);
  if (!text) {
    return fail(ErrorCode::kIo, fmt::format("cannot read admin token file '{}': {}", path.string(),
                                            text.error().message()));
  }
  std::string token(base::trim(*text));
  if (token.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("admin token file '{}' is empty", path.string()));
  }
  return token;
}

// A descriptor on its way to another worker: closed if that worker never takes it (its
// io_context destroyed the handler unrun at shutdown).
class HandedOver {
 public:
  explicit HandedOver(int fd) : fd_(fd) {}
  HandedOver(HandedOver&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  HandedOver(const HandedOver&) = delete;
  HandedOver& operator=(const HandedOver&) = delete;
  HandedOver& operator=(HandedOver&&) = delete;
  ~HandedOver() {
    if (fd_ >= 0) ::close(fd_);
  }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Gives an accepted connection to the worker whose turn it is. The SO_REUSEPORT hash
// alone spreads connections binomially (64 keep-alive clients split 36/28 about as often
// as 32/32), and the busier worker's clients then see the longer queue; turns give every
// worker the same number, at the cost of one post per connection (not per request).
void dispatch(Worker& worker, tcp::socket client) {
  Server::State& state = worker.state;
  std::size_t turn = state.next_worker.fetch_add(1, std::memory_order_relaxed);
  Worker& target = *state.workers[turn % state.workers.size()];
  if (&target == &worker) {
    spawn_session(worker, std::move(client));
    return;
  }
  boost::system::error_code error;
  auto protocol = client.local_endpoint(error).protocol();
  if (error) {
    spawn_session(worker, std::move(client));
    return;
  }
  HandedOver fd(client.release(error));
  if (error) return;
  asio::post(target.io, [&target, protocol, fd = std::move(fd)]() mutable {
    boost::system::error_code assign_error;
    tcp::socket socket(target.io);
    int raw = fd.release();
    socket.assign(protocol, raw, assign_error);
    if (assign_error) {
      ::close(raw);
      return;
    }
    spawn_session(target, std::move(socket));
  });
}

asio::awaitable<void> accept_loop(Worker& worker) {
  Server::State& state = worker.state;
  while (!state.stopping.load(std::memory_order_relaxed)) {
    boost::system::error_code error;
    tcp::socket client =
        co_await worker.acceptor->async_accept(asio::redirect_error(asio::use_awaitable, error));
    if (error) {
      if (error == asio::error::operation_aborted || !worker.acceptor->is_open()) co_return;
      continue;  // EMFILE and friends: keep accepting
    }
    dispatch(worker, std::move(client));
  }
}

void schedule_sweep(Worker& worker) {
  worker.sweep_timer.expires_after(kSweepInterval);
  worker.sweep_timer.async_wait([&worker](const boost::system::error_code& error) {
    if (error) return;
    worker.sweep();
    schedule_sweep(worker);
  });
}

void stop_worker_accepting(Worker& worker) {
  asio::post(worker.io, [&worker] {
    boost::system::error_code ignored;
    if (worker.acceptor) worker.acceptor->close(ignored);
    for (Timed* timed = worker.timed_head; timed != nullptr;) {
      Timed* next = timed->next;  // on_shutdown may unlink `timed`
      timed->on_shutdown();
      timed = next;
    }
  });
}

// The CPUs this process may run on, in order.
std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

// Pins worker i to the i-th allowed CPU; warns and leaves them free when that cannot be
// done.
void pin_workers(const std::vector<std::unique_ptr<Worker>>& workers) {
  std::vector<int> cpus = allowed_cpus();
  if (cpus.size() < workers.size()) {
    spdlog::warn(
        "not pinning workers to CPUs: {} workers but {} CPUs available; use "
        "--threads {} or fewer to pin them",
        workers.size(), cpus.size(), cpus.size());
    return;
  }
  for (std::size_t i = 0; i < workers.size(); ++i) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpus[i], &set);
    int error = pthread_setaffinity_np(workers[i]->thread.native_handle(), sizeof set, &set);
    if (error != 0) {
      spdlog::warn("cannot pin worker {} to CPU {}: {}", i, cpus[i], std::strerror(error));
    }
  }
}

}  // namespace

Worker::Worker(Server::State& state_in, std::size_t index_in)
    : state(state_in),
      index(index_in),
      table(state_in.holder),
      stats(state_in.metrics.add_worker()),
      rng_state(0x9e3779b97f4a7c15ULL ^
                (static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()) +
                 index_in * 0x2545F4914F6CDD1DULL)) {}

Worker::~Worker() {
  io.stop();
  if (thread.joinable()) thread.join();
  pool.clear();
  acceptor.reset();
}

const UpstreamSet& Worker::upstreams() {
  std::uint64_t version = state.upstreams_version.load(std::memory_order_acquire);
  if (version != upstreams_version) {
    upstreams_cache = state.upstreams.load();
    upstreams_version = version;
    pool.clear();
  }
  return *upstreams_cache;
}

void Worker::add(Timed* timed) {
  timed->previous = nullptr;
  timed->next = timed_head;
  if (timed_head != nullptr) timed_head->previous = timed;
  timed_head = timed;
}

void Worker::remove(Timed* timed) {
  if (timed->previous != nullptr)
    timed->previous->next = timed->next;
  else if (timed_head == timed)
    timed_head = timed->next;
  if (timed->next != nullptr) timed->next->previous = timed->previous;
  timed->previous = timed->next = nullptr;
}

void Worker::mark_idle(Timed* timed) {
  if (timed->idle_listed) mark_busy(timed);
  timed->idle_listed = true;
  timed->idle_next = nullptr;
  timed->idle_previous = idle_tail;
  if (idle_tail != nullptr)
    idle_tail->idle_next = timed;
  else
    idle_head = timed;
  idle_tail = timed;
}

void Worker::mark_busy(Timed* timed) {
  if (!timed->idle_listed) return;
  if (timed->idle_previous != nullptr)
    timed->idle_previous->idle_next = timed->idle_next;
  else
    idle_head = timed->idle_next;
  if (timed->idle_next != nullptr)
    timed->idle_next->idle_previous = timed->idle_previous;
  else
    idle_tail = timed->idle_previous;
  timed->idle_previous = timed->idle_next = nullptr;
  timed->idle_listed = false;
}

std::size_t Worker::close_idlest(std::size_t count) {
  std::size_t closed = 0;
  while (closed < count && idle_head != nullptr) {
    Timed* idlest = idle_head;
    mark_busy(idlest);
    idlest->on_evict();
    ++closed;
  }
  return closed;
}

void Worker::sweep() {
  Clock::time_point now = Clock::now();
  for (Timed* timed = timed_head; timed != nullptr;) {
    Timed* next = timed->next;
    if (timed->deadline <= now) {
      timed->deadline = Clock::time_point::max();
      timed->on_timeout();
    }
    timed = next;
  }
}

std::uint64_t Worker::random() {
  // splitmix64: fast, good enough for traffic splitting and request ids.
  std::uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool Worker::should_warn() {
  Clock::time_point now = Clock::now();
  if (now - last_warning < std::chrono::seconds(1)) return false;
  last_warning = now;
  return true;
}

void Worker::note_overruns(const Upstream& upstream, std::size_t count) {
  if (count == 0) return;
  stats.count(Event::kUpstreamOverrun, count);
  if (should_warn()) {
    spdlog::warn(
        "upstream '{}' of variant '{}' sent bytes past the end of a response: "
        "connection closed, not reused",
        upstream.label, upstream.variant);
  }
}

Server::Server(std::unique_ptr<State> state) : state_(std::move(state)) {
  state_->server = this;
}

Server::~Server() {
  stop();
}

Result<std::unique_ptr<Server>> Server::start(ServerOptions options) {
  GRAFT_ASSIGN_OR_RETURN(auto table, route::RouteTable::create(options.config));
  auto state = std::make_unique<State>(std::make_shared<const route::RouteTable>(std::move(table)));
  GRAFT_ASSIGN_OR_RETURN(state->admin_token, read_token(options));
  GRAFT_ASSIGN_OR_RETURN(state->guard,
                         Guard::create(options.config, options.config_path.parent_path()));
  GRAFT_ASSIGN_OR_RETURN(auto upstreams, UpstreamSet::build(options.config, nullptr));
  state->upstreams.store(std::move(upstreams));
  state->variants = options.config.variants;
  if (!options.config.access_log.empty()) {
    AccessLog::Options log_options{
        .path = resolve_relative(options.config_path, options.config.access_log)};
    GRAFT_ASSIGN_OR_RETURN(state->access_log, AccessLog::open(std::move(log_options)));
  }
  if (options.threads == 0) options.threads = std::max(1u, std::thread::hardware_concurrency());
  state->options = std::move(options);
  const route::RouteConfig& config = state->options.config;
  GRAFT_ASSIGN_OR_RETURN(tcp::endpoint listen, listen_endpoint(config.listen));
  GRAFT_ASSIGN_OR_RETURN(state->port, probe_address(listen));
  listen.port(state->port);
  for (std::size_t i = 0; i < state->options.threads; ++i) {
    auto worker = std::make_unique<Worker>(*state, i);
    GRAFT_ASSIGN_OR_RETURN(worker->acceptor, bind_acceptor(worker->io, listen, ReusePort::kYes));
    state->workers.push_back(std::move(worker));
  }
  state->control = std::make_unique<asio::io_context>(1);
  GRAFT_ASSIGN_OR_RETURN(tcp::endpoint admin, listen_endpoint(config.admin));
  GRAFT_ASSIGN_OR_RETURN(state->admin_acceptor,
                         bind_acceptor(*state->control, admin, ReusePort::kNo));
  state->admin_port = state->admin_acceptor->local_endpoint().port();
  std::unique_ptr<Server> server(new Server(std::move(state)));
  State& started = *server->state_;
  for (auto& worker : started.workers) {
    asio::co_spawn(worker->io, accept_loop(*worker), asio::detached);
    schedule_sweep(*worker);
    worker->thread = std::thread([raw = worker.get()] { raw->io.run(); });
  }
  if (started.options.pin_workers) pin_workers(started.workers);
  start_admin(started);
  start_health_checks(started);
  started.control_thread = std::thread([&started] { started.control->run(); });
  started.metrics.set_route_generation(started.holder.load()->generation());
  return server;
}

std::uint16_t Server::port() const {
  return state_->port;
}
std::uint16_t Server::admin_port() const {
  return state_->admin_port;
}
route::RouteTableHolder& Server::routes() {
  return state_->holder;
}

const std::vector<AdminRoute>& Server::admin_routes() const {
  return state_->options.admin_routes;
}

void Server::stop() {
  std::call_once(state_->stop_once, [this] {
    State& state = *state_;
    state.stopping.store(true);
    for (auto& worker : state.workers) stop_worker_accepting(*worker);
    Clock::time_point give_up = Clock::now() + state.options.shutdown_grace;
    while (state.connections.load() > 0 && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (state.connections.load() > 0) {
      spdlog::warn("closing {} connections still open after the {} ms shutdown grace",
                   state.connections.load(), state.options.shutdown_grace.count());
    }
    state.control->stop();
    if (state.control_thread.joinable()) state.control_thread.join();
    state.workers.clear();
    state.admin_acceptor.reset();
    if (state.access_log) state.access_log->flush();
  });
}

}  // namespace graft::proxy
