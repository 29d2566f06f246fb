// RouteTable: an immutable snapshot of how traffic is split, built and validated once.
// Thread-safety: every const member may be called from any number of threads at once; a
// table never changes after construction (changes make a new table, see holder.h).
//
// Buckets. Traffic is split over kBuckets = 10,000 buckets (0.01 % each). A request with
// a sticky key k lands in bucket
//     key_hash = XXH3_64(salt ":" k)  (seed 0; the bytes of the salt, one ':', the bytes
//                                      of the key, no terminator)
//     bucket   = key_hash mod 10,000
// so one user always gets the same bucket for one salt; a new salt reshuffles everyone.
// A request without a sticky key uses bucket = (random & 0xffffffff) mod 10,000, random
// being the uniform 64-bit value the caller passes in (nothing is drawn in here).
//
// Shares. Weights are relative. Treatment i (every variant after the first) gets
// s_i = floor(w_i * 10,000 / W) buckets, W being the sum of all weights; the baseline
// (the first variant) gets the rest. When the baseline weight is 0 the rounding
// leftover goes instead to the treatments with the largest remainders (earliest first).
//
// Layout. The treatments are paired into m = ceil(k / 2) lanes (k = number of
// treatments); lane j covers buckets [j*10000/m, (j+1)*10000/m). In lane j, treatment
// 2j+1 (1-based among variants: the 2nd, 4th, ... variant) grows UP from the lane's start:
// [start, start + s); treatment 2j+2 grows DOWN from the lane's end: [end - s, end). The
// baseline owns every bucket no treatment claims. Example, baseline 80 / a 15 / b 5:
//     [0, 1500) a   [1500, 9500) baseline   [9500, 10000) b
// Guarantees while every lane fits (the two shares of a lane add up to at most the lane's
// size; always true with one or two treatments):
//   - a treatment's buckets depend on its own share only, anchored at a fixed point;
//   - growing a treatment's share only takes buckets from the baseline, and shrinking it
//     only gives buckets back to the baseline: a user never moves from one treatment to
//     another, and nobody in a treatment leaves it while its weight grows.
// When a lane does not fit (e.g. three treatments, one above a half), the smaller share
// of the lane keeps its whole anchored range, the larger fills the rest of the lane and
// its remainder takes the lowest baseline buckets left after all lanes are laid out.
// Shares stay exact; the guarantees above do not hold for the overflowing treatment.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "route/config.h"

namespace graft::route {

inline constexpr std::uint32_t kBuckets = 10'000;

// One variant of a table. Index 0 is the baseline.
struct Variant {
  std::string name;
  std::vector<Address> upstreams;  // never empty
  std::uint32_t weight = 0;        // as configured (relative)
  std::uint32_t buckets = 0;       // its share of kBuckets after normalisation
};

// A half-open bucket range [begin, end).
struct BucketRange {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  friend bool operator==(const BucketRange&, const BucketRange&) = default;
};

// What the proxy knows about one request. Views must outlive the route() call only.
struct RouteRequest {
  // The sticky key's value (header, cookie or query value the config names); nullopt when
  // stickiness is off or the request does not carry it. An empty value counts as missing.
  std::optional<std::string_view> sticky_key;
  // The override header's value when the request has one.
  std::optional<std::string_view> override_value;
  // Whether the request carried a valid admin bearer token (checked by the proxy); only
  // consulted when the override requires a token.
  bool override_token_valid = false;
  // A uniform random 64-bit value for this request: the low 32 bits give the bucket when
  // there is no sticky key ((random & 0xffffffff) mod 10,000), the high 32 bits sample the
  // mirror ((random >> 32) mod 10,000 < percent * 100).
  std::uint64_t random = 0;
};

// How the variant was chosen.
enum class RouteReason {
  kSticky,    // from the sticky key's bucket
  kRandom,    // per-request weighted draw (no sticky key)
  kOverride,  // the override header named this variant
};

// What became of an override header.
enum class OverrideOutcome {
  kAbsent,          // no override header in the request
  kApplied,         // honoured: reason is kOverride
  kUnknownVariant,  // named no variant: normal routing was used
  kUnauthorized,    // require_token and no valid token: normal routing was used
  kDisabled,        // overrides are disabled in the config: normal routing was used
};

struct RouteDecision {
  std::size_t variant = 0;  // index into RouteTable::variants()
  RouteReason reason = RouteReason::kRandom;
  OverrideOutcome override_outcome = OverrideOutcome::kAbsent;
  std::uint32_t bucket = 0;               // the bucket used (also set under an override)
  std::optional<std::uint64_t> key_hash;  // XXH3 of salt:key when a sticky key was used
  // Set when a copy of the request also goes to this (mirror) variant.
  std::optional<std::size_t> mirror;
};

// Names of the enum values as written to logs and JSON: "sticky", "unknown_variant", ...
[[nodiscard]] std::string_view route_reason_name(RouteReason reason);
[[nodiscard]] std::string_view override_outcome_name(OverrideOutcome outcome);

// The `user` field of access logs: 16 lowercase hex digits of a sticky key's key_hash.
// It identifies a user within one salt without revealing the raw id (pseudonymous, not
// anonymous: small id spaces can be enumerated).
[[nodiscard]] std::string format_user_hash(std::uint64_t key_hash);

class RouteTable {
 public:
  // Builds the table from a config (variants, mirror, sticky, salt, override). Errors
  // (kInvalidArgument) as validate_route_config: no variants, weights all 0 or too large,
  // duplicate names, bad mirror.
  // `previous_generation`: the generation of the table this one replaces (a reload), so
  // generations only grow; 0 for the first table.
  [[nodiscard]] static Result<RouteTable> create(const RouteConfig& config,
                                                 std::uint64_t previous_generation = 0);

  // A new table with some weights changed (generation + 1). Names not listed keep their
  // weight, except: when the baseline is not listed and the current weights add up to
  // 100, the baseline takes 100 minus the others, so "treatment=20" means 20 %.
  // Errors (kInvalidArgument): unknown name ("unknown variant 'x', did you mean 'y'?"),
  // weight above kMaxWeight, all weights 0, treatments above 100 with an implied baseline.
  [[nodiscard]] Result<RouteTable> with_weights(
      const std::map<std::string, std::uint32_t, std::less<>>& weights) const;

  // A new table with every variant's share given in percent (generation + 1): one explicit
  // meaning, whatever the current weights add up to (the experiment controller's updates).
  // Errors (kInvalidArgument): a variant missing or unknown, or shares not adding up to 100.
  [[nodiscard]] Result<RouteTable> with_percentages(
      const std::map<std::string, std::uint32_t, std::less<>>& percentages) const;

  // A new table with weight 100 on the baseline and 0 elsewhere (generation + 1). The
  // mirror, if any, is kept: it never affects responses.
  [[nodiscard]] RouteTable rolled_back() const;

  // Picks the variant of one request. Never fails; no I/O, no clock, no allocation.
  [[nodiscard]] RouteDecision route(const RouteRequest& request) const;

  // The bucket of a sticky key, as route() computes it.
  [[nodiscard]] std::uint64_t key_hash(std::string_view sticky_key) const;
  [[nodiscard]] std::uint32_t bucket_of_hash(std::uint64_t key_hash) const {
    return static_cast<std::uint32_t>(key_hash % kBuckets);
  }
  // Which variant owns a bucket (< kBuckets).
  [[nodiscard]] std::size_t variant_of_bucket(std::uint32_t bucket) const {
    return bucket_owner_[bucket];
  }
  // The bucket ranges a variant owns, ascending (empty when its share is 0).
  [[nodiscard]] std::vector<BucketRange> ranges_of(std::size_t variant) const;

  [[nodiscard]] const std::vector<Variant>& variants() const { return variants_; }
  // Index of the variant named `name`, if any.
  [[nodiscard]] std::optional<std::size_t> find(std::string_view name) const;
  // Index of the mirror variant and the mirrored percentage (0..100), if mirroring.
  [[nodiscard]] std::optional<std::size_t> mirror_variant() const { return mirror_; }
  [[nodiscard]] std::uint32_t mirror_percent() const { return mirror_percent_; }
  [[nodiscard]] const StickyKey& sticky() const { return sticky_; }
  [[nodiscard]] const std::string& salt() const { return salt_; }
  [[nodiscard]] const OverrideConfig& overrides() const { return overrides_; }
  // previous_generation + 1 for a table made by create(); each with_weights,
  // with_percentages and rolled_back adds 1. Never goes back, also across reloads.
  [[nodiscard]] std::uint64_t generation() const { return generation_; }

 private:
  RouteTable() = default;
  [[nodiscard]] Status rebuild();  // validates weights, computes shares and bucket_owner_
  [[nodiscard]] std::size_t pick(const RouteRequest& request, RouteDecision* decision) const;

  std::vector<Variant> variants_;
  std::array<std::uint8_t, kBuckets> bucket_owner_{};  // variant index per bucket
  std::optional<std::size_t> mirror_;
  std::uint32_t mirror_percent_ = 0;
  StickyKey sticky_;
  std::string salt_;
  OverrideConfig overrides_;
  std::uint64_t generation_ = 1;
};

}  // namespace graft::route
