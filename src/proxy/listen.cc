// Server's listeners: the data plane's per-worker acceptors on one shared port, the admin
// acceptor, and the probe that keeps a second proxy off a taken address.
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <string>
#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <fmt/format.h>

#include "proxy/server_state.h"

namespace graft::proxy {
namespace asio = boost::asio;

namespace {

std::string endpoint_text(const tcp::endpoint& endpoint) {
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = "[" + host + "]";
  return fmt::format("{}:{}", host, endpoint.port());
}

Error listen_error(const tcp::endpoint& endpoint, const boost::system::error_code& error) {
  if (error == asio::error::address_in_use) {
    return Error(ErrorCode::kIo, fmt::format("cannot listen on '{}': the address is already in "
                                             "use by another process",
                                             endpoint_text(endpoint)))
        .with_hint("stop that process, or choose another port in route.yml");
  }
  return Error(ErrorCode::kIo,
               fmt::format("cannot listen on '{}': {}", endpoint_text(endpoint), error.message()));
}

}  // namespace

Result<tcp::endpoint> listen_endpoint(const route::Address& address) {
  boost::system::error_code error;
  auto ip = asio::ip::make_address(address.host == "localhost" ? "127.0.0.1" : address.host, error);
  if (error) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("cannot listen on '{}': not an IP address", address.to_string()));
  }
  return tcp::endpoint(ip, address.port);
}

Result<std::uint16_t> probe_address(const tcp::endpoint& endpoint) {
  asio::io_context io;
  tcp::acceptor probe(io);
  boost::system::error_code error;
  probe.open(endpoint.protocol(), error);
  // SO_REUSEADDR: connections of an earlier run in TIME_WAIT do not count as "in use".
  if (!error) probe.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) probe.bind(endpoint, error);
  if (error) return fail(listen_error(endpoint, error));
  return probe.local_endpoint().port();
}

Result<std::unique_ptr<tcp::acceptor>> bind_acceptor(asio::io_context& io,
                                                     const tcp::endpoint& endpoint,
                                                     ReusePort reuse_port) {
  boost::system::error_code error;
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  acceptor->open(endpoint.protocol(), error);
  if (!error) acceptor->set_option(asio::socket_base::reuse_address(true), error);
  if (!error && reuse_port == ReusePort::kYes) {
    int one = 1;
    if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      error = boost::system::error_code(errno, boost::system::system_category());
    }
  }
  if (!error) acceptor->bind(endpoint, error);
  if (!error) acceptor->listen(asio::socket_base::max_listen_connections, error);
  if (error) return fail(listen_error(endpoint, error));
  return acceptor;
}

}  // namespace graft::proxy
