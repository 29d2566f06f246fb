// Bodies, limits and failure modes of the data plane: chunked and 10 MB bodies, 400/431/413,
// slow clients, upstreams dying mid-response.
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "proxy/server.h"
#include "proxy/test_support.h"

namespace graft::proxy {
namespace {

using testing::Client;
using testing::get;
using testing::Response;
using testing::TestUpstream;

class StreamingTest : public ::testing::Test {
 protected:
  void SetUp() override { start(2); }

  void start(std::size_t threads, const std::function<void(route::RouteConfig&)>& tweak = {}) {
    server_.reset();
    route::RouteConfig config;
    config.listen = {.host = "127.0.0.1", .port = 0};
    config.admin = {.host = "127.0.0.1", .port = 0};
    config.variants = {{.name = "baseline",
                        .upstreams = {{.host = "127.0.0.1", .port = upstream_.port()}},
                        .weight = 100}};
    config.timeouts.header = std::chrono::milliseconds(300);
    config.timeouts.read = std::chrono::milliseconds(2000);
    config.limits.max_header_bytes = 4096;
    config.limits.max_body_bytes = 12 << 20;
    if (tweak) tweak(config);
    auto server = Server::start(
        {.config = config, .threads = threads, .shutdown_grace = std::chrono::milliseconds(500)});
    ASSERT_TRUE(server.has_value()) << server.error().message();
    server_ = std::move(*server);
  }

  TestUpstream upstream_{"baseline"};
  std::unique_ptr<Server> server_;
};

TEST_F(StreamingTest, ChunkedRequestAndResponseBodies) {
  Client client(server_->port());
  Response response = client.request(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n4;ext\r\ndefg\r\n0\r\n\r\n");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "abcdefg");
  response = client.request(get("/chunked"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers["transfer-encoding"], "chunked");
  EXPECT_EQ(response.body, "alphabetagamma");
  EXPECT_FALSE(response.closed);
}

TEST_F(StreamingTest, TenMegabyteBodiesBothWays) {
  Client client(server_->port(), 20000);
  std::string body(10 << 20, 'b');
  for (std::size_t i = 0; i < body.size(); i += 4093) body[i] = static_cast<char>('a' + i % 26);
  Response response = client.request("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                                     std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.body == body) << "echoed body differs, size " << response.body.size();
  response = client.request(get("/big?bytes=10485760"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), 10485760u);
}

TEST_F(StreamingTest, RejectsMalformedAndOversizeRequests) {
  struct Case {
    std::string request;
    int status;
  };
  std::vector<Case> cases = {
      {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
      {"GARBAGE\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400},         // no Host
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},  // two
      {"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       400},
      {"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nX: " + std::string(5000, 'a') + "\r\n\r\n", 431},
      {"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n", 413},
      {"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
  };
  for (const Case& test : cases) {
    Client client(server_->port());
    Response response = client.request(test.request);
    EXPECT_EQ(response.status, test.status) << test.request.substr(0, 60);
    EXPECT_TRUE(client.wait_closed()) << test.request.substr(0, 60);
  }
}

TEST_F(StreamingTest, ChunkedBodyOverTheLimitGets413) {
  Client client(server_->port(), 10000);
  std::string chunk(1 << 20, 'z');
  std::string request = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  client.send(request);
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  Response response;
  for (int i = 0; i < 13; ++i) {
    if (!client.send(std::string(size_line) + chunk + "\r\n")) break;
  }
  response = client.read_response();
  EXPECT_EQ(response.status, 413);
}

TEST_F(StreamingTest, SlowClientTimesOut) {
  Client client(server_->port());
  auto started = std::chrono::steady_clock::now();
  client.send("GET / HTTP/1.1\r\nHost: slow");
  Response response = client.read_response();
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(response.status, 408);
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::milliseconds(2000));
  Client idle(server_->port());
  EXPECT_TRUE(idle.wait_closed());  // a connection that never sends is closed too
}

TEST_F(StreamingTest, UpstreamDyingMidResponseClosesTheClient) {
  Client client(server_->port());
  auto started = std::chrono::steady_clock::now();
  Response response = client.request(get("/die"));
  EXPECT_EQ(response.status, 0);  // incomplete: the body was cut short
  EXPECT_TRUE(client.wait_closed());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  Client next(server_->port());
  EXPECT_EQ(next.request(get("/")).status, 200);
}

TEST_F(StreamingTest, PooledConnectionsClosedByTheUpstreamAreNotUsed) {
  Client client(server_->port());
  for (const std::string& next :
       {get("/"), std::string("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok")}) {
    ASSERT_EQ(client.request(get("/close")).status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the FIN arrive
    Response response = client.request(next);
    EXPECT_EQ(response.status, 200) << next;
  }
  EXPECT_EQ(upstream_.requests.load(), 4);  // nothing was sent twice
}

// Bytes an upstream sends past the end of a response never become the next response: a
// pooled connection is checked before every use, and one with unread bytes is closed.
TEST_F(StreamingTest, BytesPastTheEndOfAResponseNeverReachTheNextRequest) {
  start(1);  // one worker: one pool for every connection
  struct Case {
    std::string method;
    std::string target;
    int status;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"GET", "/overrun?ms=0", 200, "first"},
      {"GET", "/overrun?ms=30", 200, "first"},
      {"POST", "/overrun?ms=30", 200, "first"},
      {"GET", "/chunked-overrun?ms=30", 200, "first"},
      {"GET", "/interim-overrun?ms=30", 200, "first"},
      {"HEAD", "/body-overrun?ms=30", 200, ""},
      {"GET", "/no-content-body?ms=30", 204, ""},
  };
  int id = 0;
  int hostile_answers = 0;
  for (const Case& test : cases) {
    SCOPED_TRACE(test.method + " " + test.target);
    Client hostile(server_->port());
    Response response = hostile.request(
        test.method + " " + test.target + " HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
        test.method);
    EXPECT_EQ(response.status, test.status);
    EXPECT_EQ(response.body, test.body);
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    ++hostile_answers;
    while (upstream_.overruns_sent.load() < hostile_answers &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(upstream_.overruns_sent.load(), hostile_answers);  // the extra bytes are out
    // The same client and another one: each request gets its own response.
    Client other(server_->port());
    for (Client* client : {&hostile, &other, &other, &hostile}) {
      std::string target = "/id/" + std::to_string(++id);
      Response next = client->request(get(target));
      EXPECT_EQ(next.status, 200);
      EXPECT_EQ(next.body, target);
      EXPECT_EQ(next.headers["x-upstream"], "baseline");
    }
  }
  std::string metrics = server_->metrics_text();
  EXPECT_NE(metrics.find("graft_proxy_upstream_overruns_total " + std::to_string(cases.size())),
            std::string::npos)
      << metrics;
}

// A small body is read whole before an upstream is picked: a slow one times out without
// ever reaching (or holding a connection to) an upstream.
TEST_F(StreamingTest, SlowSmallBodyTimesOutBeforeAnyUpstreamIsPicked) {
  start(1,
        [](route::RouteConfig& config) { config.timeouts.body = std::chrono::milliseconds(300); });
  Client client(server_->port());
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" +
                          std::string(10, 'x')));
  Response response = client.read_response("POST");
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(response.status, 408);
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::milliseconds(2000));
  EXPECT_EQ(upstream_.requests.load(), 0);
  // One arriving in parts in time reaches the upstream whole, as one request.
  Client parts(server_->port());
  std::string body(50'000, 'b');
  ASSERT_TRUE(parts.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 50000\r\n\r\n" +
                         body.substr(0, 20'000)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(upstream_.requests.load(), 0);
  Response echoed = parts.request(body.substr(20'000), "POST");
  EXPECT_EQ(echoed.status, 200);
  EXPECT_TRUE(echoed.body == body);
  EXPECT_EQ(upstream_.requests.load(), 1);
}

// A large (streamed) body trickling in below limits.min_body_rate gets 408, though no
// single pause reaches timeouts.body.
TEST_F(StreamingTest, BodyBelowTheMinimumRateTimesOut) {
  start(1, [](route::RouteConfig& config) {
    config.timeouts.body = std::chrono::milliseconds(500);
    config.limits.min_body_rate = 1000;  // bytes per second
  });
  Client client(server_->port(), 10'000);
  ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n"));
  std::atomic<bool> answered{false};
  std::thread trickle([&] {  // 500 bytes per second, a pause of 200 ms at most
    for (int i = 0; i < 25 && !answered; ++i) {
      if (!client.send(std::string(100, 'x'))) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  auto started = std::chrono::steady_clock::now();
  Response response = client.read_response("POST");
  auto waited = std::chrono::steady_clock::now() - started;
  answered = true;
  trickle.join();
  EXPECT_EQ(response.status, 408);
  EXPECT_GE(waited, std::chrono::milliseconds(700));
  EXPECT_LT(waited, std::chrono::milliseconds(3000));
}

TEST_F(StreamingTest, SlowUpstreamGets504) {
  Client client(server_->port());
  Response response = client.request(get("/slow?ms=3000"));
  EXPECT_EQ(response.status, 504);
}

TEST_F(StreamingTest, KeepAliveAndPipelining) {
  Client client(server_->port());
  client.send(get("/a") + get("/b") + "HEAD /c HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(client.read_response().body, "baseline");
  EXPECT_EQ(client.read_response().body, "baseline");
  Response head = client.read_response("HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  Response last = client.request("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(last.status, 200);
  EXPECT_TRUE(last.closed);
  EXPECT_EQ(upstream_.last_header("host"), upstream_.address());  // HTTP/1.1 needs one
}

}  // namespace
}  // namespace graft::proxy
