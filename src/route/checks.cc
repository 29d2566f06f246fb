#include "route/checks.h"

#include <fmt/core.h>

#include "base/strings.h"

namespace graft::route::checks {
namespace {

tl::unexpected<Error> invalid(std::string message) {
  return fail(ErrorCode::kInvalidArgument, std::move(message));
}

std::vector<std::string> names_of(const std::vector<VariantConfig>& variants) {
  std::vector<std::string> names;
  for (const VariantConfig& variant : variants) names.push_back(variant.name);
  return names;
}

}  // namespace

Status variant_count(std::size_t count) {
  if (count == 0) {
    return invalid("no variants: define at least the baseline under 'variants'");
  }
  if (count > kMaxVariants) {
    return invalid(fmt::format("too many variants: {}, at most {}", count, kMaxVariants));
  }
  return ok();
}

Status variant_name(std::string_view name) {
  bool valid = !name.empty() && name.size() <= 64;
  for (char c : name) {
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-');
  }
  if (valid) return ok();
  return invalid(fmt::format(
      "'{}' is not a valid variant name: use 1 to 64 letters, digits, '_', '.' or '-'", name));
}

Status unique_name(std::string_view name, const std::vector<VariantConfig>& earlier) {
  for (const VariantConfig& variant : earlier) {
    if (variant.name == name) return invalid(fmt::format("variant '{}' is defined twice", name));
  }
  return ok();
}

Status has_upstreams(const VariantConfig& variant) {
  if (!variant.upstreams.empty()) return ok();
  return invalid(
      fmt::format("variant '{}' has no upstreams: list at least one host:port", variant.name));
}

Status weight(std::string_view name, std::uint64_t weight) {
  if (weight <= kMaxWeight) return ok();
  return invalid(
      fmt::format("weight of '{}' must be at most {}, got {}", name, kMaxWeight, weight));
}

Status weights_not_all_zero(const std::vector<VariantConfig>& variants) {
  for (const VariantConfig& variant : variants) {
    if (variant.weight > 0) return ok();
  }
  return invalid("all weights are 0: give at least one variant a positive weight");
}

Status mirror_percent(std::uint64_t percent) {
  if (percent <= 100) return ok();
  return invalid(fmt::format("mirror percent must be from 0 to 100, got {}", percent));
}

Status mirror_variant(std::string_view name, const std::vector<VariantConfig>& variants) {
  if (!variants.empty() && variants.front().name == name) {
    return invalid(fmt::format(
        "mirror variant '{}' is the baseline: mirror to a separate variant (weight 0 is fine)",
        name));
  }
  for (const VariantConfig& variant : variants) {
    if (variant.name == name) return ok();
  }
  return tl::unexpected(unknown_name(fmt::format("mirror variant '{}' is not defined", name), name,
                                     names_of(variants)));
}

Status admin_address(const Address& admin, std::string_view token_file) {
  if (!token_file.empty() || is_loopback(admin)) return ok();
  return tl::unexpected(
      Error(ErrorCode::kInvalidArgument,
            fmt::format("admin address '{}' is not loopback: set 'token_file' to require a "
                        "bearer token, or listen on 127.0.0.1",
                        admin.to_string())));
}

Status admin_not_listen(const Address& admin, const Address& listen) {
  if (admin != listen || admin.port == 0) return ok();
  return invalid(fmt::format("admin and listen are both '{}': give the admin API its own port",
                             admin.to_string()));
}

Error unknown_name(std::string message, std::string_view name,
                   const std::vector<std::string>& names) {
  std::string suggestion = base::closest_match(name, names);
  if (!suggestion.empty()) {
    message += fmt::format(", did you mean '{}'?", suggestion);
  } else {
    std::vector<std::string> quoted;
    for (const std::string& candidate : names) quoted.push_back("'" + candidate + "'");
    message += fmt::format(": the variants are {}", base::join(quoted, ", "));
  }
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}

Status subject_keys_have_auth(const RouteConfig& config) {
  if (config.auth) return ok();
  auto needs = [](std::string_view key) {
    return invalid(fmt::format("'{}' needs an 'auth' block: the subject comes from it", key));
  };
  if (config.sticky.source == StickySource::kSubject) return needs("sticky: auth:sub");
  if (config.rate_limit && config.rate_limit->key == RateKeySource::kSubject) {
    return needs("rate_limit.key: auth:sub");
  }
  return ok();
}

}  // namespace graft::route::checks
