#include "base/parallel.h"

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <chrono>
#include <set>

namespace graft::base {
namespace {

TEST(ParallelFor, VisitsEveryIndexOnceAndReportsTheLowestFailure) {
  std::vector<std::atomic<int>> seen(5000);
  ASSERT_TRUE(parallel_for(seen.size(), 4, [&](std::size_t i) -> Status {
    ++seen[i];
    return ok();
  }));
  for (const auto& count : seen) EXPECT_EQ(count.load(), 1);

  Status failed = parallel_for(5000, 4, [](std::size_t i) -> Status {
    if (i == 0 || i == 4000) return fail(ErrorCode::kIo, "index " + std::to_string(i));
    return ok();
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message(), "index 0");
}

TEST(ParallelForChunks, EachChunkRunsWholeOnOneThreadInOrder) {
  // Chunks of uneven sizes, as directories of a package are.
  const std::vector<std::size_t> begins = {0, 3, 500, 501, 1200, 1900};
  const std::size_t count = 2600;
  std::vector<std::thread::id> owner(count);
  std::vector<std::size_t> order;
  std::mutex mutex;
  ASSERT_TRUE(parallel_for_chunks(count, begins, 4, [&](std::size_t i) -> Status {
    owner[i] = std::this_thread::get_id();
    std::lock_guard lock(mutex);
    order.push_back(i);
    return ok();
  }));
  ASSERT_EQ(order.size(), count);
  for (std::size_t k = 0; k < begins.size(); ++k) {
    const std::size_t end = k + 1 < begins.size() ? begins[k + 1] : count;
    for (std::size_t i = begins[k]; i < end; ++i) {
      EXPECT_EQ(owner[i], owner[begins[k]]) << "index " << i << " left its chunk's thread";
    }
  }
  // Within a chunk, indices come in increasing order.
  std::vector<std::size_t> last(begins.size(), 0);
  for (std::size_t i : order) {
    std::size_t k = 0;
    while (k + 1 < begins.size() && begins[k + 1] <= i) ++k;
    if (i != begins[k]) {
      EXPECT_GT(i, last[k]);
    }
    last[k] = i;
  }
}

TEST(WorkerPool, RunsEverySubmittedJobBeforeWaitReturns) {
  std::atomic<int> done{0};
  std::set<std::thread::id> threads;
  std::mutex mutex;
  {
    WorkerPool pool(3);
    for (int i = 0; i < 200; ++i) {
      pool.submit([&] {
        {
          std::lock_guard lock(mutex);
          threads.insert(std::this_thread::get_id());
        }
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        ++done;
      });
    }
    pool.wait();
    EXPECT_EQ(done.load(), 200);
    pool.wait();  // idempotent
  }
  EXPECT_LE(threads.size(), 3u);
  EXPECT_FALSE(threads.contains(std::this_thread::get_id()));
}

}  // namespace
}  // namespace graft::base
