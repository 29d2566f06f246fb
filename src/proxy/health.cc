// Active health checks on the control thread: every `health.interval`, each upstream of
// the current set gets `GET <health.path>` on a fresh connection; 2xx/3xx within
// `health.timeout` is a pass. See upstream.h for how passes and fails flip the state.
#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "proxy/http_parser.h"
#include "proxy/server_state.h"

namespace graft::proxy {
namespace asio = boost::asio;

namespace {

// One probe: true when the upstream answered 2xx or 3xx in time.
asio::awaitable<bool> probe_once(const Upstream& upstream, const route::HealthConfig& config) {
  auto executor = co_await asio::this_coro::executor;
  tcp::socket socket(executor);
  asio::steady_timer guard(executor);
  guard.expires_after(config.timeout);
  guard.async_wait([&socket](const boost::system::error_code& error) {
    if (!error) {
      boost::system::error_code ignored;
      socket.close(ignored);
    }
  });
  boost::system::error_code error;
  co_await socket.async_connect(upstream.endpoint, asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return false;
  std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: graft-health-check\r\nConnection: close\r\n\r\n",
      config.path, upstream.label);
  co_await asio::async_write(socket, asio::buffer(request),
                             asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return false;
  std::string buffer(4096, '\0');
  std::size_t filled = 0;
  std::size_t scan = 0;
  ResponseHead response;
  while (filled < buffer.size()) {
    std::size_t read = co_await socket.async_read_some(
        asio::buffer(buffer.data() + filled, buffer.size() - filled),
        asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return false;
    filled += read;
    ParseStatus status = parse_response(std::string_view(buffer.data(), filled), buffer.size(),
                                        &scan, &response);
    if (status == ParseStatus::kComplete) {
      guard.cancel();
      co_return response.status >= 200 && response.status < 400;
    }
    if (status != ParseStatus::kNeedMore) co_return false;
  }
  co_return false;
}

asio::awaitable<void> probe(Server::State& state, std::shared_ptr<Upstream> upstream) {
  const route::HealthConfig& config = state.options.config.health;
  bool passed = co_await probe_once(*upstream, config);
  bool was_healthy = upstream->healthy.load();
  if (apply_health_signal(*upstream, passed ? HealthSignal::kProbeOk : HealthSignal::kProbeFailed,
                          config)) {
    if (was_healthy) {
      spdlog::warn("upstream '{}' of variant '{}' is down: {} consecutive health checks of "
                   "'{}' failed", upstream->label, upstream->variant, config.fails, config.path);
    } else {
      spdlog::info("upstream '{}' of variant '{}' is healthy again", upstream->label,
                   upstream->variant);
    }
  }
  state.metrics.set_upstream_healthy(upstream->variant, upstream->label, upstream->healthy.load());
}

asio::awaitable<void> health_loop(Server::State& state) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  while (!state.stopping.load()) {
    std::shared_ptr<const UpstreamSet> set = state.upstreams.load();
    for (const auto& upstream : set->all()) {
      asio::co_spawn(executor, probe(state, upstream), asio::detached);
    }
    timer.expires_after(state.options.config.health.interval);
    boost::system::error_code error;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return;
  }
}

}  // namespace

void start_health_checks(Server::State& state) {
  for (const auto& upstream : state.upstreams.load()->all()) {
    state.metrics.set_upstream_healthy(upstream->variant, upstream->label, upstream->healthy.load());
  }
  asio::co_spawn(*state.control, health_loop(state), asio::detached);
}

}  // namespace graft::proxy
