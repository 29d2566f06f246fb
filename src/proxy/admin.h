// The admin API, served on its own listener by the control thread:
//   GET  /status    JSON state (Server::status_json)
//   GET  /weights   {"baseline": 80, "treatment": 20}
//   PUT  /weights   same shape; names not listed keep their weight (route::with_weights)
//   POST /rollback  all traffic to the baseline in one swap
//   POST /reload    re-read the config file (also on SIGHUP)
//   GET  /metrics   Prometheus text format
// and the routes other modules add (admin_route.h, ServerOptions::admin_routes).
// With a token (token_file), every request needs "Authorization: Bearer <token>"
// (constant-time compare; 401 otherwise), except a GET of an added route marked
// AdminAccess::kPublic (a static page or asset with no data in it). Without one, only
// loopback peers are served (403 otherwise), and only when Host is the admin address or a
// loopback name with the admin port (403 otherwise: DNS rebinding). Changes (any method
// but GET, HEAD, OPTIONS) carrying an Origin other than the admin API's own
// (http(s)://<Host>) get 403, token or not (cross-site requests from a browser). One
// request per connection; bodies up to 64 KiB.
// Thread-safety: handle_admin_request may run on any thread (Server is thread-safe).
#pragma once

#include <string>
#include <string_view>

#include "proxy/admin_route.h"
#include "proxy/server.h"

namespace graft::proxy {

// Routes one authorized admin request: the routes added by ServerOptions::admin_routes
// first, then the built-in ones. `target` is the request target (path and query). Errors
// become 4xx/5xx responses with a JSON body {"error": "..."}; nothing is thrown (a handler
// that throws gets a 500).
[[nodiscard]] AdminResponse handle_admin_request(Server& server, std::string_view method,
                                                 std::string_view target, std::string_view body);

}  // namespace graft::proxy
