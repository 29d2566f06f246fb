// What other modules add to the admin API (the experiment's endpoints, feedback, the
// dashboard): a method, an exact path and a handler. Added routes are looked up before the
// built-in ones, so an experiment can take over PUT /weights and POST /rollback and record
// them as its decisions. Handlers run on the admin thread, after authorization.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace graft::proxy {

struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Further response headers, e.g. {"Content-Security-Policy", "default-src 'self'"}.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Who may call a route.
enum class AdminAccess {
  // The admin API's checks: the bearer token when one is configured, else a loopback peer
  // naming the admin address in Host.
  kToken,
  // A static asset that is the same for everyone and carries no data (the dashboard's page,
  // script and styles): served without the token; without a token configured, still only to
  // loopback peers naming the admin address. Only GET routes may be public.
  kPublic,
};

struct AdminRoute {
  std::string method;  // "GET", "POST", "PUT", "DELETE"
  std::string path;    // exact, without the query string: "/experiment/pause"
  // Gets the request body (at most 64 KiB) and the query string (without '?').
  std::function<AdminResponse(std::string_view body, std::string_view query)> handler;
  AdminAccess access = AdminAccess::kToken;
};

}  // namespace graft::proxy
