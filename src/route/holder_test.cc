#include "route/holder.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace graft::route {
namespace {

std::shared_ptr<const RouteTable> make_table(std::uint32_t treatment_weight) {
  RouteConfig config;
  config.listen = {"127.0.0.1", 8080};
  config.sticky = {StickySource::kHeader, "X-User-Id"};
  config.variants = {{"baseline", {{"h", 1}}, 100 - treatment_weight},
                     {"treatment", {{"h", 2}}, treatment_weight}};
  return std::make_shared<const RouteTable>(*RouteTable::create(config));
}

TEST(RouteTableHolder, StoreSwapsAndOldSnapshotsStayValid) {
  RouteTableHolder holder(make_table(10));
  std::shared_ptr<const RouteTable> old = holder.load();
  const std::uint64_t version = holder.version();
  holder.store(make_table(50));
  EXPECT_EQ(holder.version(), version + 1);
  EXPECT_EQ(holder.load()->variants()[1].weight, 50u);
  EXPECT_EQ(old->variants()[1].weight, 10u);
}

TEST(RouteTableHolder, UpdateAppliesChangeOrKeepsTableOnError) {
  RouteTableHolder holder(make_table(10));
  auto raised = holder.update([](const RouteTable& table) {
    return table.with_weights({{"treatment", 30}});
  });
  ASSERT_TRUE(raised) << raised.error().message();
  EXPECT_EQ(holder.load(), *raised);
  EXPECT_EQ(holder.load()->variants()[0].weight, 70u);
  EXPECT_EQ(holder.load()->generation(), 2u);

  const std::uint64_t version = holder.version();
  auto bad = holder.update([](const RouteTable& table) {
    return table.with_weights({{"nope", 30}});
  });
  ASSERT_FALSE(bad);
  EXPECT_EQ(holder.version(), version);
  EXPECT_EQ(holder.load(), *raised);

  auto rolled = holder.update(
      [](const RouteTable& table) -> Result<RouteTable> { return table.rolled_back(); });
  ASSERT_TRUE(rolled);
  EXPECT_EQ(holder.load()->variants()[1].buckets, 0u);
}

TEST(RouteTableHolder, ConcurrentUpdatesLoseNothing) {
  RouteTableHolder holder(make_table(0));
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&holder] {
      for (int i = 0; i < 50; ++i) {
        auto next = holder.update([](const RouteTable& table) -> Result<RouteTable> {
          // Naming the baseline keeps it at 100: the treatment's weight simply counts.
          return table.with_weights(
              {{"baseline", 100}, {"treatment", table.variants()[1].weight + 1}});
        });
        ASSERT_TRUE(next);
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(holder.load()->variants()[1].weight, 200u);
  EXPECT_EQ(holder.load()->generation(), 201u);
}

TEST(CachedTable, ReloadsOnlyAfterASwap) {
  RouteTableHolder holder(make_table(10));
  CachedTable cached(holder);
  const RouteTable* first = &cached.get();
  EXPECT_EQ(&cached.get(), first);
  holder.store(make_table(20));
  EXPECT_NE(&cached.get(), first);
  EXPECT_EQ(cached.get().variants()[1].weight, 20u);
}

TEST(CachedTable, ReadersSeeConsistentTablesWhileWritersSwap) {
  RouteTableHolder holder(make_table(0));
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> routed{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      CachedTable cached(holder);
      std::uint64_t count = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const RouteTable& table = cached.get();
        // Every snapshot is internally consistent: the treatment's share matches its weight.
        ASSERT_EQ(table.variants()[1].buckets, table.variants()[1].weight * 100);
        ASSERT_LT(table.route({.sticky_key = "u", .random = count}).variant, 2u);
        ++count;
      }
      routed += count;
    });
  }
  for (std::uint32_t weight = 0; weight <= 100; ++weight) {
    holder.store(make_table(weight));
    std::this_thread::yield();
  }
  stop = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_GT(routed.load(), 0u);
  EXPECT_EQ(holder.load()->variants()[1].weight, 100u);
}

}  // namespace
}  // namespace graft::route
