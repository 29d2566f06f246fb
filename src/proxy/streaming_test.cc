// Bodies, limits and failure modes of the data plane: chunked and 10 MB bodies, 400/431/413,
// slow clients, upstreams dying mid-response.
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
  void SetUp() override {
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
    auto server = Server::start({.config = config, .threads = 2,
                                 .shutdown_grace = std::chrono::milliseconds(500)});
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
      {"POST /echo HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"POST /echo HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nX: " + std::string(5000, 'a') + "\r\n\r\n", 431},
      {"POST /echo HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413},
      {"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
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
  std::string request = "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
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
       {get("/"), std::string("POST /echo HTTP/1.1\r\nContent-Length: 2\r\n\r\nok")}) {
    ASSERT_EQ(client.request(get("/close")).status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the FIN arrive
    Response response = client.request(next);
    EXPECT_EQ(response.status, 200) << next;
  }
  EXPECT_EQ(upstream_.requests.load(), 4);  // nothing was sent twice
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
}

}  // namespace
}  // namespace graft::proxy
