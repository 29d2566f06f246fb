#include "env/parallel.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace graft::env {
namespace {

constexpr std::size_t kChunk = 64;
constexpr std::size_t kInlineBelow = 256;

}  // namespace

unsigned default_file_threads() {
  const unsigned hardware = std::thread::hardware_concurrency();
  return std::clamp(hardware, 2u, 8u);
}

Status parallel_for(std::size_t count, unsigned threads,
                    const std::function<Status(std::size_t)>& work) {
  if (threads == 0) threads = default_file_threads();
  if (count < kInlineBelow || threads == 1) {
    for (std::size_t i = 0; i < count; ++i) GRAFT_RETURN_IF_ERROR(work(i));
    return ok();
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::optional<std::pair<std::size_t, Error>> first_error;
  auto worker = [&] {
    while (!failed.load(std::memory_order_relaxed)) {
      const std::size_t begin = next.fetch_add(kChunk, std::memory_order_relaxed);
      if (begin >= count) return;
      const std::size_t end = std::min(count, begin + kChunk);
      for (std::size_t i = begin; i < end; ++i) {
        if (auto status = work(i); !status) {
          std::lock_guard<std::mutex> lock(mutex);
          if (!first_error || i < first_error->first) first_error.emplace(i, status.error());
          failed.store(true, std::memory_order_relaxed);
          return;
        }
      }
    }
  };
  const unsigned thread_count =
      static_cast<unsigned>(std::min<std::size_t>(threads, (count + kChunk - 1) / kChunk));
  std::vector<std::jthread> pool;
  pool.reserve(thread_count - 1);
  for (unsigned t = 1; t < thread_count; ++t) pool.emplace_back(worker);
  worker();
  pool.clear();  // joins
  if (first_error) return fail(std::move(first_error->second));
  return ok();
}

}  // namespace graft::env
