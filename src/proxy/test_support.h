// Test helpers for the proxy's integration tests (header-only, included by *_test.cc):
// a blocking in-process HTTP/1.1 upstream on 127.0.0.1:0 and a blocking keep-alive client.
// Every socket has a receive timeout so no test can hang.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "proxy/http_parser.h"

namespace graft::proxy::testing {

inline void set_timeouts(int fd, int milliseconds) {
  timeval tv{milliseconds / 1000, (milliseconds % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

inline bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

struct Response {
  int status = 0;  // 0: no complete response (connection closed or timed out)
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;                            // de-chunked
  bool closed = false;                         // the peer closed after it
};

inline std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Decodes a complete chunked body (test-side, simple).
inline std::string dechunk(std::string_view raw) {
  std::string out;
  while (true) {
    std::size_t line_end = raw.find("\r\n");
    std::size_t size = std::stoul(std::string(raw.substr(0, line_end)), nullptr, 16);
    raw.remove_prefix(line_end + 2);
    if (size == 0) return out;
    out.append(raw.substr(0, size));
    raw.remove_prefix(size + 2);
  }
}

// A blocking client connection; reads one response per request.
class Client {
 public:
  explicit Client(std::uint16_t port, int timeout_ms = 5000) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    set_timeouts(fd_, timeout_ms);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  bool send(std::string_view data) { return send_all(fd_, data); }

  // Reads one response (to a request with `method`).
  Response read_response(std::string_view method = "GET") {
    Response response;
    ResponseHead head;
    std::size_t scan = 0;
    while (true) {
      ParseStatus status = parse_response(buffer_, 1 << 20, &scan, &head);
      if (status == ParseStatus::kComplete) break;
      if (status != ParseStatus::kNeedMore || !fill()) return response;
    }
    for (std::size_t i = 0; i < head.field_count; ++i) {
      response.headers[lower(head.fields[i].name)] = std::string(head.fields[i].value);
    }
    std::size_t head_bytes = head.head_bytes;
    int status_code = head.status;
    bool keep = head.keep_alive();
    buffer_.erase(0, head_bytes);
    if (!read_body(head, method, status_code, &response)) return response;
    response.status = status_code;
    response.closed = !keep;
    return response;
  }

  Response request(std::string_view raw, std::string_view method = "GET") {
    if (!send(raw)) return {};
    return read_response(method);
  }

  // True when the peer closes the connection (EOF) within the timeout.
  bool wait_closed() {
    while (fill()) {
    }
    return eof_;
  }

 private:
  bool fill() {
    char chunk[65536];
    ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got <= 0) {
      eof_ = got == 0;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(got));
    return true;
  }

  bool read_body(const ResponseHead& head, std::string_view method, int status,
                 Response* response) {
    if (response_has_no_body(method, status)) return true;
    if (head.chunked) {
      ChunkedFramer framer;
      std::size_t used = 0;
      while (true) {
        used += framer.consume(std::string_view(buffer_).substr(used));
        if (framer.state() == ChunkedFramer::State::kDone) break;
        if (framer.state() == ChunkedFramer::State::kError || !fill()) return false;
      }
      response->body = dechunk(std::string_view(buffer_).substr(0, used));
      buffer_.erase(0, used);
      return true;
    }
    if (head.content_length) {
      std::size_t length = *head.content_length;
      while (buffer_.size() < length) {
        if (!fill()) return false;
      }
      response->body = buffer_.substr(0, length);
      buffer_.erase(0, length);
      return true;
    }
    while (fill()) {
    }
    response->body = std::move(buffer_);
    buffer_.clear();
    return eof_;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

inline std::string get(std::string_view path, const std::vector<std::string>& headers = {}) {
  std::string request = "GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n";
  for (const auto& header : headers) request += header + "\r\n";
  return request + "\r\n";
}

// A small HTTP/1.1 server on 127.0.0.1:0, one thread per connection. Paths:
//   /health          health_status (default 200)
//   /echo            echoes the request body (Content-Length response)
//   /big?bytes=N     N bytes of 'x'
//   /chunked         a 3-chunk chunked response "alpha" "beta" "gamma"
//   /die             promises 100000 bytes, sends 10 and closes
//   /close           a complete keep-alive response, then closes the connection
//   /slow?ms=N       answers after N ms
//   /id/...          body = the request target
// Hostile paths: a complete response, then after ms=N milliseconds bytes past its end (a
// fake second response "secret" from X-Upstream: hostile); the connection stays open:
//   /overrun?ms=N           a Content-Length response "first"
//   /chunked-overrun?ms=N   a chunked response "first"
//   /interim-overrun?ms=N   100 Continue, then a Content-Length response "first"
//   /body-overrun?ms=N      to HEAD: Content-Length 5 and no body, then "hello" + fake
//   /no-content-body?ms=N   204 No Content, then "hello" + fake
//   anything else    body = name
// Every response carries X-Upstream: name and X-Model-Version: model-<name>.
class TestUpstream {
 public:
  explicit TestUpstream(std::string name) : name_(std::move(name)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 256);
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~TestUpstream() { stop(); }

  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::atomic<int> health_status{200};
  std::atomic<int> requests{0};  // non-health requests
  std::atomic<int> health_requests{0};
  std::atomic<int> overruns_sent{0};  // hostile paths whose extra bytes are out

  std::string last_header(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto found = last_headers_.find(lower(name));
    return found == last_headers_.end() ? "" : found->second;
  }

  // Closes the listener and every connection.
  void stop() {
    if (stopped_.exchange(true)) return;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    {
      std::lock_guard lock(mutex_);
      for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
    }
    if (acceptor_.joinable()) acceptor_.join();
    for (auto& thread : connections_) thread.join();
  }

 private:
  void accept_loop() {
    while (true) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      set_timeouts(fd, 10000);
      std::lock_guard lock(mutex_);
      if (stopped_) {
        ::close(fd);
        return;
      }
      open_.insert(fd);
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    std::string buffer;
    char chunk[65536];
    while (true) {
      RequestHead head;
      std::size_t scan = 0;
      ParseStatus status;
      while ((status = parse_request(buffer, 1 << 20, &scan, &head)) == ParseStatus::kNeedMore) {
        ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
        if (got <= 0) return finish(fd);
        buffer.append(chunk, static_cast<std::size_t>(got));
      }
      if (status != ParseStatus::kComplete) return finish(fd);
      // Copy what is needed from the head first: reading the body may reallocate `buffer`.
      std::string method(head.method), target(head.target);
      record(head);
      std::string body;
      std::size_t used = head.head_bytes;
      if (!read_request_body(fd, head, &buffer, &used, &body)) return finish(fd);
      buffer.erase(0, used);
      if (!respond(fd, method, target, body)) return finish(fd);
    }
  }

  bool read_request_body(int fd, const RequestHead& head, std::string* buffer, std::size_t* used,
                         std::string* body) {
    char chunk[65536];
    if (head.chunked) {
      ChunkedFramer framer;
      std::size_t start = *used;
      while (true) {
        *used += framer.consume(std::string_view(*buffer).substr(*used));
        if (framer.state() == ChunkedFramer::State::kDone) break;
        if (framer.state() == ChunkedFramer::State::kError) return false;
        ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
        if (got <= 0) return false;
        buffer->append(chunk, static_cast<std::size_t>(got));
      }
      *body = dechunk(std::string_view(*buffer).substr(start, *used - start));
      return true;
    }
    std::size_t length = head.content_length.value_or(0);
    while (buffer->size() < *used + length) {
      ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      if (got <= 0) return false;
      buffer->append(chunk, static_cast<std::size_t>(got));
    }
    *body = buffer->substr(*used, length);
    *used += length;
    return true;
  }

  void record(const RequestHead& head) {
    if (head.target == "/health") {
      ++health_requests;
      return;
    }
    ++requests;
    std::lock_guard lock(mutex_);
    last_headers_.clear();
    for (std::size_t i = 0; i < head.field_count; ++i) {
      last_headers_[lower(head.fields[i].name)] = std::string(head.fields[i].value);
    }
  }

  bool respond(int fd, const std::string& method, const std::string& target,
               const std::string& body) {
    std::string common = "X-Upstream: " + name_ + "\r\nX-Model-Version: model-" + name_ + "\r\n";
    auto simple = [&](int status, const std::string& content) {
      return "HTTP/1.1 " + std::to_string(status) + " X\r\n" + common +
             "Content-Length: " + std::to_string(content.size()) + "\r\n\r\n" +
             (method == "HEAD" ? "" : content);
    };
    auto number = [&](const std::string& key) {
      std::size_t at = target.find(key + "=");
      return at == std::string::npos ? 0 : std::stoul(target.substr(at + key.size() + 1));
    };
    if (target == "/health") return send_all(fd, simple(health_status.load(), "ok"));
    if (target == "/echo") return send_all(fd, simple(200, body));
    if (target.rfind("/big", 0) == 0)
      return send_all(fd, simple(200, std::string(number("bytes"), 'x')));
    if (target == "/chunked") {
      return send_all(fd, "HTTP/1.1 200 OK\r\n" + common +
                              "Transfer-Encoding: chunked\r\n\r\n"
                              "5\r\nalpha\r\n4\r\nbeta\r\n5\r\ngamma\r\n0\r\n\r\n");
    }
    if (target == "/die") {
      send_all(fd, "HTTP/1.1 200 OK\r\n" + common + "Content-Length: 100000\r\n\r\n0123456789");
      return false;
    }
    if (target == "/close") {  // keep-alive response, then the upstream drops the connection
      send_all(fd, simple(200, name_));
      return false;
    }
    if (target.rfind("/id/", 0) == 0) return send_all(fd, simple(200, target));
    if (std::optional<std::string> hostile = hostile_response(target, common)) {
      std::size_t split = hostile->find("\x01");  // where the pause goes
      if (!send_all(fd, hostile->substr(0, split))) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(number("ms")));
      bool sent = send_all(fd, hostile->substr(split + 1));
      ++overruns_sent;  // on loopback, sent bytes are in the peer's queue once send returns
      return sent;
    }
    if (target.rfind("/slow", 0) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(number("ms")));
    }
    return send_all(fd, simple(200, name_));
  }

  // The bytes of a hostile path's answer, "\x01" marking the pause; nullopt for others.
  static std::optional<std::string> hostile_response(const std::string& target,
                                                     const std::string& common) {
    static const std::string kFake =
        "HTTP/1.1 200 OK\r\nX-Upstream: hostile\r\nContent-Length: 6\r\n\r\nsecret";
    std::string path = target.substr(0, target.find('?'));
    std::string first = "HTTP/1.1 200 OK\r\n" + common + "Content-Length: 5\r\n\r\nfirst";
    if (path == "/overrun") return first + "\x01" + kFake;
    if (path == "/interim-overrun") return "HTTP/1.1 100 Continue\r\n\r\n" + first + "\x01" + kFake;
    if (path == "/chunked-overrun") {
      return "HTTP/1.1 200 OK\r\n" + common +
             "Transfer-Encoding: chunked\r\n\r\n"
             "5\r\nfirst\r\n0\r\n\r\n\x01" +
             kFake;
    }
    if (path == "/body-overrun") {
      return "HTTP/1.1 200 OK\r\n" + common + "Content-Length: 5\r\n\r\n\x01hello" + kFake;
    }
    if (path == "/no-content-body") {
      return "HTTP/1.1 204 No Content\r\n" + common + "\r\n\x01hello" + kFake;
    }
    return std::nullopt;
  }

  void finish(int fd) {
    std::lock_guard lock(mutex_);
    open_.erase(fd);
    ::close(fd);
  }

  std::string name_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  std::mutex mutex_;
  std::set<int> open_;
  std::map<std::string, std::string> last_headers_;
  std::thread acceptor_;
  std::vector<std::thread> connections_;
};

}  // namespace graft::proxy::testing
