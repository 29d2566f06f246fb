#include "cli/route_admin.h"

#include <filesystem>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/http_client.h"
#include "base/strings.h"
#include "route/config.h"

namespace graft::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

Result<std::string> read_token(const fs::path& path) {
  auto text = base::read_file(path);
  if (!text) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("could not read the admin token from '{}': {}", path.string(),
                            text.error().message()));
  }
  std::string token(base::trim(*text));
  if (token.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the admin token file '{}' is empty", path.string()));
  }
  return token;
}

// The address to connect to for a listen address: wildcard hosts become loopback.
std::string connect_address(route::Address address) {
  if (address.host == "0.0.0.0") address.host = "127.0.0.1";
  if (address.host == "::") address.host = "::1";
  return address.to_string();
}

struct Reply {
  long status = 0;
  std::string body;
};

Result<Reply> send(const AdminTarget& target, const std::string& method, std::string_view path,
                   const std::string& body) {
  base::HttpRequest request{.method = method,
                            .url = fmt::format("http://{}{}", target.address, path),
                            .headers = {{"Content-Type", "application/json"}},
                            .body = body};
  if (!target.token.empty())
    request.headers.emplace_back("Authorization", "Bearer " + target.token);
  auto response = base::http_request(request);
  if (!response) {
    return fail(
        Error(ErrorCode::kUnavailable, fmt::format("could not reach the admin API at {}: {}",
                                                   target.address, response.error().message()))
            .with_hint("is `graft proxy -c route.yml` running? (or pass --admin HOST:PORT)"));
  }
  return Reply{.status = response->status, .body = std::move(response->body)};
}

std::uint64_t variant_requests(const Json& variant) {
  if (variant.contains("requests")) return variant["requests"].get<std::uint64_t>();
  std::uint64_t total = 0;
  for (const Json& upstream : variant.value("upstreams", Json::array())) {
    total += upstream.value("requests", std::uint64_t{0});
  }
  return total;
}

std::string format_upstreams(const Json& variant) {
  std::vector<std::string> parts;
  for (const Json& upstream : variant.value("upstreams", Json::array())) {
    parts.push_back(fmt::format("{} ({})", upstream.value("address", std::string("?")),
                                upstream.value("healthy", false) ? "up" : "down"));
  }
  return parts.empty() ? "-" : base::join(parts, ", ");
}

// Throws Json::exception on a status of the wrong shape (caught by format_status).
std::string format_status_or_throw(const Json& status) {
  std::size_t width = 7;
  for (const Json& variant : status.at("variants")) {
    width = std::max(width, variant.at("name").get<std::string>().size());
  }
  std::string out = fmt::format("{:<{}}  {:>7}  {:>7}  {:<6}  {:>9}  {}\n", "variant", width,
                                "weight", "share", "health", "requests", "upstreams");
  for (const Json& variant : status.at("variants")) {
    out += fmt::format(
        "{:<{}}  {:>7}  {:>6.2f}%  {:<6}  {:>9}  {}\n", variant.at("name").get<std::string>(),
        width, variant.at("weight").get<std::uint64_t>(), variant.value("share_percent", 0.0),
        variant.value("healthy", false) ? "up" : "down", variant_requests(variant),
        format_upstreams(variant));
  }
  if (status.contains("mirror") && status["mirror"].is_object()) {
    out += fmt::format("mirror: {}% of requests copied to '{}'\n",
                       status["mirror"].value("percent", std::uint64_t{0}),
                       status["mirror"].value("variant", std::string("?")));
  }
  const Json counters = status.value("counters", Json::object());
  out += fmt::format("generation {}, {} requests, {} open connections\n",
                     status.value("generation", std::uint64_t{0}),
                     counters.value("requests", std::uint64_t{0}),
                     counters.value("connections", std::uint64_t{0}));
  return out;
}

}  // namespace

Result<AdminTarget> resolve_admin_target(const AdminOptions& options) {
  AdminTarget target{.address = std::string(kDefaultAdminAddress)};
  fs::path token_file = options.token_file;
  if (!options.config_path.empty()) {
    GRAFT_ASSIGN_OR_RETURN(std::string text, base::read_file(options.config_path));
    GRAFT_ASSIGN_OR_RETURN(route::RouteConfig config,
                           route::parse_route_config(text, options.config_path));
    if (config.admin.port == 0) {
      return fail(Error(ErrorCode::kInvalidArgument,
                        fmt::format("the admin port in '{}' is 0 (picked at start-up)",
                                    options.config_path))
                      .with_hint("pass the address the proxy printed: --admin HOST:PORT"));
    }
    target.address = connect_address(config.admin);
    if (token_file.empty() && !config.token_file.empty()) {
      token_file = fs::path(options.config_path).parent_path() / config.token_file;
    }
  }
  if (!options.admin.empty()) {
    GRAFT_ASSIGN_OR_RETURN(route::Address address,
                           route::parse_address(options.admin, route::PortPolicy::kRequireNonZero));
    target.address = connect_address(address);
  }
  if (!token_file.empty()) {
    GRAFT_ASSIGN_OR_RETURN(target.token, read_token(token_file));
  }
  return target;
}

Result<Json> call_admin(const AdminTarget& target, std::string_view method, std::string_view path,
                        const std::string& body) {
  GRAFT_ASSIGN_OR_RETURN(Reply reply, send(target, std::string(method), path, body));
  Json json = Json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  const bool success = reply.status >= 200 && reply.status < 300;
  if (success && !json.is_discarded()) return json;
  if (success) {
    return fail(ErrorCode::kCorrupt, fmt::format("the admin API at {} answered {} {} with "
                                                 "something that is not JSON",
                                                 target.address, method, path));
  }
  std::string cause = json.is_object() && json.contains("error") && json["error"].is_string()
                          ? json["error"].get<std::string>()
                          : std::string(base::trim(reply.body.substr(0, 200)));
  if (cause.empty()) cause = fmt::format("HTTP {}", reply.status);
  Error error(
      reply.status == 400 ? ErrorCode::kInvalidArgument : ErrorCode::kUnavailable,
      fmt::format("the admin API at {} refused {} {}: {}", target.address, method, path, cause));
  if (json.is_object() && json.contains("hint") && json["hint"].is_string()) {
    error.with_hint(json["hint"].get<std::string>());
  }
  if (reply.status == 401) error.with_hint("pass --token-file with the proxy's admin token");
  if (reply.status == 403) error.with_hint("run this on the proxy's machine, or set token_file");
  return fail(std::move(error));
}

Result<Json> parse_weight_assignments(const std::vector<std::string>& assignments) {
  Json weights = Json::object();
  for (const std::string& assignment : assignments) {
    const std::size_t equals = assignment.find('=');
    const std::string name = assignment.substr(0, equals);
    const std::string value = equals == std::string::npos ? "" : assignment.substr(equals + 1);
    const bool digits = !value.empty() && value.size() <= 7 &&
                        value.find_first_not_of("0123456789") == std::string::npos;
    if (name.empty() || !digits || std::stoul(value) > route::kMaxWeight) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("'{}' is not a valid weight: expected NAME=WEIGHT with WEIGHT "
                              "from 0 to {}, e.g. treatment=20",
                              assignment, route::kMaxWeight));
    }
    if (weights.contains(name)) {
      return fail(ErrorCode::kInvalidArgument, fmt::format("variant '{}' is given twice", name));
    }
    weights[name] = std::stoul(value);
  }
  return weights;
}

std::string format_weights(const Json& weights) {
  std::vector<std::string> parts;
  for (const auto& [name, weight] : weights.items()) parts.push_back(name + "=" + weight.dump());
  return base::join(parts, " ");
}

Result<std::string> format_status(const Json& status) {
  try {
    return format_status_or_throw(status);
  } catch (const Json::exception& error) {
    return fail(
        Error(ErrorCode::kCorrupt,
              fmt::format("the admin API sent a status this graft cannot read: {}", error.what()))
            .with_hint("use --json to see it as sent"));
  }
}

}  // namespace graft::cli
