// End-to-end: the real `graft proxy` binary in front of a tiny in-test upstream.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/subprocess.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

// A listening socket on 127.0.0.1:0 answering every connection with one fixed response.
class FixedUpstream {
 public:
  FixedUpstream() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(fd_, 64);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FixedUpstream() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  void serve() {
    while (true) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      char buffer[4096];
      std::string request;
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        request.append(buffer, static_cast<std::size_t>(got));
      }
      std::string response =
          "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
      ::send(client, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(client);
    }
  }
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// One GET through 127.0.0.1:port; the raw response, or "" when it cannot connect.
std::string fetch(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    std::string request = "GET / HTTP/1.1\r\nHost: e2e\r\nConnection: close\r\n\r\n";
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buffer[4096];
    ssize_t got;
    while ((got = ::recv(fd, buffer, sizeof buffer, 0)) > 0) response.append(buffer, got);
  }
  ::close(fd);
  return response;
}

TEST(ProxyE2e, ServesUntilTerminatedThenStopsCleanly) {
  FixedUpstream upstream;
  auto dir = scratch_dir();
  std::uint16_t port = free_port();
  std::ofstream(dir / "route.yml") << "listen: 127.0.0.1:" << port
                                   << "\nadmin: 127.0.0.1:0\nvariants:\n  baseline: {upstreams: "
                                      "[127.0.0.1:"
                                   << upstream.port() << "], weight: 100}\n";
  base::ProcessResult result;
  std::thread runner([&] {
    auto ran = base::run_process({.argv = {GRAFT_BINARY, "proxy", "-c", (dir / "route.yml").string(),
                                           "--threads", "1"},
                                  .timeout = std::chrono::milliseconds(3000)});
    if (ran) result = *ran;
  });
  std::string response;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
  while (response.empty() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    response = fetch(port);
  }
  runner.join();
  EXPECT_NE(response.find("HTTP/1.1 200"), std::string::npos) << response;
  EXPECT_NE(response.find("X-Graft-Variant: baseline\r\n"), std::string::npos) << response;
  EXPECT_NE(response.find("\r\n\r\nhello"), std::string::npos) << response;
  EXPECT_NE(result.stderr_text.find("proxy listening on 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << result.stderr_text;
  EXPECT_NE(result.stderr_text.find("graft: proxy stopped"), std::string::npos)
      << result.stderr_text;
  EXPECT_EQ(result.exit_code, 0);
}

TEST(ProxyE2e, BadConfigFailsWithFileAndLine) {
  auto dir = scratch_dir();
  std::ofstream(dir / "route.yml") << "listen: 127.0.0.1:0\nvariants:\n  baseline: {weight: 1}\n";
  e2e::Run run = graft({"proxy", "-c", "route.yml"}, dir);
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("route.yml:"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace graft::e2e
