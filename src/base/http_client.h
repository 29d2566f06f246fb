// graft's one HTTP client for single requests (the admin API, health checks, the load
// generator): libcurl through base/curl_api.h, loaded on first use. Package downloads use
// libcurl's multi interface directly (store/download.h) for parallel transfers.
//
// Thread-safety: http_request() may be called from several threads at once.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace graft::base {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent unless the method is GET or HEAD
  std::chrono::milliseconds connect_timeout{2'000};
  std::chrono::milliseconds total_timeout{15'000};
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;

  // The first header named `name` (case-insensitive), or "".
  [[nodiscard]] std::string header(std::string_view name) const;
};

// Sends one request and reads the whole response; never goes through an HTTP proxy (a
// bearer token must reach only the named host). Any HTTP status is a response, not an
// error. Errors: kUnavailable when libcurl can not be loaded or the server can not be
// reached; the message is the cause alone ("connection refused", "timed out"), for the
// caller to put in context.
[[nodiscard]] Result<HttpResponse> http_request(const HttpRequest& request);

}  // namespace graft::base
