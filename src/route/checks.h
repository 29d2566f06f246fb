// Internal to module route: the cross-field rules shared by the config parser (which adds
// "file:line: " to the messages) and RouteTable / validate_route_config (which do not).
// Every failure is kInvalidArgument. Pure and thread-safe.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "route/config.h"

namespace graft::route::checks {

// 1..kMaxVariants variants.
[[nodiscard]] Status variant_count(std::size_t count);
// [A-Za-z0-9_.-]+, at most 64 characters.
[[nodiscard]] Status variant_name(std::string_view name);
// `name` does not appear in `earlier`.
[[nodiscard]] Status unique_name(std::string_view name, const std::vector<VariantConfig>& earlier);
[[nodiscard]] Status has_upstreams(const VariantConfig& variant);
// weight <= kMaxWeight.
[[nodiscard]] Status weight(std::string_view name, std::uint64_t weight);
// At least one positive weight.
[[nodiscard]] Status weights_not_all_zero(const std::vector<VariantConfig>& variants);
// Percent 0..100; the variant is defined and is not the baseline.
[[nodiscard]] Status mirror_percent(std::uint64_t percent);
[[nodiscard]] Status mirror_variant(std::string_view name,
                                    const std::vector<VariantConfig>& variants);
// Admin off loopback needs a token; admin and listen differ.
[[nodiscard]] Status admin_address(const Address& admin, std::string_view token_file);
[[nodiscard]] Status admin_not_listen(const Address& admin, const Address& listen);
// `sticky: auth:sub` and `rate_limit.key: auth:sub` need an `auth` block.
[[nodiscard]] Status subject_keys_have_auth(const RouteConfig& config);
// `message` + ", did you mean 'y'?" when `name` is close to one of `names`, else
// `message` + ": the variants are 'a', 'b'".
[[nodiscard]] Error unknown_name(std::string message, std::string_view name,
                                 const std::vector<std::string>& names);

}  // namespace graft::route::checks
