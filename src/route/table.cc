#include "route/table.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include <fmt/core.h>
#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include "route/checks.h"

namespace graft::route {
namespace {

constexpr std::uint32_t kPercentTotal = 100;

// Normalises weights to bucket shares (see the layout comment in table.h).
std::vector<std::uint32_t> shares_of(const std::vector<Variant>& variants) {
  std::uint64_t total = 0;
  for (const Variant& variant : variants) total += variant.weight;
  std::vector<std::uint32_t> shares(variants.size(), 0);
  std::uint32_t taken = 0;
  for (std::size_t i = 1; i < variants.size(); ++i) {
    shares[i] = static_cast<std::uint32_t>(variants[i].weight * std::uint64_t{kBuckets} / total);
    taken += shares[i];
  }
  std::uint32_t leftover = kBuckets - taken;
  if (variants.front().weight > 0) {
    shares[0] = leftover;
    return shares;
  }
  // Baseline weight 0: the leftover goes to the largest remainders, earliest first.
  std::vector<std::size_t> order(variants.size() - 1);
  std::iota(order.begin(), order.end(), std::size_t{1});
  auto remainder = [&](std::size_t i) {
    return variants[i].weight * std::uint64_t{kBuckets} % total;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainder(a) > remainder(b); });
  for (std::size_t i = 0; i < leftover; ++i) ++shares[order[i]];
  return shares;
}

using BucketOwners = std::array<std::uint8_t, kBuckets>;

// One lane of the layout: buckets [start, end), treatment `up` growing up from start and
// treatment `down` growing down from end (down = 0 when the lane has one treatment).
struct Lane {
  std::uint32_t start = 0;
  std::uint32_t end = 0;
  std::size_t up = 0;
  std::uint32_t up_share = 0;
  std::size_t down = 0;
  std::uint32_t down_share = 0;
};

// Fills one lane; returns the buckets that did not fit, for up and for down. When the
// lane does not fit, the smaller share keeps its whole anchored range.
std::pair<std::uint32_t, std::uint32_t> lay_out_lane(const Lane& lane, BucketOwners* owners) {
  const std::uint32_t size = lane.end - lane.start;
  std::uint32_t up_take = 0;
  std::uint32_t down_take = 0;
  if (lane.down_share < lane.up_share) {
    down_take = std::min(lane.down_share, size);
    up_take = std::min(lane.up_share, size - down_take);
  } else {
    up_take = std::min(lane.up_share, size);
    down_take = std::min(lane.down_share, size - up_take);
  }
  std::fill(owners->begin() + lane.start, owners->begin() + lane.start + up_take,
            static_cast<std::uint8_t>(lane.up));
  std::fill(owners->begin() + lane.end - down_take, owners->begin() + lane.end,
            static_cast<std::uint8_t>(lane.down));
  return {lane.up_share - up_take, lane.down_share - down_take};
}

// Lays the shares out over the buckets (see the layout comment in table.h).
void lay_out(const std::vector<std::uint32_t>& shares, BucketOwners* owners) {
  owners->fill(0);
  const std::size_t treatments = shares.size() - 1;
  const std::size_t lanes = (treatments + 1) / 2;
  std::vector<std::uint32_t> pending(shares.size(), 0);
  for (std::size_t lane = 0; lane < lanes; ++lane) {
    const std::size_t up = 2 * lane + 1;
    const std::size_t down = 2 * lane + 2 <= treatments ? 2 * lane + 2 : 0;
    const auto [up_left, down_left] =
        lay_out_lane({.start = static_cast<std::uint32_t>(lane * kBuckets / lanes),
                      .end = static_cast<std::uint32_t>((lane + 1) * kBuckets / lanes),
                      .up = up,
                      .up_share = shares[up],
                      .down = down,
                      .down_share = down == 0 ? 0 : shares[down]},
                     owners);
    pending[up] = up_left;
    pending[down] += down_left;  // pending[0] (no second treatment) stays 0
  }
  // What did not fit in its lane takes the lowest baseline buckets, in treatment order.
  std::uint32_t bucket = 0;
  for (std::size_t variant = 1; variant < shares.size(); ++variant) {
    for (; pending[variant] > 0; ++bucket) {
      if ((*owners)[bucket] != 0) continue;
      (*owners)[bucket] = static_cast<std::uint8_t>(variant);
      --pending[variant];
    }
  }
}

}  // namespace

std::string_view route_reason_name(RouteReason reason) {
  switch (reason) {
    case RouteReason::kSticky: return "sticky";
    case RouteReason::kRandom: return "random";
    case RouteReason::kOverride: return "override";
  }
  return "unknown";
}

std::string_view override_outcome_name(OverrideOutcome outcome) {
  switch (outcome) {
    case OverrideOutcome::kAbsent: return "absent";
    case OverrideOutcome::kApplied: return "applied";
    case OverrideOutcome::kUnknownVariant: return "unknown_variant";
    case OverrideOutcome::kUnauthorized: return "unauthorized";
    case OverrideOutcome::kDisabled: return "disabled";
  }
  return "unknown";
}

std::string format_user_hash(std::uint64_t key_hash) {
  return fmt::format("{:016x}", key_hash);
}

Result<RouteTable> RouteTable::create(const RouteConfig& config,
                                      std::uint64_t previous_generation) {
  GRAFT_RETURN_IF_ERROR(checks::variant_count(config.variants.size()));
  RouteTable table;
  table.generation_ = previous_generation + 1;
  for (std::size_t i = 0; i < config.variants.size(); ++i) {
    const VariantConfig& variant = config.variants[i];
    GRAFT_RETURN_IF_ERROR(checks::variant_name(variant.name));
    std::vector<VariantConfig> earlier(config.variants.begin(), config.variants.begin() + i);
    GRAFT_RETURN_IF_ERROR(checks::unique_name(variant.name, earlier));
    GRAFT_RETURN_IF_ERROR(checks::has_upstreams(variant));
    table.variants_.push_back(
        {.name = variant.name, .upstreams = variant.upstreams, .weight = variant.weight});
  }
  if (config.mirror) {
    GRAFT_RETURN_IF_ERROR(checks::mirror_percent(config.mirror->percent));
    GRAFT_RETURN_IF_ERROR(checks::mirror_variant(config.mirror->variant, config.variants));
    table.mirror_ = table.find(config.mirror->variant);
    table.mirror_percent_ = config.mirror->percent;
  }
  table.sticky_ = config.sticky;
  table.salt_ = config.salt;
  table.overrides_ = config.overrides;
  GRAFT_RETURN_IF_ERROR(table.rebuild());
  return table;
}

Status RouteTable::rebuild() {
  std::vector<VariantConfig> configs;
  for (const Variant& variant : variants_) {
    GRAFT_RETURN_IF_ERROR(checks::weight(variant.name, variant.weight));
    configs.push_back({.name = variant.name, .weight = variant.weight});
  }
  GRAFT_RETURN_IF_ERROR(checks::weights_not_all_zero(configs));
  std::vector<std::uint32_t> shares = shares_of(variants_);
  for (std::size_t i = 0; i < variants_.size(); ++i) variants_[i].buckets = shares[i];

  lay_out(shares, &bucket_owner_);
  return ok();
}

Result<RouteTable> RouteTable::with_weights(
    const std::map<std::string, std::uint32_t, std::less<>>& weights) const {
  RouteTable next = *this;
  ++next.generation_;
  std::uint64_t old_total = 0;
  for (const Variant& variant : variants_) old_total += variant.weight;
  std::vector<std::string> names;
  for (const Variant& variant : variants_) names.push_back(variant.name);
  for (const auto& [name, weight] : weights) {
    std::optional<std::size_t> index = find(name);
    if (!index) {
      return tl::unexpected(
          checks::unknown_name(fmt::format("unknown variant '{}'", name), name, names));
    }
    GRAFT_RETURN_IF_ERROR(checks::weight(name, weight));
    next.variants_[*index].weight = weight;
  }
  if (!weights.contains(variants_.front().name) && old_total == kPercentTotal) {
    std::uint64_t others = 0;
    for (std::size_t i = 1; i < next.variants_.size(); ++i) others += next.variants_[i].weight;
    if (others > kPercentTotal) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("the treatments' weights add up to {}, more than 100: set the "
                              "baseline too, e.g. '{}=0'",
                              others, variants_.front().name));
    }
    next.variants_.front().weight = static_cast<std::uint32_t>(kPercentTotal - others);
  }
  GRAFT_RETURN_IF_ERROR(next.rebuild());
  return next;
}

Result<RouteTable> RouteTable::with_percentages(
    const std::map<std::string, std::uint32_t, std::less<>>& percentages) const {
  std::uint64_t total = 0;
  for (const auto& [name, percent] : percentages) total += percent;
  for (const Variant& variant : variants_) {
    if (!percentages.contains(variant.name)) {
      return fail(
          ErrorCode::kInvalidArgument,
          fmt::format("no share given for variant '{}': give every variant's share", variant.name));
    }
  }
  if (total != kPercentTotal) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the shares add up to {}%, not 100%", total));
  }
  return with_weights(percentages);
}

RouteTable RouteTable::rolled_back() const {
  RouteTable next = *this;
  ++next.generation_;
  for (Variant& variant : next.variants_) variant.weight = 0;
  next.variants_.front().weight = kPercentTotal;
  // Cannot fail: one positive weight below kMaxWeight.
  (void)next.rebuild();
  return next;
}

std::uint64_t RouteTable::key_hash(std::string_view sticky_key) const {
  char buffer[512];
  const std::size_t length = salt_.size() + 1 + sticky_key.size();
  if (length <= sizeof(buffer)) {
    std::memcpy(buffer, salt_.data(), salt_.size());
    buffer[salt_.size()] = ':';
    std::memcpy(buffer + salt_.size() + 1, sticky_key.data(), sticky_key.size());
    return XXH3_64bits(buffer, length);
  }
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, salt_.data(), salt_.size());
  XXH3_64bits_update(&state, ":", 1);
  XXH3_64bits_update(&state, sticky_key.data(), sticky_key.size());
  return XXH3_64bits_digest(&state);
}

std::size_t RouteTable::pick(const RouteRequest& request, RouteDecision* decision) const {
  if (sticky_.source != StickySource::kNone && request.sticky_key && !request.sticky_key->empty()) {
    decision->key_hash = key_hash(*request.sticky_key);
    decision->bucket = bucket_of_hash(*decision->key_hash);
    decision->reason = RouteReason::kSticky;
  } else {
    decision->bucket = static_cast<std::uint32_t>((request.random & 0xffff'ffff) % kBuckets);
    decision->reason = RouteReason::kRandom;
  }
  return bucket_owner_[decision->bucket];
}

RouteDecision RouteTable::route(const RouteRequest& request) const {
  RouteDecision decision;
  decision.variant = pick(request, &decision);
  if (request.override_value) {
    if (!overrides_.enabled) {
      decision.override_outcome = OverrideOutcome::kDisabled;
    } else if (overrides_.require_token && !request.override_token_valid) {
      decision.override_outcome = OverrideOutcome::kUnauthorized;
    } else if (std::optional<std::size_t> named = find(*request.override_value)) {
      decision.variant = *named;
      decision.reason = RouteReason::kOverride;
      decision.override_outcome = OverrideOutcome::kApplied;
    } else {
      decision.override_outcome = OverrideOutcome::kUnknownVariant;
    }
  }
  // Mirror sampling uses the high 32 bits of `random`; the low 32 bits picked the bucket.
  if (mirror_ && *mirror_ != decision.variant &&
      (request.random >> 32) % kBuckets < mirror_percent_ * (kBuckets / 100)) {
    decision.mirror = mirror_;
  }
  return decision;
}

std::vector<BucketRange> RouteTable::ranges_of(std::size_t variant) const {
  std::vector<BucketRange> ranges;
  for (std::uint32_t bucket = 0; bucket < kBuckets; ++bucket) {
    if (bucket_owner_[bucket] != variant) continue;
    if (!ranges.empty() && ranges.back().end == bucket) {
      ranges.back().end = bucket + 1;
    } else {
      ranges.push_back({bucket, bucket + 1});
    }
  }
  return ranges;
}

std::optional<std::size_t> RouteTable::find(std::string_view name) const {
  for (std::size_t i = 0; i < variants_.size(); ++i) {
    if (variants_[i].name == name) return i;
  }
  return std::nullopt;
}

}  // namespace graft::route
