#include "route/holder.h"

#include <utility>

namespace graft::route {

RouteTableHolder::RouteTableHolder(std::shared_ptr<const RouteTable> initial)
    : table_(std::move(initial)) {}

std::shared_ptr<const RouteTable> RouteTableHolder::load() const {
  return table_.load(std::memory_order_acquire);
}

void RouteTableHolder::store(std::shared_ptr<const RouteTable> table) {
  std::lock_guard<std::mutex> lock(writer_mutex_);
  table_.store(std::move(table), std::memory_order_release);
  // After the table: a reader that sees the new version also sees the new table.
  version_.fetch_add(1, std::memory_order_acq_rel);
}

Result<std::shared_ptr<const RouteTable>> RouteTableHolder::update(const Change& change) {
  std::lock_guard<std::mutex> lock(writer_mutex_);
  std::shared_ptr<const RouteTable> current = table_.load(std::memory_order_acquire);
  GRAFT_ASSIGN_OR_RETURN(RouteTable next, change(*current));
  auto stored = std::make_shared<const RouteTable>(std::move(next));
  table_.store(stored, std::memory_order_release);
  version_.fetch_add(1, std::memory_order_acq_rel);
  return stored;
}

const RouteTable& CachedTable::get() {
  const std::uint64_t version = holder_->version();
  if (!table_ || version != version_) {
    // Version first: if a swap lands in between, the next get() reloads once more.
    table_ = holder_->load();
    version_ = version;
  }
  return *table_;
}

}  // namespace graft::route
