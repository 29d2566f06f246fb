// graft's one thread pool: WorkerPool, a fixed set of threads running submitted jobs (the
// package cache's extractions as downloads finish), and the fork-join helpers built on it
// for per-item work (linking, hashing, reading packages): N threads pulling indices from an
// atomic counter in chunks.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "base/result.h"

namespace graft::base {

// A fixed set of threads running submitted jobs in submission order; wait() (and the
// destructor) lets every submitted job finish and joins the threads.
// Thread-safety: submit() may be called from any thread, also from a job.
class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads);
  ~WorkerPool() { wait(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(std::function<void()> job);
  // No more jobs: runs what is queued, then joins the threads. Idempotent.
  void wait();

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool closed_ = false;
  std::vector<std::thread> workers_;
};

// Threads used for file work when the caller passes 0: enough to keep the disk busy on a
// small machine (hardware threads, at least 2, at most 8).
[[nodiscard]] unsigned default_file_threads();

// Calls `work(i)` for every i in [0, count), on up to `threads` threads (0: the default;
// small counts run inline). After the first failure no new indices are handed out; the
// error returned is the one of the lowest failing index seen. `work` must be safe to call
// concurrently for different indices.
[[nodiscard]] Status parallel_for(std::size_t count, unsigned threads,
                                  const std::function<Status(std::size_t)>& work);

// As parallel_for, but each thread takes whole chunks [chunk_begins[k], chunk_begins[k+1])
// (the last ends at `count`; chunk_begins starts with 0 and rises): for work whose indices
// of one chunk would contend if run at once, such as files of one directory (creating a
// name locks the directory).
[[nodiscard]] Status parallel_for_chunks(std::size_t count,
                                         const std::vector<std::size_t>& chunk_begins,
                                         unsigned threads,
                                         const std::function<Status(std::size_t)>& work);

// As parallel_for_chunks, but `work(begin, end)` takes a whole chunk [begin, end) at once
// (so it can keep what the chunk's indices share, such as an open directory); the error
// returned is the one of the lowest failing chunk seen.
[[nodiscard]] Status parallel_for_each_chunk(
    std::size_t count, const std::vector<std::size_t>& chunk_begins, unsigned threads,
    const std::function<Status(std::size_t, std::size_t)>& work);

}  // namespace graft::base
