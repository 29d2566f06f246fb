#include "proxy/token_cache.h"

#include <algorithm>

namespace graft::proxy {

TokenCache::TokenCache(std::size_t capacity)
    : shard_capacity_(std::max<std::size_t>(1, capacity / 16)) {}

TokenCache::Shard& TokenCache::shard_of(std::string_view token) {
  std::size_t hash = std::hash<std::string_view>{}(token);
  return shards_[(hash >> 32 ^ hash >> 8) % shards_.size()];
}

std::optional<Identity> TokenCache::find(std::string_view token, Time now) {
  Shard& shard = shard_of(token);
  std::lock_guard lock(shard.mutex);
  auto found = shard.entries.find(token);
  if (found == shard.entries.end()) return std::nullopt;
  const Entry& entry = found->second;
  if (now < entry.valid_from || now > entry.valid_until) return std::nullopt;
  return entry.identity;
}

void TokenCache::insert(std::string_view token, const Identity& identity, Time valid_from,
                        Time valid_until) {
  Shard& shard = shard_of(token);
  std::lock_guard lock(shard.mutex);
  if (shard.entries.size() >= shard_capacity_) shard.entries.clear();
  shard.entries.insert_or_assign(std::string(token), Entry{identity, valid_from, valid_until});
}

}  // namespace graft::proxy
