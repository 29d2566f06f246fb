#include "route/config.h"

#include <fmt/core.h>

#include "base/yaml.h"
#include "route/checks.h"

namespace graft::route {
namespace {

using base::YamlReader;

const std::vector<std::string> kTopKeys = {
    "listen", "admin",      "token_file", "sticky",   "salt",     "variants", "mirror",
    "health", "access_log", "limits",     "timeouts", "override", "auth",     "rate_limit"};

// Walks one route block; every read reports its own location.
class ConfigParser {
 public:
  // `variants`: null for a route.yml (its own `variants` block), or the variants an
  // experiment spec defines elsewhere (no `variants` key allowed in the block).
  ConfigParser(const YamlReader& reader, const std::vector<VariantConfig>* variants)
      : reader_(reader), external_variants_(variants) {}

  Result<RouteConfig> parse(const YAML::Node& root) {
    if (root.IsNull() || !root.IsDefined()) {
      return fail(reader_.error_at(root,
                                   "the route config is empty: expected a map with "
                                   "'listen' and 'variants'"));
    }
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(root, "the route config"));
    if (external_variants_ != nullptr) {
      if (root["variants"]) {
        return fail(reader_.error_at(root["variants"],
                                     "'variants' belong at the top level of an experiment "
                                     "spec, not in its route block"));
      }
      std::vector<std::string> keys;
      for (const std::string& key : kTopKeys) {
        if (key != "variants") keys.push_back(key);
      }
      GRAFT_RETURN_IF_ERROR(reader_.check_keys(root, "", keys));
      if (!root["listen"]) return fail(reader_.error_at(root, "missing key 'listen'"));
      config_.variants = *external_variants_;
    } else {
      GRAFT_RETURN_IF_ERROR(reader_.check_keys(root, "", kTopKeys));
      for (const char* required : {"listen", "variants"}) {
        if (!root[required]) {
          return fail(reader_.error_at(root, fmt::format("missing key '{}'", required)));
        }
      }
    }
    GRAFT_RETURN_IF_ERROR(parse_endpoints(root));
    if (external_variants_ == nullptr) GRAFT_RETURN_IF_ERROR(parse_variants(root["variants"]));
    if (root["mirror"]) GRAFT_RETURN_IF_ERROR(parse_mirror(root["mirror"]));
    if (root["health"]) GRAFT_RETURN_IF_ERROR(parse_health(root["health"]));
    if (root["limits"]) GRAFT_RETURN_IF_ERROR(parse_limits(root["limits"]));
    if (root["timeouts"]) GRAFT_RETURN_IF_ERROR(parse_timeouts(root["timeouts"]));
    if (root["override"]) GRAFT_RETURN_IF_ERROR(parse_override(root["override"]));
    GRAFT_RETURN_IF_ERROR(parse_protection(root));
    return std::move(config_);
  }

 private:
  Status parse_endpoints(const YAML::Node& root) {
    GRAFT_ASSIGN_OR_RETURN(config_.listen,
                           read_address(root["listen"], "'listen'", PortPolicy::kAllowZero));
    if (root["admin"]) {
      GRAFT_ASSIGN_OR_RETURN(config_.admin,
                             read_address(root["admin"], "'admin'", PortPolicy::kAllowZero));
    }
    if (root["token_file"]) {
      GRAFT_ASSIGN_OR_RETURN(config_.token_file,
                             reader_.string(root["token_file"], "'token_file'"));
    }
    if (root["access_log"]) {
      GRAFT_ASSIGN_OR_RETURN(config_.access_log,
                             reader_.string(root["access_log"], "'access_log'"));
    }
    if (root["salt"]) {
      GRAFT_ASSIGN_OR_RETURN(config_.salt, reader_.string(root["salt"], "'salt'"));
    }
    if (root["sticky"]) {
      GRAFT_ASSIGN_OR_RETURN(std::string sticky, reader_.string(root["sticky"], "'sticky'"));
      auto parsed = parse_sticky_key(sticky);
      if (!parsed) return fail(reader_.error_at(root["sticky"], parsed.error().message()));
      config_.sticky = *parsed;
    }
    // Where the admin address came from (explicit key, or the listen line it clashes with).
    const YAML::Node admin_node = root["admin"] ? root["admin"] : root["listen"];
    GRAFT_RETURN_IF_ERROR(
        reader_.located(admin_node, checks::admin_address(config_.admin, config_.token_file)));
    return reader_.located(admin_node, checks::admin_not_listen(config_.admin, config_.listen));
  }

  Status parse_variants(const YAML::Node& variants) {
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(variants, "'variants'"));
    GRAFT_RETURN_IF_ERROR(reader_.located(variants, checks::variant_count(variants.size())));
    for (const auto& entry : variants) {
      // Copies: yaml-cpp's iterator yields a temporary pair of node handles.
      const YAML::Node key = entry.first;
      const YAML::Node body = entry.second;
      GRAFT_ASSIGN_OR_RETURN(std::string name, reader_.string(key, "a variant name"));
      GRAFT_RETURN_IF_ERROR(reader_.located(key, checks::variant_name(name)));
      GRAFT_RETURN_IF_ERROR(reader_.located(key, checks::unique_name(name, config_.variants)));
      GRAFT_ASSIGN_OR_RETURN(VariantConfig variant, parse_variant(name, key, body));
      config_.variants.push_back(std::move(variant));
    }
    return reader_.located(variants, checks::weights_not_all_zero(config_.variants));
  }

  Result<VariantConfig> parse_variant(const std::string& name, const YAML::Node& key,
                                      const YAML::Node& body) {
    const std::string what = fmt::format("variant '{}'", name);
    if (body.IsNull()) {
      return fail(reader_.error_at(key, fmt::format("{} has no value: give it 'upstreams' and "
                                                    "a 'weight'",
                                                    what)));
    }
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(body, what));
    GRAFT_RETURN_IF_ERROR(reader_.check_keys(body, name, {"upstreams", "weight"}));
    VariantConfig variant{.name = name};
    const YAML::Node upstreams = body["upstreams"];
    if (!upstreams) {
      return fail(reader_.error_at(key, fmt::format("{} has no 'upstreams'", what)));
    }
    if (!upstreams.IsSequence()) {
      return fail(reader_.error_at(upstreams, fmt::format("'upstreams' of '{}' must be a list "
                                                          "of host:port",
                                                          name)));
    }
    for (const YAML::Node& upstream : upstreams) {
      GRAFT_ASSIGN_OR_RETURN(Address address,
                             read_address(upstream, "an upstream", PortPolicy::kRequireNonZero));
      variant.upstreams.push_back(std::move(address));
    }
    GRAFT_RETURN_IF_ERROR(reader_.located(upstreams, checks::has_upstreams(variant)));
    if (body["weight"]) {
      GRAFT_ASSIGN_OR_RETURN(
          std::uint64_t weight,
          reader_.unsigned_integer(body["weight"], fmt::format("weight of '{}'", name)));
      GRAFT_RETURN_IF_ERROR(reader_.located(body["weight"], checks::weight(name, weight)));
      variant.weight = static_cast<std::uint32_t>(weight);
    }
    return variant;
  }

  Status parse_mirror(const YAML::Node& mirror) {
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(mirror, "'mirror'"));
    GRAFT_RETURN_IF_ERROR(reader_.check_keys(mirror, "mirror", {"variant", "percent"}));
    if (!mirror["variant"]) return fail(reader_.error_at(mirror, "'mirror' has no 'variant'"));
    MirrorConfig result;
    GRAFT_ASSIGN_OR_RETURN(result.variant, reader_.string(mirror["variant"], "'mirror.variant'"));
    GRAFT_RETURN_IF_ERROR(reader_.located(
        mirror["variant"], checks::mirror_variant(result.variant, config_.variants)));
    if (mirror["percent"]) {
      GRAFT_ASSIGN_OR_RETURN(std::uint64_t percent,
                             reader_.unsigned_integer(mirror["percent"], "'mirror.percent'"));
      GRAFT_RETURN_IF_ERROR(reader_.located(mirror["percent"], checks::mirror_percent(percent)));
      result.percent = static_cast<std::uint32_t>(percent);
    }
    config_.mirror = std::move(result);
    return ok();
  }

  Result<std::chrono::milliseconds> read_duration(const YAML::Node& node, std::string_view what) {
    GRAFT_ASSIGN_OR_RETURN(std::string text, reader_.string(node, what));
    auto parsed = parse_duration(text);
    if (!parsed) return fail(reader_.error_at(node, parsed.error().message()));
    return *parsed;
  }

  Result<Address> read_address(const YAML::Node& node, std::string_view what, PortPolicy policy) {
    if (node.IsSequence() || node.IsMap()) {
      return fail(reader_.error_at(node, fmt::format("{} must be host:port, got {}: quote IPv6 "
                                                     "addresses, e.g. '[::1]:8080'",
                                                     what, base::yaml_kind(node))));
    }
    GRAFT_ASSIGN_OR_RETURN(std::string text, reader_.string(node, what));
    auto parsed = parse_address(text, policy);
    if (!parsed) return fail(reader_.error_at(node, parsed.error().message()));
    return *parsed;
  }

  // A count that must be >= minimum.
  Result<std::uint64_t> at_least(const YAML::Node& node, std::string_view what,
                                 std::uint64_t minimum) {
    GRAFT_ASSIGN_OR_RETURN(std::uint64_t value, reader_.unsigned_integer(node, what));
    if (value < minimum) {
      return fail(reader_.error_at(
          node, fmt::format("{} must be at least {}, got {}", what, minimum, value)));
    }
    return value;
  }

  Status parse_health(const YAML::Node& health) {
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(health, "'health'"));
    GRAFT_RETURN_IF_ERROR(
        reader_.check_keys(health, "health", {"path", "interval", "timeout", "fails", "passes"}));
    HealthConfig& out = config_.health;
    if (health["path"]) {
      GRAFT_ASSIGN_OR_RETURN(out.path, reader_.string(health["path"], "'health.path'"));
      if (out.path.empty() || out.path.front() != '/') {
        return fail(reader_.error_at(health["path"], fmt::format("'health.path' must start "
                                                                 "with '/', got '{}'",
                                                                 out.path)));
      }
    }
    if (health["interval"]) {
      GRAFT_ASSIGN_OR_RETURN(out.interval, read_duration(health["interval"], "'health.interval'"));
    }
    if (health["timeout"]) {
      GRAFT_ASSIGN_OR_RETURN(out.timeout, read_duration(health["timeout"], "'health.timeout'"));
    }
    if (health["fails"]) {
      GRAFT_ASSIGN_OR_RETURN(auto fails, at_least(health["fails"], "'health.fails'", 1));
      out.fails = static_cast<std::uint32_t>(std::min<std::uint64_t>(fails, 1'000'000));
    }
    if (health["passes"]) {
      GRAFT_ASSIGN_OR_RETURN(auto passes, at_least(health["passes"], "'health.passes'", 1));
      out.passes = static_cast<std::uint32_t>(std::min<std::uint64_t>(passes, 1'000'000));
    }
    return ok();
  }

  Status parse_limits(const YAML::Node& limits) {
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(limits, "'limits'"));
    GRAFT_RETURN_IF_ERROR(reader_.check_keys(
        limits, "limits",
        {"max_header_bytes", "max_body_bytes", "max_connections", "min_body_rate"}));
    LimitsConfig& out = config_.limits;
    if (limits["max_header_bytes"]) {
      GRAFT_ASSIGN_OR_RETURN(out.max_header_bytes, at_least(limits["max_header_bytes"],
                                                            "'limits.max_header_bytes'", 1024));
    }
    if (limits["max_body_bytes"]) {
      GRAFT_ASSIGN_OR_RETURN(out.max_body_bytes,
                             at_least(limits["max_body_bytes"], "'limits.max_body_bytes'", 0));
    }
    if (limits["max_connections"]) {
      GRAFT_ASSIGN_OR_RETURN(out.max_connections,
                             at_least(limits["max_connections"], "'limits.max_connections'", 1));
    }
    if (limits["min_body_rate"]) {
      GRAFT_ASSIGN_OR_RETURN(out.min_body_rate,
                             at_least(limits["min_body_rate"], "'limits.min_body_rate'", 0));
    }
    return ok();
  }

  Status parse_timeouts(const YAML::Node& timeouts) {
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(timeouts, "'timeouts'"));
    GRAFT_RETURN_IF_ERROR(reader_.check_keys(
        timeouts, "timeouts", {"connect", "read", "idle", "header", "first_byte", "body"}));
    TimeoutsConfig& out = config_.timeouts;
    const std::pair<const char*, std::chrono::milliseconds*> fields[] = {
        {"connect", &out.connect},
        {"read", &out.read},
        {"idle", &out.idle},
        {"header", &out.header},
        {"first_byte", &out.first_byte},
        {"body", &out.body}};
    for (const auto& [key, field] : fields) {
      if (!timeouts[key]) continue;
      GRAFT_ASSIGN_OR_RETURN(*field,
                             read_duration(timeouts[key], fmt::format("'timeouts.{}'", key)));
    }
    return ok();
  }

  Status parse_override(const YAML::Node& node) {
    GRAFT_RETURN_IF_ERROR(reader_.expect_map(node, "'override'"));
    GRAFT_RETURN_IF_ERROR(
        reader_.check_keys(node, "override", {"header", "enabled", "require_token"}));
    OverrideConfig& out = config_.overrides;
    if (node["header"]) {
      GRAFT_ASSIGN_OR_RETURN(out.header, reader_.string(node["header"], "'override.header'"));
      auto as_key = parse_sticky_key("header:" + out.header);
      if (!as_key) {
        return fail(reader_.error_at(node["header"], fmt::format("'{}' is not a valid header "
                                                                 "name",
                                                                 out.header)));
      }
    }
    if (node["enabled"]) {
      GRAFT_ASSIGN_OR_RETURN(out.enabled, reader_.boolean(node["enabled"], "'override.enabled'"));
    }
    if (node["require_token"]) {
      GRAFT_ASSIGN_OR_RETURN(out.require_token,
                             reader_.boolean(node["require_token"], "'override.require_token'"));
    }
    return ok();
  }

  // `auth` and `rate_limit` (auth_config.cc), and the keys that need `auth`.
  Status parse_protection(const YAML::Node& root) {
    if (root["auth"]) {
      GRAFT_ASSIGN_OR_RETURN(config_.auth, parse_auth_block(reader_, root["auth"]));
    }
    if (root["rate_limit"]) {
      GRAFT_ASSIGN_OR_RETURN(config_.rate_limit,
                             parse_rate_limit_block(reader_, root["rate_limit"]));
    }
    // The first offending key: sticky, then rate_limit.key.
    const YAML::Node where = config_.sticky.source == StickySource::kSubject
                                 ? root["sticky"]
                                 : (root["rate_limit"] ? root["rate_limit"]["key"] : root);
    return reader_.located(where, checks::subject_keys_have_auth(config_));
  }

  const YamlReader& reader_;
  const std::vector<VariantConfig>* external_variants_;
  RouteConfig config_;
};

Result<RouteConfig> parse_node(const YamlReader& reader, const YAML::Node& root,
                               const std::vector<VariantConfig>* variants = nullptr) {
  try {
    return ConfigParser(reader, variants).parse(root);
  } catch (const YAML::Exception& error) {
    return fail(reader.error_at(error.mark, fmt::format("invalid YAML: {}", error.msg)));
  }
}

}  // namespace

Result<RouteConfig> parse_route_config(std::string_view text, std::string_view file_name) {
  YamlReader reader(text, file_name);
  GRAFT_ASSIGN_OR_RETURN(YAML::Node root, reader.load());
  return parse_node(reader, root);
}

Result<RouteConfig> parse_route_config_at(std::string_view text, std::string_view file_name,
                                          std::string_view key,
                                          const std::vector<VariantConfig>* variants) {
  YamlReader reader(text, file_name);
  GRAFT_ASSIGN_OR_RETURN(YAML::Node root, reader.load());
  const std::string name(key);
  if (!root.IsMap() || !root[name]) {
    return fail(reader.error_at(root, fmt::format("missing key '{}'", key)));
  }
  return parse_node(reader, root[name], variants);
}

Status validate_route_config(const RouteConfig& config) {
  GRAFT_RETURN_IF_ERROR(checks::variant_count(config.variants.size()));
  for (std::size_t i = 0; i < config.variants.size(); ++i) {
    const VariantConfig& variant = config.variants[i];
    GRAFT_RETURN_IF_ERROR(checks::variant_name(variant.name));
    GRAFT_RETURN_IF_ERROR(
        checks::unique_name(variant.name, {config.variants.begin(), config.variants.begin() + i}));
    GRAFT_RETURN_IF_ERROR(checks::has_upstreams(variant));
    GRAFT_RETURN_IF_ERROR(checks::weight(variant.name, variant.weight));
  }
  GRAFT_RETURN_IF_ERROR(checks::weights_not_all_zero(config.variants));
  if (config.mirror) {
    GRAFT_RETURN_IF_ERROR(checks::mirror_percent(config.mirror->percent));
    GRAFT_RETURN_IF_ERROR(checks::mirror_variant(config.mirror->variant, config.variants));
  }
  GRAFT_RETURN_IF_ERROR(checks::admin_address(config.admin, config.token_file));
  GRAFT_RETURN_IF_ERROR(checks::subject_keys_have_auth(config));
  return checks::admin_not_listen(config.admin, config.listen);
}

}  // namespace graft::route
