// The implementation of TestHttpServer (test_http_server.h) and its own checks.
#include "store/test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/hash.h"
#include "base/strings.h"

namespace graft::store::testing {
namespace {

constexpr auto kReadTimeout = std::chrono::milliseconds(5000);

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

// Reads up to the blank line ending the request head; "" on timeout or close.
std::string read_head(int fd) {
  std::string data;
  char buffer[4096];
  while (data.find("\r\n\r\n") == std::string::npos && data.size() < 65536) {
    pollfd waiter{fd, POLLIN, 0};
    if (::poll(&waiter, 1, static_cast<int>(kReadTimeout.count())) <= 0) return "";
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) return "";
    data.append(buffer, static_cast<std::size_t>(got));
  }
  return data;
}

std::string common_headers(const std::string& cache_control) {
  std::string head = "Connection: close\r\nLast-Modified: Sat, 21 Nov 2026 10:00:00 GMT\r\n";
  if (!cache_control.empty()) head += "Cache-Control: " + cache_control + "\r\n";
  return head;
}

std::string status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 304: return "Not Modified";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

}  // namespace

TestHttpServer::TestHttpServer(std::filesystem::path root) : root_(std::move(root)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (listen_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::abort();
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TestHttpServer::~TestHttpServer() {
  stopping_ = true;
  acceptor_.join();
  for (auto& worker : workers_) worker.join();
  ::close(listen_fd_);
}

std::string TestHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void TestHttpServer::fail_next(const std::string& path, int count, int status) {
  std::lock_guard lock(mutex_);
  failures_[path] = {count, status};
}

void TestHttpServer::set_delay(const std::string& path, std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  delays_[path] = delay;
}

void TestHttpServer::set_stall(const std::string& path, std::chrono::milliseconds stall) {
  std::lock_guard lock(mutex_);
  stalls_[path] = stall;
}

void TestHttpServer::set_body(const std::string& path, std::string bytes) {
  std::lock_guard lock(mutex_);
  bodies_[path] = std::move(bytes);
}

void TestHttpServer::set_header(const std::string& path, std::string line) {
  std::lock_guard lock(mutex_);
  headers_[path] = line + "\r\n";
}

void TestHttpServer::set_cache_control(std::string value) {
  std::lock_guard lock(mutex_);
  cache_control_ = std::move(value);
}

int TestHttpServer::requests(const std::string& path) const {
  std::lock_guard lock(mutex_);
  const auto it = request_counts_.find(path);
  return it == request_counts_.end() ? 0 : it->second;
}

std::string TestHttpServer::content_of(const std::string& path, bool* found) const {
  {
    std::lock_guard lock(mutex_);
    if (const auto it = bodies_.find(path); it != bodies_.end()) {
      *found = true;
      return it->second;
    }
  }
  auto content = base::read_file(root_ / path.substr(1));
  *found = content.has_value();
  return content ? *content : std::string();
}

std::string TestHttpServer::etag_of(const std::string& path) const {
  bool found = false;
  const std::string content = content_of(path, &found);
  return "\"" + base::sha256_hex(content).substr(0, 16) + "\"";
}

void TestHttpServer::accept_loop() {
  while (!stopping_) {
    pollfd waiter{listen_fd_, POLLIN, 0};
    if (::poll(&waiter, 1, 20) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

bool TestHttpServer::sleep_unless_stopping(std::chrono::milliseconds duration) const {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stopping_) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

bool TestHttpServer::take_failure(const std::string& path, int* status) {
  std::lock_guard lock(mutex_);
  ++request_counts_[path];
  auto it = failures_.find(path);
  if (it == failures_.end() || it->second.first <= 0) return false;
  --it->second.first;
  *status = it->second.second;
  return true;
}

void TestHttpServer::serve(int fd) {
  const std::string head = read_head(fd);
  if (!head.empty()) {
    std::istringstream lines(head);
    std::string line;
    std::getline(lines, line);
    Request request;
    std::istringstream first(line);
    std::string method;
    first >> method >> request.path;
    while (std::getline(lines, line)) {
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      request.headers[base::to_lower(base::trim(line.substr(0, colon)))] =
          std::string(base::trim(line.substr(colon + 1)));
    }
    respond(fd, request);
  }
  ::close(fd);
}

void TestHttpServer::enter_active() {
  const int now_active = ++active_;
  int seen = max_concurrent_.load();
  while (now_active > seen && !max_concurrent_.compare_exchange_weak(seen, now_active)) {
  }
}

void TestHttpServer::respond(int fd, const Request& request) {
  std::chrono::milliseconds delay{0};
  std::chrono::milliseconds stall{-1};
  std::string cache_control;
  std::string extra;
  {
    std::lock_guard lock(mutex_);
    if (auto it = delays_.find(request.path); it != delays_.end()) delay = it->second;
    if (auto it = stalls_.find(request.path); it != stalls_.end()) stall = it->second;
    cache_control = cache_control_;
    if (auto it = headers_.find(request.path); it != headers_.end()) extra = it->second;
  }
  // A request counts as active from its arrival until its answer starts: a client that
  // waits for an answer before it sends the next request is then never counted twice,
  // however late this thread gets to close the connection.
  enter_active();
  const bool slept = sleep_unless_stopping(delay);
  --active_;
  if (!slept) return;
  int status = 0;
  if (take_failure(request.path, &status)) {
    const std::string body = "injected failure\n";
    send_all(fd, "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) +
                     "\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nConnection: close\r\n\r\n" + body);
    return;
  }
  bool found = false;
  const std::string content = content_of(request.path, &found);
  std::string head = common_headers(cache_control);
  if (!found) {
    send_all(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n" + head + "\r\n");
    return;
  }
  const std::string etag = etag_of(request.path);
  head += "ETag: " + etag + "\r\n";
  const auto match = request.headers.find("if-none-match");
  if (match != request.headers.end() && match->second == etag) {
    ++not_modified_;
    send_all(fd, "HTTP/1.1 304 Not Modified\r\n" + head + "\r\n");
    return;
  }
  const std::string start = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(content.size()) +
                            "\r\n" + head + extra + "\r\n";
  if (stall.count() < 0) {
    send_all(fd, start + content);
    return;
  }
  send_all(fd, start + content.substr(0, content.size() / 2));
  sleep_unless_stopping(stall);
}

TEST(TestHttpServerTest, ServesFilesAndCountsRequests) {
  auto root = base::TempDir::create("graft-server-test-");
  ASSERT_TRUE(root.has_value());
  ASSERT_TRUE(base::write_file_atomic(root->path() / "a.txt", "hello",
                                      base::Durability::kNoFsync));
  TestHttpServer server(root->path());
  EXPECT_NE(server.port(), 0);
  EXPECT_EQ(server.requests("/a.txt"), 0);
  EXPECT_EQ(server.etag_of("/a.txt"), "\"" + base::sha256_hex("hello").substr(0, 16) + "\"");
  EXPECT_EQ(server.url("/a.txt"), "http://127.0.0.1:" + std::to_string(server.port()) +
                                      "/a.txt");
}

}  // namespace graft::store::testing
