#include "proxy/upstream.h"

#include <gtest/gtest.h>

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
      {HealthSignal::kProbeFailed, false, true},  {HealthSignal::kProbeFailed, false, true},
      {HealthSignal::kPassiveOk, false, true},  // requests succeeding do not hide failing probes
      {HealthSignal::kProbeFailed, true, false},  {HealthSignal::kProbeFailed, false, false},
      {HealthSignal::kProbeOk, false, false},     {HealthSignal::kProbeFailed, false, false},
      {HealthSignal::kProbeOk, false, false},     {HealthSignal::kProbeOk, true, true},
      {HealthSignal::kPassiveFailed, false, true}, {HealthSignal::kPassiveFailed, false, true},
      {HealthSignal::kPassiveOk, false, true},    {HealthSignal::kPassiveFailed, false, true},
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

}  // namespace
}  // namespace graft::proxy
