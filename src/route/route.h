// Module `route`: pure traffic-split logic (no I/O, no clock, no randomness drawn inside).
//
// What the proxy calls:
//   1. At start-up: read route.yml and call parse_route_config(text, "route.yml")
//      (config.h) for listen/admin/limits/timeouts/health/mirror/access_log, then
//      RouteTable::create(config) (table.h) and wrap it in a RouteTableHolder
//      (holder.h): `RouteTableHolder holder(std::make_shared<const RouteTable>(*table));`.
//   2. Per worker thread: a CachedTable over the holder; per request:
//        const RouteTable& table = cached.get();
//        RouteDecision d = table.route({.sticky_key = ..., .override_value = ...,
//                                       .override_token_valid = ..., .random = rng()});
//      then forward to table.variants()[d.variant].upstreams (balancing and health are the
//      proxy's), copy to table.variants()[*d.mirror] when d.mirror is set, and log
//      variant name, route_reason_name(d.reason), override_outcome_name(...) and
//      format_user_hash(*d.key_hash) as `user` when d.key_hash is set.
//      The sticky key comes from table.sticky() (header/cookie/query + name); the override
//      header name from table.overrides().header (ignore it when !enabled).
//   3. Admin API: PUT /weights -> holder.update([&](const RouteTable& t) {
//      return t.with_weights(weights); }); POST /rollback -> holder.update(... t.rolled_back()).
//      Errors from with_weights are kInvalidArgument with a user-ready message (-> 400).
#pragma once

#include "route/config.h"
#include "route/holder.h"
#include "route/table.h"
#include "route/values.h"
