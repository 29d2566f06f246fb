// What other modules add to the admin API (the experiment's endpoints, feedback, the
// dashboard): a method, an exact path and a handler. Added routes are looked up before the
// built-in ones, so an experiment can take over PUT /weights and POST /rollback and record
// them as its decisions. Handlers run on the admin thread, after authorization.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace graft::proxy {

struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

struct AdminRoute {
  std::string method;  // "GET", "POST", "PUT", "DELETE"
  std::string path;    // exact, without the query string: "/experiment/pause"
  // Gets the request body (at most 64 KiB) and the query string (without '?').
  std::function<AdminResponse(std::string_view body, std::string_view query)> handler;
};

}  // namespace graft::proxy
