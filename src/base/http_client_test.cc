#include "base/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace graft::base {
namespace {

using ::testing::HasSubstr;

// Accepts one connection on 127.0.0.1:0, keeps the request it reads, answers `response`.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(fd_, 4);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  const std::string& request() const { return request_; }

 private:
  void serve() {
    int client = ::accept(fd_, nullptr, nullptr);
    if (client < 0) return;
    char buffer[4096];
    while (true) {
      auto end = request_.find("\r\n\r\n");
      if (end != std::string::npos) {
        auto at = request_.find("Content-Length: ");
        std::size_t body = at == std::string::npos ? 0 : std::stoul(request_.substr(at + 16));
        if (request_.size() >= end + 4 + body) break;
      }
      ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      request_.append(buffer, static_cast<std::size_t>(got));
    }
    ::send(client, response_.data(), response_.size(), MSG_NOSIGNAL);
    ::close(client);
  }

  std::string response_;
  std::string request_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST(HttpClientTest, SendsMethodHeadersAndBodyAndReadsTheWholeResponse) {
  OneShotServer server(
      "HTTP/1.1 201 Created\r\nContent-Length: 7\r\nX-Graft-Variant: treatment\r\n"
      "Connection: close\r\n\r\n{\"a\":1}");
  auto response = http_request({.method = "POST",
                                .url = server.url("/weights?x=1"),
                                .headers = {{"Authorization", "Bearer secret"}},
                                .body = "{\"treatment\": 10}"});
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "{\"a\":1}");
  EXPECT_EQ(response->header("x-graft-variant"), "treatment");
  EXPECT_EQ(response->header("absent"), "");
  EXPECT_THAT(server.request(), HasSubstr("POST /weights?x=1 HTTP/1.1\r\n"));
  EXPECT_THAT(server.request(), HasSubstr("Authorization: Bearer secret\r\n"));
  EXPECT_THAT(server.request(), HasSubstr("\r\n\r\n{\"treatment\": 10}"));
}

TEST(HttpClientTest, AnErrorStatusIsAResponse) {
  OneShotServer server("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
  auto response = http_request({.url = server.url("/health")});
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 503);
  EXPECT_THAT(server.request(), HasSubstr("GET /health HTTP/1.1\r\n"));
}

TEST(HttpClientTest, AClosedPortIsUnavailableWithTheCause) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);  // bound, not listening
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  auto response =
      http_request({.url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/"});
  ::close(fd);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(response.error().message(), "connection refused");
}

}  // namespace
}  // namespace graft::base
