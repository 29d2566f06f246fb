// Client side of the proxy's admin API (src/proxy/admin.h) for `graft route ...`: where to
// connect, one JSON request over libcurl, and the text the verbs print. No printing here.
// Thread-safety: free functions without shared state; safe to call from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"

namespace graft::cli {

inline constexpr std::string_view kDefaultAdminAddress = "127.0.0.1:8081";

// The flags every `graft route` verb takes.
struct AdminOptions {
  std::string admin;        // --admin HOST:PORT; "" for the config's or the default
  std::string config_path;  // -c route.yml: admin address and token_file from the config
  std::string token_file;   // --token-file F; overrides the config's token_file
};

// Where to send admin requests and with which bearer token.
struct AdminTarget {
  std::string address;  // host:port to connect to (wildcard hosts mapped to loopback)
  std::string token;    // "" for none
};

// Resolves the flags: --admin, else the config's `admin`, else 127.0.0.1:8081; the token
// from --token-file, else the config's token_file (relative to the config's directory).
// Errors: kInvalidArgument (bad address, bad config, unreadable or empty token file,
// admin port 0 in the config), kNotFound/kIo (config file).
[[nodiscard]] Result<AdminTarget> resolve_admin_target(const AdminOptions& options);

// Sends `method path` with a JSON `body` (ignored for GET) and returns the parsed JSON
// reply. Timeouts: 2 s to connect, 15 s in all. Errors: kUnavailable "could not reach the
// admin API at ADDR: connection refused" (hint: is the proxy running?); a non-2xx reply
// becomes "the admin API at ADDR refused METHOD PATH: <its error>" (kInvalidArgument for
// 400, kUnavailable otherwise; hints for 401/403); a 2xx reply that is not JSON, kCorrupt.
[[nodiscard]] Result<nlohmann::json> call_admin(const AdminTarget& target, std::string_view method,
                                                std::string_view path,
                                                const std::string& body = "");

// Parses NAME=WEIGHT arguments into the PUT /weights body {"name": weight, ...}.
// Errors (kInvalidArgument): not NAME=WEIGHT, weight not 0..kMaxWeight, a name twice.
[[nodiscard]] Result<nlohmann::json> parse_weight_assignments(
    const std::vector<std::string>& assignments);

// "baseline=80 treatment=20" from a weights object.
[[nodiscard]] std::string format_weights(const nlohmann::json& weights);

// The `route status` table from GET /status JSON. Errors (kCorrupt): a status without
// the fields it needs (variants with name and weight).
[[nodiscard]] Result<std::string> format_status(const nlohmann::json& status);

}  // namespace graft::cli
