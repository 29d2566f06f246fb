// A small HTTP/1.1 file server for the store's tests (implemented in
// test_http_server_test.cc, so it lives only in the test binary). Listens on 127.0.0.1,
// port 0, serves files under a root directory, one thread per connection, and can inject
// faults: HTTP errors for the next N requests, delays before answering, stalls mid-body,
// wrong bytes. Answers If-None-Match with 304 when the ETag matches.
//
// Thread-safety: every method may be called while the server runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace graft::store::testing {

class TestHttpServer {
 public:
  // Starts serving `root` at once; aborts the test binary if it can not listen.
  explicit TestHttpServer(std::filesystem::path root);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  // "http://127.0.0.1:<port>" + path (path starts with '/').
  [[nodiscard]] std::string url(const std::string& path) const;
  [[nodiscard]] std::uint16_t port() const { return port_; }

  // The next `count` requests for `path` get `status` with a short error body.
  void fail_next(const std::string& path, int count, int status = 500);
  // Waits `delay` before answering requests for `path`.
  void set_delay(const std::string& path, std::chrono::milliseconds delay);
  // Sends the headers and half the body of `path`, then stalls for `stall`, then closes.
  void set_stall(const std::string& path, std::chrono::milliseconds stall);
  // Serves `bytes` instead of the file's content for `path`.
  void set_body(const std::string& path, std::string bytes);
  // Sends `line` ("Content-Encoding: gzip") as one more header of every 200 for `path`
  // (in place of the line an earlier call gave it).
  void set_header(const std::string& path, std::string line);
  // Sent as Cache-Control on every 200 and 304 (empty: no header).
  void set_cache_control(std::string value);

  // Requests received for `path` (every attempt counts).
  [[nodiscard]] int requests(const std::string& path) const;
  // Requests answered with 304.
  [[nodiscard]] int not_modified_count() const { return not_modified_.load(); }
  // Most connections being answered at the same moment.
  [[nodiscard]] int max_concurrent() const { return max_concurrent_.load(); }
  // The ETag the server gives the current content of `path`.
  [[nodiscard]] std::string etag_of(const std::string& path) const;

 private:
  struct Request {
    std::string path;
    std::map<std::string, std::string> headers;  // lower-case names
  };
  void accept_loop();
  void serve(int fd);
  void respond(int fd, const Request& request);
  void enter_active();
  bool take_failure(const std::string& path, int* status);
  bool sleep_unless_stopping(std::chrono::milliseconds duration) const;
  std::string content_of(const std::string& path, bool* found) const;

  std::filesystem::path root_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> active_{0};
  std::atomic<int> max_concurrent_{0};
  std::atomic<int> not_modified_{0};
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<int, int>> failures_;  // path -> (count, status)
  std::map<std::string, std::chrono::milliseconds> delays_;
  std::map<std::string, std::chrono::milliseconds> stalls_;
  std::map<std::string, std::string> bodies_;
  std::map<std::string, std::string> headers_;  // path -> extra header lines
  std::map<std::string, int> request_counts_;
  std::string cache_control_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

}  // namespace graft::store::testing
