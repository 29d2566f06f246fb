#include "supervise/probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "base/fs.h"
#include "base/http_client.h"

namespace graft::supervise {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

bool accepts_connections(std::uint16_t port, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address = loopback(port);
  bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  if (!connected && errno == EINPROGRESS) {
    pollfd waiting{fd, POLLOUT, 0};
    int error = 0;
    socklen_t length = sizeof error;
    connected = ::poll(&waiting, 1, static_cast<int>(timeout.count())) == 1 &&
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
  }
  ::close(fd);
  return connected;
}

}  // namespace

bool probe(std::uint16_t port, const std::string& health_path, std::chrono::milliseconds timeout) {
  if (health_path.empty()) return accepts_connections(port, timeout);
  auto response =
      base::http_request({.url = "http://127.0.0.1:" + std::to_string(port) + health_path,
                          .connect_timeout = timeout,
                          .total_timeout = timeout});
  return response && response->status == 200;
}

Result<std::uint16_t> pick_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(ErrorCode::kIo, "cannot open a socket: " + base::errno_text(errno));
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(fd);
    return fail(ErrorCode::kIo, "cannot find a free port on 127.0.0.1: " + base::errno_text(error));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace graft::supervise
