// RouteTableHolder: the current RouteTable, swapped atomically by the control plane
// (admin API, experiment controller) while request threads keep reading.
//
// Thread-safety: all members may be called concurrently. Readers never wait on writers
// holding a mutex:
//   - load() is std::atomic<std::shared_ptr>::load. libstdc++ 12 implements it with a
//     one-bit spin lock inside the control-block pointer, held only for the reference
//     count increment (is_lock_free() is false, but there is no mutex and no syscall).
//   - CachedTable::get() is lock-free on the fast path: one atomic 64-bit load of the
//     holder's version; it touches the shared_ptr only after a swap.
// Writers (store, update) serialise among themselves on a mutex so that update() is a
// clean read-modify-write; that mutex is never taken by readers.
// ThreadSanitizer with libstdc++ 12 reports a race inside std::atomic<std::shared_ptr>
// (its pointer-bit lock is invisible to TSan; google/sanitizers#1558): a false positive.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "base/result.h"
#include "route/table.h"

namespace graft::route {

class RouteTableHolder {
 public:
  // `initial` must not be null.
  explicit RouteTableHolder(std::shared_ptr<const RouteTable> initial);
  RouteTableHolder(const RouteTableHolder&) = delete;
  RouteTableHolder& operator=(const RouteTableHolder&) = delete;

  // The current table; the snapshot stays valid as long as the caller holds it.
  [[nodiscard]] std::shared_ptr<const RouteTable> load() const;
  // Bumps with every store/update; readers compare it to skip reloading.
  [[nodiscard]] std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // Replaces the table (must not be null) in one atomic swap.
  void store(std::shared_ptr<const RouteTable> table);

  // Applies `change` to the current table and stores the result, atomically with respect
  // to other writers (no lost updates). Returns the stored table, or change's error (the
  // current table is then left as it was).
  using Change = std::function<Result<RouteTable>(const RouteTable&)>;
  [[nodiscard]] Result<std::shared_ptr<const RouteTable>> update(const Change& change);

 private:
  std::atomic<std::shared_ptr<const RouteTable>> table_;
  std::atomic<std::uint64_t> version_{1};
  std::mutex writer_mutex_;
};

// A per-thread cache of the holder's table: get() returns the cached snapshot while the
// holder's version is unchanged (one atomic load) and reloads after a swap. Not
// thread-safe itself: keep one per worker thread. The holder must outlive it.
class CachedTable {
 public:
  explicit CachedTable(const RouteTableHolder& holder) : holder_(&holder) {}

  // The current table (never null). The reference stays valid until the next get().
  [[nodiscard]] const RouteTable& get();

 private:
  const RouteTableHolder* holder_;
  std::shared_ptr<const RouteTable> table_;
  std::uint64_t version_ = 0;
};

}  // namespace graft::route
