// End-to-end: the real `graft proxy` binary in front of a tiny in-test upstream.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/child.h"
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

// The port in "proxy listening on 127.0.0.1:PORT" once the proxy has written it to `log`,
// or 0 when it has not within `limit`.
std::uint16_t listening_port(const std::filesystem::path& log, std::chrono::milliseconds limit) {
  const std::string marker = "proxy listening on 127.0.0.1:";
  auto give_up = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < give_up) {
    std::string text = read(log);
    auto at = text.find(marker);
    if (at != std::string::npos)
      return static_cast<std::uint16_t>(std::atoi(text.c_str() + at + marker.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
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

// Writes `file` in `dir`: a route.yml listening on 127.0.0.1:`port`, all traffic to
// `upstream_port`.
void write_route(const std::filesystem::path& dir, const std::string& file, std::uint16_t port,
                 std::uint16_t upstream_port) {
  std::ofstream(dir / file) << "listen: 127.0.0.1:" << port << "\nadmin: 127.0.0.1:0\nvariants:\n"
                            << "  baseline: {upstreams: [127.0.0.1:" << upstream_port
                            << "], weight: 100}\n";
}

// `graft proxy -c route.yml` in `dir`, logging to proxy.log.
Result<base::Child> start_proxy(const std::filesystem::path& dir, std::string threads) {
  return base::Child::start(
      {.argv = {GRAFT_BINARY, "proxy", "-c", (dir / "route.yml").string(), "--threads", threads},
       .log_path = dir / "proxy.log"});
}

TEST(ProxyE2e, ServesUntilTerminatedThenStopsCleanly) {
  FixedUpstream upstream;
  auto dir = scratch_dir();
  write_route(dir, "route.yml", 0, upstream.port());
  auto proxy = start_proxy(dir, "1");
  ASSERT_TRUE(proxy) << proxy.error().message();
  const std::uint16_t port = listening_port(dir / "proxy.log", std::chrono::seconds(10));
  ASSERT_NE(port, 0) << read(dir / "proxy.log");
  std::string response = fetch(port);
  proxy->signal_group(SIGTERM);
  auto exit = proxy->wait_for(std::chrono::seconds(10));
  ASSERT_TRUE(exit) << "the proxy did not stop on SIGTERM";
  EXPECT_NE(response.find("HTTP/1.1 200"), std::string::npos) << response;
  EXPECT_NE(response.find("X-Graft-Variant: baseline\r\n"), std::string::npos) << response;
  EXPECT_NE(response.find("\r\n\r\nhello"), std::string::npos) << response;
  const std::string log = read(dir / "proxy.log");
  EXPECT_NE(log.find("graft: proxy stopped"), std::string::npos) << log;
  EXPECT_EQ(exit->exit_code, 0) << log;
}

TEST(ProxyE2e, ASecondProxyOnTheSameAddressFailsAtStart) {
  FixedUpstream upstream;
  auto dir = scratch_dir();
  write_route(dir, "route.yml", 0, upstream.port());
  auto first = start_proxy(dir, "2");
  ASSERT_TRUE(first) << first.error().message();
  const std::uint16_t port = listening_port(dir / "proxy.log", std::chrono::seconds(10));
  ASSERT_NE(port, 0) << read(dir / "proxy.log");
  write_route(dir, "second.yml", port, upstream.port());
  e2e::Run second = graft({"proxy", "-c", "second.yml", "--threads", "2"}, dir);
  std::string response = fetch(port);
  first->signal_group(SIGTERM);
  ASSERT_TRUE(first->wait_for(std::chrono::seconds(10)));
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("graft: error: cannot listen on '127.0.0.1:" + std::to_string(port) +
                            "': the address is already in use by another process"),
            std::string::npos)
      << second.err;
  EXPECT_NE(response.find("HTTP/1.1 200"), std::string::npos) << response;
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
