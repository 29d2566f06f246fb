// Server's control-plane members: reload, weight changes, rollback, status and metrics.
// They run on whatever thread calls them (admin thread, signal handler thread, tests) and
// only swap immutable snapshots, so the request path never waits on them.
#include <algorithm>

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "proxy/server_state.h"
#include "route/table.h"

namespace graft::proxy {

namespace {

void warn_fixed_settings(const route::RouteConfig& running, const route::RouteConfig& fresh) {
  if (running.listen != fresh.listen || running.admin != fresh.admin) {
    spdlog::warn("reload: listen and admin addresses apply after a restart only");
  }
  if (running.limits != fresh.limits || running.timeouts != fresh.timeouts ||
      running.health != fresh.health || running.access_log != fresh.access_log ||
      running.token_file != fresh.token_file || running.auth != fresh.auth ||
      running.rate_limit != fresh.rate_limit) {
    spdlog::warn(
        "reload: limits, timeouts, health, access_log, token_file, auth and rate_limit "
        "apply after a restart only");
  }
}

}  // namespace

Status Server::reload() {
  State& state = *state_;
  if (state.options.config_path.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "cannot reload: the proxy was not started from a file");
  }
  std::lock_guard lock(state.reload_mutex);
  auto started = std::chrono::steady_clock::now();
  GRAFT_ASSIGN_OR_RETURN(std::string text, base::read_file(state.options.config_path));
  GRAFT_ASSIGN_OR_RETURN(route::RouteConfig config,
                         route::parse_route_config(text, state.options.config_path.string()));
  GRAFT_RETURN_IF_ERROR(route::RouteTable::create(config));  // validate before any change
  GRAFT_ASSIGN_OR_RETURN(auto upstreams, UpstreamSet::build(config, state.upstreams.load().get()));
  warn_fixed_settings(state.options.config, config);
  for (const auto& upstream : upstreams->all()) {
    state.metrics.set_upstream_healthy(upstream->variant, upstream->label,
                                       upstream->healthy.load());
  }
  state.upstreams.store(std::move(upstreams));
  state.upstreams_version.fetch_add(1, std::memory_order_acq_rel);
  state.variants = config.variants;
  // The new table follows the one in force, whatever weight changes came meanwhile: the
  // generation only grows.
  auto stored = state.holder.update([&](const route::RouteTable& current) {
    return route::RouteTable::create(config, current.generation());
  });
  if (!stored) return fail(std::move(stored).error());
  state.metrics.set_route_generation((*stored)->generation());
  spdlog::info("reloaded '{}' in {:.2f} ms", state.options.config_path.string(),
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                   .count());
  return ok();
}

Status Server::set_upstreams(std::string_view variant, std::vector<route::Address> upstreams) {
  State& state = *state_;
  std::lock_guard lock(state.reload_mutex);
  route::RouteConfig config = state.options.config;
  config.variants = state.variants;
  auto it = std::find_if(config.variants.begin(), config.variants.end(),
                         [&](const route::VariantConfig& v) { return v.name == variant; });
  if (it == config.variants.end()) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("unknown variant '{}'", variant));
  }
  if (upstreams.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("variant '{}' needs at least one upstream", variant));
  }
  it->upstreams = std::move(upstreams);
  GRAFT_ASSIGN_OR_RETURN(auto set, UpstreamSet::build(config, state.upstreams.load().get()));
  for (const auto& upstream : set->all()) {
    state.metrics.set_upstream_healthy(upstream->variant, upstream->label,
                                       upstream->healthy.load());
  }
  state.upstreams.store(std::move(set));
  state.upstreams_version.fetch_add(1, std::memory_order_acq_rel);
  spdlog::info("variant '{}' now served by {} upstream(s)", variant, it->upstreams.size());
  state.variants = std::move(config.variants);
  return ok();
}

Status Server::set_weights(const std::map<std::string, std::uint32_t, std::less<>>& weights) {
  auto stored = state_->holder.update(
      [&](const route::RouteTable& table) { return table.with_weights(weights); });
  if (!stored) return fail(std::move(stored).error());
  state_->metrics.set_route_generation((*stored)->generation());
  return ok();
}

Status Server::set_percentages(
    const std::map<std::string, std::uint32_t, std::less<>>& percentages) {
  auto stored = state_->holder.update(
      [&](const route::RouteTable& table) { return table.with_percentages(percentages); });
  if (!stored) return fail(std::move(stored).error());
  state_->metrics.set_route_generation((*stored)->generation());
  return ok();
}

void Server::rollback() {
  auto stored =
      state_->holder.update([](const route::RouteTable& table) -> Result<route::RouteTable> {
        return table.rolled_back();
      });
  if (stored) {
    state_->metrics.set_route_generation((*stored)->generation());
    spdlog::warn("rollback: all traffic goes to the baseline '{}'",
                 (*stored)->variants().front().name);
  }
}

void Server::reopen_access_log() {
  if (state_->access_log) state_->access_log->reopen();
}

std::string Server::status_json() const {
  const State& state = *state_;
  auto table = state.holder.load();
  auto upstreams = state.upstreams.load();
  nlohmann::json variants = nlohmann::json::array();
  for (const route::Variant& variant : table->variants()) {
    nlohmann::json list = nlohmann::json::array();
    if (const auto* of = upstreams->of(variant.name)) {
      for (const auto& upstream : *of) {
        list.push_back({{"address", upstream->label},
                        {"healthy", upstream->healthy.load()},
                        {"requests", upstream->requests.load()},
                        {"failures", upstream->failures.load()}});
      }
    }
    variants.push_back({{"name", variant.name},
                        {"weight", variant.weight},
                        {"share_percent", variant.buckets / 100.0},
                        {"healthy", upstreams->any_healthy(variant.name)},
                        {"upstreams", std::move(list)}});
  }
  nlohmann::json mirror = nullptr;
  if (auto index = table->mirror_variant()) {
    mirror = {{"variant", table->variants()[*index].name}, {"percent", table->mirror_percent()}};
  }
  Totals totals = state.metrics.totals();
  nlohmann::json workers = nlohmann::json::array();
  for (const WorkerFigures& figures : state.metrics.workers()) {
    workers.push_back({{"connections", figures.connections}, {"requests", figures.requests}});
  }
  nlohmann::json status = {
      {"generation", table->generation()},
      {"baseline", table->variants().front().name},
      {"variants", std::move(variants)},
      {"mirror", std::move(mirror)},
      {"counters",
       {{"requests", totals.requests},
        {"connections", state.connections.load()},
        {"failovers", totals.failovers},
        {"retries", totals.retries},
        {"mirror_sent", totals.mirror_sent},
        {"mirror_dropped", totals.mirror_dropped},
        {"upstream_overruns", totals.upstream_overruns},
        {"idle_closed", totals.idle_closed},
        {"access_log_dropped", state.access_log ? state.access_log->dropped() : 0}}},
      {"workers", std::move(workers)}};
  return status.dump();
}

std::vector<VariantSnapshot> Server::variant_snapshots() const {
  return state_->metrics.snapshot();
}

std::string Server::metrics_text() const {
  if (state_->access_log) state_->metrics.set_access_log_dropped(state_->access_log->dropped());
  std::string text = state_->metrics.serialize();
  if (state_->guard) text += state_->guard->metrics_text();
  return text;
}

}  // namespace graft::proxy
