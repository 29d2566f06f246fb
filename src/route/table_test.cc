#include "route/table.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/hash.h"

namespace graft::route {
namespace {

using Weights = std::vector<std::pair<std::string, std::uint32_t>>;

RouteConfig make_config(const Weights& weights, StickySource sticky = StickySource::kHeader) {
  RouteConfig config;
  config.listen = {.host = "127.0.0.1", .port = 8080};
  config.sticky = {.source = sticky, .name = sticky == StickySource::kNone ? "" : "X-User-Id"};
  config.salt = "ctr-v3";
  std::uint16_t port = 9001;
  for (const auto& [name, weight] : weights) {
    config.variants.push_back(
        {.name = name, .upstreams = {{.host = "127.0.0.1", .port = port++}}, .weight = weight});
  }
  return config;
}

RouteTable make_table(const Weights& weights, StickySource sticky = StickySource::kHeader) {
  Result<RouteTable> table = RouteTable::create(make_config(weights, sticky));
  EXPECT_TRUE(table) << table.error().message();
  return std::move(table).value();
}

std::string user(int i) {
  return "user-" + std::to_string(i);
}

std::size_t route_user(const RouteTable& table, const std::string& key) {
  return table.route({.sticky_key = key}).variant;
}

// Variant index of users 0..count-1.
std::vector<std::size_t> assign(const RouteTable& table, int count) {
  std::vector<std::size_t> result;
  for (int i = 0; i < count; ++i) result.push_back(route_user(table, user(i)));
  return result;
}

TEST(RouteTable, NinetyTenSplitOf100kKeysWithinHalfAPoint) {
  RouteTable table = make_table({{"baseline", 90}, {"treatment", 10}});
  std::vector<std::size_t> variants = assign(table, 100'000);
  double treatment = static_cast<double>(std::count(variants.begin(), variants.end(), 1));
  EXPECT_NEAR(treatment / 1000.0, 10.0, 0.5);
  EXPECT_EQ(table.variants()[0].buckets, 9000u);
  EXPECT_EQ(table.variants()[1].buckets, 1000u);
}

TEST(RouteTable, SameKeyAlwaysSameVariantAndHashInputIsSaltColonKey) {
  RouteTable table = make_table({{"baseline", 50}, {"treatment", 50}});
  for (int i = 0; i < 1000; ++i) {
    std::uint64_t random = static_cast<std::uint64_t>(i) * 0x9e3779b97f4a7c15ULL;
    RouteDecision first = table.route({.sticky_key = user(i), .random = random});
    RouteDecision again = table.route({.sticky_key = user(i), .random = ~random});
    EXPECT_EQ(first.variant, again.variant);
    EXPECT_EQ(first.reason, RouteReason::kSticky);
    ASSERT_TRUE(first.key_hash);
    EXPECT_EQ(*first.key_hash, base::xxh3_64("ctr-v3:" + user(i)));
    EXPECT_EQ(first.bucket, *first.key_hash % kBuckets);
  }
}

TEST(RouteTable, LongKeysHashLikeShortOnes) {
  RouteTable table = make_table({{"baseline", 50}, {"treatment", 50}});
  const std::string long_key(2000, 'k');
  EXPECT_EQ(table.key_hash(long_key), base::xxh3_64("ctr-v3:" + long_key));
}

TEST(RouteTable, NewSaltReshufflesUsers) {
  RouteConfig config = make_config({{"baseline", 50}, {"treatment", 50}});
  RouteTable first = *RouteTable::create(config);
  config.salt = "ctr-v4";
  RouteTable second = *RouteTable::create(config);
  int moved = 0;
  for (int i = 0; i < 10'000; ++i)
    moved += route_user(first, user(i)) != route_user(second, user(i));
  EXPECT_NEAR(moved / 100.0, 50.0, 3.0);
}

TEST(RouteTable, RaisingTreatmentOnlyMovesBaselineUsers) {
  RouteTable table = make_table({{"baseline", 90}, {"treatment", 10}});
  std::vector<std::size_t> before = assign(table, 20'000);
  for (std::uint32_t weight : {20u, 50u, 100u}) {
    Result<RouteTable> next = table.with_weights({{"treatment", weight}});
    ASSERT_TRUE(next) << next.error().message();
    EXPECT_EQ(next->variants()[0].weight, 100 - weight) << "baseline absorbs the change";
    std::vector<std::size_t> after = assign(*next, 20'000);
    int gained = 0;
    for (std::size_t i = 0; i < before.size(); ++i) {
      if (before[i] == 1) {
        EXPECT_EQ(after[i], 1u) << "user " << i << " left the treatment";
      }
      gained += before[i] == 0 && after[i] == 1;
    }
    EXPECT_GT(gained, 0);
    before = after;
    table = std::move(next).value();
  }
}

TEST(RouteTable, RaisingOneTreatmentNeverMovesUsersOfAnother) {
  RouteTable table = make_table({{"baseline", 80}, {"a", 10}, {"b", 10}});
  std::vector<std::size_t> before = assign(table, 20'000);
  // Total kept at 100, then relative weights that do not add up to 100.
  for (const auto& weights : std::vector<std::map<std::string, std::uint32_t, std::less<>>>{
           {{"a", 20}}, {{"a", 50}}, {{"a", 70}, {"baseline", 20}}, {{"a", 90}}}) {
    RouteTable next = *table.with_weights(weights);
    std::vector<std::size_t> after = assign(next, 20'000);
    for (std::size_t i = 0; i < before.size(); ++i) {
      if (before[i] == 1) {
        EXPECT_EQ(after[i], 1u) << "user " << i << " left 'a' as it grew";
      }
      if (after[i] == 2) {
        EXPECT_EQ(before[i], 2u) << "user " << i << " entered 'b'";
      }
      if (before[i] == 2 && after[i] != 2) {
        EXPECT_EQ(after[i], 0u) << "'b' gives back to the baseline only";
      }
    }
    before = after;
    table = std::move(next);
  }
}

TEST(RouteTable, LayoutGolden) {
  using Ranges = std::vector<BucketRange>;
  struct Case {
    Weights weights;
    std::vector<Ranges> ranges;  // per variant, baseline first
  };
  const Case cases[] = {
      {{{"baseline", 90}, {"t", 10}}, {{{1000, 10000}}, {{0, 1000}}}},
      {{{"baseline", 100}, {"t", 0}}, {{{0, 10000}}, {}}},
      {{{"baseline", 0}, {"t", 7}}, {{}, {{0, 10000}}}},
      {{{"baseline", 80}, {"a", 15}, {"b", 5}}, {{{1500, 9500}}, {{0, 1500}}, {{9500, 10000}}}},
      // Relative weights: 1 + 1 + 2 = 4 -> 2500 / 2500 / 5000 buckets.
      {{{"baseline", 1}, {"a", 1}, {"b", 2}}, {{{2500, 5000}}, {{0, 2500}}, {{5000, 10000}}}},
      // Three treatments: lane [0, 5000) holds a (up) and b (down), [5000, 10000) holds c.
      {{{"baseline", 70}, {"a", 10}, {"b", 10}, {"c", 10}},
       {{{1000, 4000}, {6000, 10000}}, {{0, 1000}}, {{4000, 5000}}, {{5000, 6000}}}},
      // Lane overflow: b (smaller) keeps its anchor, a fills the lane and takes the lowest
      // baseline buckets left for its remaining 1500.
      {{{"baseline", 30}, {"a", 60}, {"b", 5}, {"c", 5}},
       {{{7000, 10000}}, {{0, 4500}, {5500, 7000}}, {{4500, 5000}}, {{5000, 5500}}}},
      // Baseline weight 0: the rounding leftover goes to a treatment, not the baseline.
      {{{"baseline", 0}, {"a", 1}, {"b", 1}, {"c", 1}},
       {{}, {{0, 1667}, {8333, 10000}}, {{1667, 5000}}, {{5000, 8333}}}},
  };
  for (const Case& c : cases) {
    RouteTable table = make_table(c.weights);
    std::uint32_t total = 0;
    for (std::size_t i = 0; i < c.ranges.size(); ++i) {
      SCOPED_TRACE(c.weights[1].first + " case, variant " + std::to_string(i));
      EXPECT_EQ(table.ranges_of(i), c.ranges[i]);
      for (const BucketRange& range : table.ranges_of(i)) {
        EXPECT_EQ(table.variant_of_bucket(range.begin), i);
      }
      total += table.variants()[i].buckets;
    }
    EXPECT_EQ(total, kBuckets);
  }
}

TEST(RouteTable, SharesMatchRelativeWeights) {
  RouteTable table = make_table({{"baseline", 3}, {"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}});
  const std::uint32_t expected[] = {4288, 1428, 1428, 1428, 1428};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(table.variants()[i].buckets, expected[i]);
    std::uint32_t owned = 0;
    for (const BucketRange& range : table.ranges_of(i)) owned += range.end - range.begin;
    EXPECT_EQ(owned, expected[i]);
  }
}

TEST(RouteTable, NoStickyKeyDrawsFromTheRandomValue) {
  RouteTable table = make_table({{"baseline", 75}, {"treatment", 25}}, StickySource::kNone);
  std::mt19937_64 rng(42);
  int treatment = 0;
  for (int i = 0; i < 100'000; ++i) {
    RouteDecision decision = table.route({.sticky_key = "ignored", .random = rng()});
    EXPECT_EQ(decision.reason, RouteReason::kRandom);
    EXPECT_FALSE(decision.key_hash);
    treatment += decision.variant == 1;
  }
  EXPECT_NEAR(treatment / 1000.0, 25.0, 0.5);
  // The low 32 bits pick the bucket: 2499 is the last treatment bucket, 2500 the first
  // baseline one (treatment grows up from 0).
  EXPECT_EQ(table.route({.random = 2499}).variant, 1u);
  EXPECT_EQ(table.route({.random = 2500}).variant, 0u);
  EXPECT_EQ(table.route({.random = (7ULL << 32) + 2499}).bucket, 2499u);
}

TEST(RouteTable, MissingOrEmptyStickyKeyFallsBackToRandomDraw) {
  RouteTable table = make_table({{"baseline", 50}, {"treatment", 50}});
  EXPECT_EQ(table.route({.random = 1}).reason, RouteReason::kRandom);
  EXPECT_EQ(table.route({.sticky_key = "", .random = 1}).reason, RouteReason::kRandom);
  EXPECT_EQ(table.route({.sticky_key = "u", .random = 1}).reason, RouteReason::kSticky);
}

TEST(RouteTable, Overrides) {
  RouteConfig config = make_config({{"baseline", 100}, {"treatment", 0}, {"shadow", 0}});
  struct Case {
    bool enabled;
    bool require_token;
    std::optional<std::string_view> value;
    bool token_valid;
    std::size_t variant;
    RouteReason reason;
    OverrideOutcome outcome;
  };
  const Case cases[] = {
      {true, false, std::nullopt, false, 0, RouteReason::kSticky, OverrideOutcome::kAbsent},
      {true, false, "treatment", false, 1, RouteReason::kOverride, OverrideOutcome::kApplied},
      {true, false, "shadow", false, 2, RouteReason::kOverride, OverrideOutcome::kApplied},
      {true, false, "treatmnt", false, 0, RouteReason::kSticky, OverrideOutcome::kUnknownVariant},
      {true, false, "", false, 0, RouteReason::kSticky, OverrideOutcome::kUnknownVariant},
      {true, true, "treatment", false, 0, RouteReason::kSticky, OverrideOutcome::kUnauthorized},
      {true, true, "treatment", true, 1, RouteReason::kOverride, OverrideOutcome::kApplied},
      {false, false, "treatment", true, 0, RouteReason::kSticky, OverrideOutcome::kDisabled},
  };
  for (const Case& c : cases) {
    config.overrides = {
        .header = "X-Graft-Variant", .enabled = c.enabled, .require_token = c.require_token};
    RouteTable table = *RouteTable::create(config);
    RouteDecision decision = table.route(
        {.sticky_key = "user-1", .override_value = c.value, .override_token_valid = c.token_valid});
    SCOPED_TRACE(std::string(c.value.value_or("(none)")));
    EXPECT_EQ(decision.variant, c.variant);
    EXPECT_EQ(decision.reason, c.reason);
    EXPECT_EQ(decision.override_outcome, c.outcome);
    EXPECT_TRUE(decision.key_hash) << "the user hash is logged even under an override";
  }
}

TEST(RouteTable, MirrorSamplingRateWithinTolerance) {
  RouteConfig config = make_config({{"baseline", 90}, {"treatment", 10}, {"shadow", 0}});
  for (std::uint32_t percent : {0u, 10u, 37u, 100u}) {
    config.mirror = MirrorConfig{.variant = "shadow", .percent = percent};
    RouteTable table = *RouteTable::create(config);
    std::mt19937_64 rng(percent);
    int mirrored = 0;
    for (int i = 0; i < 100'000; ++i) {
      RouteDecision decision = table.route({.sticky_key = user(i), .random = rng()});
      if (decision.mirror) {
        EXPECT_EQ(*decision.mirror, 2u);
        ++mirrored;
      }
    }
    EXPECT_NEAR(mirrored / 1000.0, percent, 0.5) << percent << "%";
  }
}

TEST(RouteTable, NoMirrorCopyOfRequestsAlreadyGoingToTheMirror) {
  RouteConfig config = make_config({{"baseline", 100}, {"shadow", 0}});
  config.mirror = MirrorConfig{.variant = "shadow", .percent = 100};
  RouteTable table = *RouteTable::create(config);
  EXPECT_TRUE(table.route({.sticky_key = "u"}).mirror);
  EXPECT_FALSE(table.route({.sticky_key = "u", .override_value = "shadow"}).mirror);
}

TEST(RouteTable, RollbackSendsEverythingToTheBaseline) {
  RouteConfig config = make_config({{"baseline", 50}, {"a", 30}, {"b", 20}, {"shadow", 0}});
  config.mirror = MirrorConfig{.variant = "shadow", .percent = 5};
  RouteTable table = *RouteTable::create(config);
  RouteTable rolled = table.rolled_back();
  EXPECT_EQ(rolled.generation(), table.generation() + 1);
  EXPECT_EQ(rolled.variants()[0].weight, 100u);
  EXPECT_EQ(rolled.variants()[0].buckets, kBuckets);
  for (std::size_t i = 1; i < 4; ++i) EXPECT_EQ(rolled.variants()[i].weight, 0u);
  for (int i = 0; i < 10'000; ++i) EXPECT_EQ(route_user(rolled, user(i)), 0u);
  EXPECT_EQ(rolled.mirror_variant(), table.mirror_variant());
  EXPECT_EQ(rolled.mirror_percent(), 5u);
  EXPECT_EQ(table.variants()[1].weight, 30u) << "the old snapshot is untouched";
}

TEST(RouteTable, WithWeightsErrors) {
  RouteTable table = make_table({{"baseline", 90}, {"treatment", 10}});
  using Map = std::map<std::string, std::uint32_t, std::less<>>;
  const std::pair<Map, std::string> cases[] = {
      {{{"treatmnt", 20}}, "unknown variant 'treatmnt', did you mean 'treatment'?"},
      {{{"zzz", 20}}, "unknown variant 'zzz': the variants are 'baseline', 'treatment'"},
      {{{"baseline", 0}, {"treatment", 0}},
       "all weights are 0: give at least one variant a positive weight"},
      {{{"treatment", 2'000'000}}, "weight of 'treatment' must be at most 1000000, got 2000000"},
      {{{"treatment", 120}},
       "the treatments' weights add up to 120, more than 100: set the baseline too, e.g. "
       "'baseline=0'"},
  };
  for (const auto& [weights, message] : cases) {
    Result<RouteTable> next = table.with_weights(weights);
    ASSERT_FALSE(next) << message;
    EXPECT_EQ(next.error().message(), message);
    EXPECT_EQ(next.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(RouteTable, WithWeightsKeepsUnnamedWeightsWhenTotalIsNot100) {
  RouteTable table = make_table({{"baseline", 3}, {"treatment", 1}});
  RouteTable next = *table.with_weights({{"treatment", 3}});
  EXPECT_EQ(next.variants()[0].weight, 3u);
  EXPECT_EQ(next.variants()[1].buckets, 5000u);
  RouteTable explicit_baseline = *table.with_weights({{"baseline", 0}, {"treatment", 1}});
  EXPECT_EQ(explicit_baseline.variants()[1].buckets, kBuckets);
}

TEST(RouteTable, PercentagesMeanPercentWhateverTheCurrentWeights) {
  RouteTable table = make_table({{"baseline", 3}, {"treatment", 1}});
  RouteTable next = *table.with_percentages({{"baseline", 90}, {"treatment", 10}});
  EXPECT_EQ(next.variants()[0].weight, 90u);
  EXPECT_EQ(next.variants()[1].buckets, kBuckets / 10);
  EXPECT_EQ(next.generation(), table.generation() + 1);
  auto missing = table.with_percentages({{"treatment", 10}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "no share given for variant 'baseline': give every variant's share");
  auto wrong_total = table.with_percentages({{"baseline", 50}, {"treatment", 10}});
  ASSERT_FALSE(wrong_total);
  EXPECT_EQ(wrong_total.error().message(), "the shares add up to 60%, not 100%");
  auto unknown = table.with_percentages({{"baseline", 90}, {"treatment", 5}, {"treatmnt", 5}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message(), "unknown variant 'treatmnt', did you mean 'treatment'?");
}

TEST(RouteTable, AReplacingTableFollowsThePreviousGeneration) {
  Result<RouteTable> first = RouteTable::create(make_config({{"baseline", 90}, {"treatment", 10}}));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->generation(), 1u);
  RouteTable changed = *first->with_weights({{"treatment", 20}});
  Result<RouteTable> reloaded =
      RouteTable::create(make_config({{"baseline", 90}, {"treatment", 10}}), changed.generation());
  ASSERT_TRUE(reloaded);
  EXPECT_EQ(reloaded->generation(), 3u);
}

TEST(RouteTable, CreateRejectsBadTables) {
  const std::pair<Weights, std::string> cases[] = {
      {{}, "no variants: define at least the baseline under 'variants'"},
      {{{"baseline", 0}, {"treatment", 0}},
       "all weights are 0: give at least one variant a positive weight"},
      {{{"baseline", 1}, {"baseline", 1}}, "variant 'baseline' is defined twice"},
      {{{"base line", 1}},
       "'base line' is not a valid variant name: use 1 to 64 letters, digits, '_', '.' or '-'"},
  };
  for (const auto& [weights, message] : cases) {
    Result<RouteTable> table = RouteTable::create(make_config(weights));
    ASSERT_FALSE(table) << message;
    EXPECT_EQ(table.error().message(), message);
  }
}

TEST(RouteTable, EnumNamesAndUserHash) {
  EXPECT_EQ(route_reason_name(RouteReason::kSticky), "sticky");
  EXPECT_EQ(route_reason_name(RouteReason::kOverride), "override");
  EXPECT_EQ(override_outcome_name(OverrideOutcome::kUnknownVariant), "unknown_variant");
  EXPECT_EQ(format_user_hash(0xabcULL), "0000000000000abc");
  EXPECT_EQ(format_user_hash(~0ULL), "ffffffffffffffff");
}

}  // namespace
}  // namespace graft::route
