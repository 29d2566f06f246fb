// route: cost of one routing decision on the request path and of a weight change.
// Prints ns per decision (sticky header key, per-request draw, CachedTable::get + route) and
// the time to build and swap in a new table (the "applies in < 10 ms" budget of
// ARCHITECTURE.md). Single-threaded; numbers are for this machine, one run.
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "route/route.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace route = graft::route;

route::RouteConfig make_config() {
  route::RouteConfig config;
  config.listen = {"127.0.0.1", 8080};
  config.sticky = {route::StickySource::kHeader, "X-User-Id"};
  config.salt = "ctr-v3";
  config.variants = {{"baseline", {{"127.0.0.1", 9001}, {"127.0.0.1", 9003}}, 90},
                     {"treatment", {{"127.0.0.1", 9002}}, 10},
                     {"shadow", {{"127.0.0.1", 9004}}, 0}};
  config.mirror = route::MirrorConfig{"shadow", 5};
  return config;
}

template <typename Body>
double nanoseconds_per_call(int calls, Body body) {
  auto start = Clock::now();
  for (int i = 0; i < calls; ++i) body(i);
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / calls;
}

}  // namespace

int main() {
  auto table = route::RouteTable::create(make_config());
  if (!table) {
    std::fprintf(stderr, "%s\n", table.error().message().c_str());
    return 1;
  }
  route::RouteTableHolder holder(std::make_shared<const route::RouteTable>(*table));
  std::vector<std::string> users;
  for (int i = 0; i < 4096; ++i) users.push_back("user-" + std::to_string(i * 7919));
  std::mt19937_64 rng(1);
  constexpr int kCalls = 5'000'000;
  std::size_t sink = 0;

  double sticky = nanoseconds_per_call(kCalls, [&](int i) {
    sink += table->route({.sticky_key = users[i & 4095], .random = rng()}).variant;
  });
  double random =
      nanoseconds_per_call(kCalls, [&](int) { sink += table->route({.random = rng()}).variant; });
  route::CachedTable cached(holder);
  double through_holder = nanoseconds_per_call(kCalls, [&](int i) {
    sink += cached.get().route({.sticky_key = users[i & 4095], .random = rng()}).variant;
  });
  double holder_load =
      nanoseconds_per_call(kCalls, [&](int) { sink += holder.load()->generation(); });

  constexpr int kSwaps = 2'000;
  double swap = nanoseconds_per_call(kSwaps, [&](int i) {
    auto next = holder.update([i](const route::RouteTable& current) {
      return current.with_weights({{"treatment", static_cast<std::uint32_t>(i % 100)}});
    });
    sink += next ? 1 : 0;
  });

  std::printf("route() sticky header key          %8.1f ns/decision\n", sticky);
  std::printf("route() per-request draw            %8.1f ns/decision\n", random);
  std::printf("CachedTable::get() + route()        %8.1f ns/decision\n", through_holder);
  std::printf("RouteTableHolder::load()            %8.1f ns/call\n", holder_load);
  std::printf("with_weights + swap (weight change) %8.1f us/change (budget 10000 us)\n",
              swap / 1000.0);
  return sink == 0 ? 1 : 0;
}
