// Tests of the session's I/O helpers: direct writes with an asynchronous remainder, and the
// coarse clock deadlines are set with.
#include "proxy/session.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>

namespace graft::proxy {
namespace {

namespace asio = boost::asio;

// A connected pair of loopback sockets on `io`, the writer non-blocking. Default buffer
// sizes: with SO_SNDBUF at 4 KiB, a plain asio::async_write stalled here too (no
// EPOLLOUT edge came), so the test would not be about write_now.
struct SocketPair {
  explicit SocketPair(asio::io_context& io) : writer(io), reader(io) {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    writer.connect(acceptor.local_endpoint());
    reader = acceptor.accept();
    writer.non_blocking(true);
  }
  tcp::socket writer;
  tcp::socket reader;
};

TEST(WriteNow, SmallWritesCompleteAtOnce) {
  asio::io_context io;
  SocketPair pair(io);
  std::string_view head = "HTTP/1.1 200 OK\r\n\r\n";
  std::string_view body = "hello";
  boost::system::error_code error;
  EXPECT_TRUE(write_now(pair.writer, &head, &body, &error));
  EXPECT_FALSE(error);
  EXPECT_TRUE(head.empty());
  EXPECT_TRUE(body.empty());
  std::string received(24, '\0');
  boost::system::error_code read_error;
  asio::read(pair.reader, asio::buffer(received), read_error);
  EXPECT_EQ(received, "HTTP/1.1 200 OK\r\n\r\nhello");
}

TEST(WriteNow, LeavesWhatTheKernelDidNotTakeForWriteRest) {
  asio::io_context io;
  SocketPair pair(io);
  const std::string head = "head:";
  std::string body(32 << 20, '\0');  // more than the kernel buffers while nobody reads
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  std::string_view unsent_head = head;
  std::string_view unsent_body = body;
  boost::system::error_code error;
  ASSERT_FALSE(write_now(pair.writer, &unsent_head, &unsent_body, &error));
  EXPECT_FALSE(error);
  EXPECT_TRUE(unsent_head.empty());  // the head fits in any send buffer
  EXPECT_GT(unsent_body.size(), 0u);
  EXPECT_LT(unsent_body.size(), body.size());
  std::string received(head.size() + body.size(), '\0');
  std::thread drain([&] {
    boost::system::error_code ignored;
    asio::read(pair.reader, asio::buffer(received), ignored);
  });
  boost::system::error_code rest_error = asio::error::would_block;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        rest_error = co_await write_rest(pair.writer, unsent_head, unsent_body);
      },
      asio::detached);
  io.run_for(std::chrono::seconds(20));
  pair.writer.close();  // ends the reader should the write have stalled
  drain.join();
  EXPECT_FALSE(rest_error) << rest_error.message();
  EXPECT_TRUE(received == head + body);
}

TEST(WriteNow, ReportsAClosedPeer) {
  asio::io_context io;
  SocketPair pair(io);
  pair.reader.close();
  std::string body(1 << 20, 'x');
  boost::system::error_code error;
  // The first write may still be accepted by the kernel; the peer's reset shows by the next.
  for (int i = 0; i < 100 && !error; ++i) {
    std::string_view head;
    std::string_view rest = body;
    write_now(pair.writer, &head, &rest, &error);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(error);
}

TEST(CoarseNow, TracksTheSteadyClockWithinATick) {
  for (int i = 0; i < 5; ++i) {
    Clock::time_point before = Clock::now();
    Clock::time_point coarse = coarse_now();
    Clock::time_point after = Clock::now();
    // Never ahead of the precise clock, and at most one kernel tick (<= 10 ms) behind.
    EXPECT_LE(coarse, after);
    EXPECT_GT(coarse, before - std::chrono::milliseconds(20));
  }
}

}  // namespace
}  // namespace graft::proxy
