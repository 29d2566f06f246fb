#include "proxy/upstream.h"

#include <sys/socket.h>

#include <cerrno>
#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

namespace graft::proxy {
namespace {

std::atomic<std::uint64_t> next_upstream_id{1};

Result<boost::asio::ip::tcp::endpoint> resolve(const route::Address& address) {
  boost::system::error_code error;
  auto ip = boost::asio::ip::make_address(address.host, error);
  if (!error) return boost::asio::ip::tcp::endpoint(ip, address.port);
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(address.host, std::to_string(address.port), error);
  if (error || results.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("upstream '{}' does not resolve: {}", address.to_string(),
                            error ? error.message() : "no addresses"));
  }
  return results.begin()->endpoint();
}

std::shared_ptr<Upstream> find_previous(const UpstreamSet* previous, std::string_view variant,
                                        std::string_view label) {
  if (previous == nullptr) return nullptr;
  const auto* list = previous->of(variant);
  if (list == nullptr) return nullptr;
  for (const auto& upstream : *list) {
    if (upstream->label == label) return upstream;
  }
  return nullptr;
}

}  // namespace

bool apply_health_signal(Upstream& upstream, HealthSignal signal,
                         const route::HealthConfig& config) {
  switch (signal) {
    case HealthSignal::kProbeOk: {
      upstream.fail_streak.store(0, std::memory_order_relaxed);
      upstream.passive_fail_streak.store(0, std::memory_order_relaxed);
      std::uint32_t passes = upstream.pass_streak.fetch_add(1, std::memory_order_relaxed) + 1;
      if (passes >= config.passes && !upstream.healthy.load(std::memory_order_relaxed)) {
        return !upstream.healthy.exchange(true);
      }
      return false;
    }
    case HealthSignal::kPassiveOk:
      if (upstream.passive_fail_streak.load(std::memory_order_relaxed) != 0) {
        upstream.passive_fail_streak.store(0, std::memory_order_relaxed);
      }
      return false;
    case HealthSignal::kProbeFailed:
    case HealthSignal::kPassiveFailed: {
      upstream.pass_streak.store(0, std::memory_order_relaxed);
      upstream.failures.fetch_add(1, std::memory_order_relaxed);
      auto& streak = signal == HealthSignal::kProbeFailed ? upstream.fail_streak
                                                          : upstream.passive_fail_streak;
      std::uint32_t fails = streak.fetch_add(1, std::memory_order_relaxed) + 1;
      if (fails >= config.fails && upstream.healthy.load(std::memory_order_relaxed)) {
        return upstream.healthy.exchange(false);
      }
      return false;
    }
  }
  return false;
}

Result<std::shared_ptr<const UpstreamSet>> UpstreamSet::build(const route::RouteConfig& config,
                                                              const UpstreamSet* previous) {
  auto set = std::make_shared<UpstreamSet>();
  for (const route::VariantConfig& variant : config.variants) {
    std::vector<std::shared_ptr<Upstream>> list;
    for (const route::Address& address : variant.upstreams) {
      std::string label = address.to_string();
      std::shared_ptr<Upstream> upstream = find_previous(previous, variant.name, label);
      if (!upstream) {
        GRAFT_ASSIGN_OR_RETURN(auto endpoint, resolve(address));
        upstream = std::make_shared<Upstream>();
        upstream->variant = variant.name;
        upstream->label = label;
        upstream->endpoint = endpoint;
        upstream->id = next_upstream_id.fetch_add(1);
      }
      list.push_back(upstream);
      set->all_.push_back(upstream);
    }
    set->by_variant_.emplace_back(variant.name, std::move(list));
  }
  return std::shared_ptr<const UpstreamSet>(std::move(set));
}

const std::vector<std::shared_ptr<Upstream>>* UpstreamSet::of(std::string_view variant) const {
  for (const auto& [name, list] : by_variant_) {
    if (name == variant) return &list;
  }
  return nullptr;
}

bool UpstreamSet::any_healthy(std::string_view variant) const {
  const auto* list = of(variant);
  if (list == nullptr) return false;
  for (const auto& upstream : *list) {
    if (upstream->healthy.load(std::memory_order_relaxed)) return true;
  }
  return false;
}

IdleCheck check_idle(boost::asio::ip::tcp::socket& socket) {
  char byte;
  ssize_t got = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (got > 0) return IdleCheck::kUnread;
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return IdleCheck::kIdle;
  return IdleCheck::kClosed;
}

bool UpstreamPool::take(const Upstream& upstream, boost::asio::ip::tcp::socket* socket,
                        std::size_t* overruns) {
  auto found = idle_.find(upstream.id);
  if (found == idle_.end()) return false;
  auto& list = found->second;
  while (!list.empty()) {
    boost::asio::ip::tcp::socket candidate = std::move(list.back());
    list.pop_back();
    IdleCheck check = check_idle(candidate);
    if (check == IdleCheck::kIdle) {
      *socket = std::move(candidate);
      return true;
    }
    if (check == IdleCheck::kUnread) ++*overruns;
  }
  return false;
}

void UpstreamPool::give_back(const Upstream& upstream, boost::asio::ip::tcp::socket socket) {
  auto& list = idle_[upstream.id];
  if (list.size() >= kMaxIdlePerUpstream) {
    boost::system::error_code ignored;
    list.front().close(ignored);
    list.erase(list.begin());
  }
  list.push_back(std::move(socket));
}

void UpstreamPool::clear() {
  idle_.clear();
}

std::size_t UpstreamPool::idle_count() const {
  std::size_t count = 0;
  for (const auto& [id, list] : idle_) count += list.size();
  return count;
}

}  // namespace graft::proxy
