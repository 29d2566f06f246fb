#include "proxy/upstream.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>

namespace graft::proxy {
namespace {

TEST(UpstreamHealth, FailsAndPassesFlipTheState) {
  Upstream upstream;
  route::HealthConfig config{.fails = 3, .passes = 2};
  struct Step {
    HealthSignal signal;
    bool changed;
    bool healthy;
  };
  std::vector<Step> steps = {
      {HealthSignal::kProbeFailed, false, true},   {HealthSignal::kProbeFailed, false, true},
      {HealthSignal::kPassiveOk, false, true},  // requests succeeding do not hide failing probes
      {HealthSignal::kProbeFailed, true, false},   {HealthSignal::kProbeFailed, false, false},
      {HealthSignal::kProbeOk, false, false},      {HealthSignal::kProbeFailed, false, false},
      {HealthSignal::kProbeOk, false, false},      {HealthSignal::kProbeOk, true, true},
      {HealthSignal::kPassiveFailed, false, true}, {HealthSignal::kPassiveFailed, false, true},
      {HealthSignal::kPassiveOk, false, true},     {HealthSignal::kPassiveFailed, false, true},
      {HealthSignal::kPassiveFailed, false, true}, {HealthSignal::kPassiveFailed, true, false},
  };
  for (std::size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(apply_health_signal(upstream, steps[i].signal, config), steps[i].changed) << i;
    EXPECT_EQ(upstream.healthy.load(), steps[i].healthy) << i;
  }
}

TEST(UpstreamSet, BuildsPerVariantAndKeepsStateAcrossReloads) {
  route::RouteConfig config;
  config.variants = {{.name = "a", .upstreams = {{"127.0.0.1", 9001}, {"127.0.0.1", 9002}}},
                     {.name = "b", .upstreams = {{"127.0.0.1", 9003}}}};
  auto first = UpstreamSet::build(config, nullptr);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ((*first)->all().size(), 3u);
  (*first)->of("b")->front()->healthy = false;
  EXPECT_FALSE((*first)->any_healthy("b"));
  EXPECT_TRUE((*first)->any_healthy("a"));
  EXPECT_EQ((*first)->of("c"), nullptr);
  auto second = UpstreamSet::build(config, first->get());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ((*second)->of("b")->front().get(), (*first)->of("b")->front().get());
  config.variants[1].upstreams[0].host = "no-such-host.invalid";
  auto broken = UpstreamSet::build(config, nullptr);
  ASSERT_FALSE(broken.has_value());
  EXPECT_NE(broken.error().message().find("upstream 'no-such-host.invalid:9003' does not resolve"),
            std::string::npos);
}

// Three loopback connections to one acceptor: pool side (client) and upstream side.
struct Connections {
  using tcp = boost::asio::ip::tcp;
  Connections() : acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    for (int i = 0; i < 3; ++i) {
      pooled.emplace_back(io);
      pooled.back().connect(acceptor.local_endpoint());
      upstream.push_back(acceptor.accept());
    }
  }
  boost::asio::io_context io;
  tcp::acceptor acceptor;
  std::vector<tcp::socket> pooled;
  std::vector<tcp::socket> upstream;
};

TEST(UpstreamPool, HandsOutOnlyIdleConnectionsWithNothingUnread) {
  Connections connections;
  Upstream upstream;
  UpstreamPool pool;
  EXPECT_EQ(check_idle(connections.pooled[0]), IdleCheck::kIdle);
  for (auto& socket : connections.pooled) {
    pool.give_back(upstream, std::move(socket));
  }
  // [0]: bytes past a response arrive while pooled; [1]: closed by the upstream; [2]: idle.
  boost::asio::write(connections.upstream[0], boost::asio::buffer(std::string("HTTP/1.1 200")));
  connections.upstream[1].close();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::size_t overruns = 0;
  boost::asio::ip::tcp::socket taken(connections.io);
  ASSERT_TRUE(pool.take(upstream, &taken, &overruns));
  EXPECT_EQ(check_idle(taken), IdleCheck::kIdle);
  EXPECT_EQ(overruns, 0u);                               // [2] is the most recent: taken first
  EXPECT_FALSE(pool.take(upstream, &taken, &overruns));  // [1] and [0] are closed instead
  EXPECT_EQ(overruns, 1u);
  EXPECT_EQ(pool.idle_count(), 0u);
  // Bytes that come just after the connection went back: never handed out either.
  pool.give_back(upstream, std::move(taken));
  boost::asio::write(connections.upstream[2], boost::asio::buffer(std::string("x")));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(pool.take(upstream, &taken, &overruns));
  EXPECT_EQ(overruns, 2u);
  EXPECT_EQ(pool.idle_count(), 0u);
}

}  // namespace
}  // namespace graft::proxy
