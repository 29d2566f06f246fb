// libFuzzer target for route.yml parsing and the route table built from it:
//   cmake -DGRAFT_FUZZ=ON with clang, or the g++ smoke driver (tools/fuzz_driver.cc).
// Invariants checked (abort on violation): no crash or exception on any input; every error
// is kInvalidArgument and starts with the file name; a config that parses passes
// validate_route_config and always makes a RouteTable; the table's shares cover exactly
// 10,000 buckets; routing returns a defined variant; rollback sends every bucket to the
// baseline; the scalar parsers never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "route/config.h"
#include "route/table.h"
#include "route/values.h"

namespace {

using graft::ErrorCode;
namespace route = graft::route;

void check(bool condition) {
  if (!condition) std::abort();
}

void check_table(const route::RouteTable& table, std::string_view text) {
  std::uint32_t total = 0;
  for (const route::Variant& variant : table.variants()) total += variant.buckets;
  check(total == route::kBuckets);
  for (std::uint32_t bucket = 0; bucket < route::kBuckets; bucket += 97) {
    check(table.variant_of_bucket(bucket) < table.variants().size());
  }
  route::RouteDecision decision = table.route({.sticky_key = text.substr(0, 16),
                                               .override_value = text.substr(0, 8),
                                               .random = text.size()});
  check(decision.variant < table.variants().size());
  check(decision.bucket < route::kBuckets);
  route::RouteTable rolled = table.rolled_back();
  check(rolled.variants().front().buckets == route::kBuckets);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)route::parse_duration(text);
  (void)route::parse_address(text, route::PortPolicy::kAllowZero);
  (void)route::parse_sticky_key(text);
  (void)route::parse_route_config_at(text, "spec.yml", "route");

  auto config = route::parse_route_config(text, "route.yml");
  if (!config) {
    check(config.error().code() == ErrorCode::kInvalidArgument);
    check(config.error().message().rfind("route.yml", 0) == 0);
    return 0;
  }
  check(static_cast<bool>(route::validate_route_config(*config)));
  auto table = route::RouteTable::create(*config);
  check(static_cast<bool>(table));
  check_table(*table, text);
  return 0;
}
