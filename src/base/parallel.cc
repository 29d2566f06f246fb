#include "base/parallel.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace graft::base {
namespace {

constexpr std::size_t kChunk = 64;
constexpr std::size_t kInlineBelow = 256;

}  // namespace

WorkerPool::WorkerPool(std::size_t threads) {
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

void WorkerPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void WorkerPool::wait() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

void WorkerPool::work() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return closed_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

unsigned default_file_threads() {
  const unsigned hardware = std::thread::hardware_concurrency();
  return std::clamp(hardware, 2u, 8u);
}

Status parallel_for_each_chunk(std::size_t count, const std::vector<std::size_t>& chunk_begins,
                               unsigned threads,
                               const std::function<Status(std::size_t, std::size_t)>& work) {
  if (threads == 0) threads = default_file_threads();
  const auto chunk_end = [&](std::size_t chunk) {
    return chunk + 1 < chunk_begins.size() ? chunk_begins[chunk + 1] : count;
  };
  if (chunk_begins.empty()) return count == 0 ? ok() : work(0, count);
  if (count < kInlineBelow || threads == 1 || chunk_begins.size() < 2) {
    for (std::size_t chunk = 0; chunk < chunk_begins.size(); ++chunk) {
      GRAFT_RETURN_IF_ERROR(work(chunk_begins[chunk], chunk_end(chunk)));
    }
    return ok();
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::optional<std::pair<std::size_t, Error>> first_error;
  auto worker = [&] {
    while (!failed.load(std::memory_order_relaxed)) {
      const std::size_t chunk = next.fetch_add(1, std::memory_order_relaxed);
      if (chunk >= chunk_begins.size()) return;
      if (auto status = work(chunk_begins[chunk], chunk_end(chunk)); !status) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!first_error || chunk < first_error->first) first_error.emplace(chunk, status.error());
        failed.store(true, std::memory_order_relaxed);
        return;
      }
    }
  };
  const unsigned thread_count =
      static_cast<unsigned>(std::min<std::size_t>(threads, chunk_begins.size()));
  WorkerPool pool(thread_count - 1);
  for (unsigned t = 1; t < thread_count; ++t) pool.submit(worker);
  worker();
  pool.wait();
  if (first_error) return fail(std::move(first_error->second));
  return ok();
}

Status parallel_for_chunks(std::size_t count, const std::vector<std::size_t>& chunk_begins,
                           unsigned threads, const std::function<Status(std::size_t)>& work) {
  return parallel_for_each_chunk(count, chunk_begins, threads,
                                 [&](std::size_t begin, std::size_t end) -> Status {
                                   for (std::size_t i = begin; i < end; ++i) {
                                     GRAFT_RETURN_IF_ERROR(work(i));
                                   }
                                   return ok();
                                 });
}

Status parallel_for(std::size_t count, unsigned threads,
                    const std::function<Status(std::size_t)>& work) {
  std::vector<std::size_t> chunk_begins;
  for (std::size_t begin = 0; begin < count; begin += kChunk) chunk_begins.push_back(begin);
  return parallel_for_chunks(count, chunk_begins, threads, work);
}

}  // namespace graft::base
