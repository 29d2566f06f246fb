#include "proxy/admin.h"

#include <optional>
#include <string>
#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "proxy/http_parser.h"
#include "proxy/request_keys.h"
#include "proxy/server_state.h"
#include "route/table.h"

namespace graft::proxy {
namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxAdminHead = 16 * 1024;
constexpr std::size_t kMaxAdminBody = 64 * 1024;
constexpr auto kAdminTimeout = std::chrono::seconds(10);

AdminResponse json_error(int status, std::string_view message) {
  return {status, "application/json", nlohmann::json{{"error", message}}.dump() + "\n"};
}

std::string weights_json(const route::RouteTable& table) {
  nlohmann::json weights = nlohmann::json::object();
  for (const route::Variant& variant : table.variants()) weights[variant.name] = variant.weight;
  return weights.dump() + "\n";
}

AdminResponse put_weights(Server& server, std::string_view body) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || parsed.empty()) {
    return json_error(400,
                      "weights must be a JSON object of variant names to weights, "
                      "e.g. {\"baseline\": 80, \"treatment\": 20}");
  }
  std::map<std::string, std::uint32_t, std::less<>> weights;
  for (const auto& [name, value] : parsed.items()) {
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() > route::kMaxWeight) {
      return json_error(400, fmt::format("weight of '{}' must be an integer from 0 to {}", name,
                                         route::kMaxWeight));
    }
    weights[name] = value.get<std::uint32_t>();
  }
  auto started = std::chrono::steady_clock::now();
  if (auto status = server.set_weights(weights); !status) {
    return json_error(400, status.error().message());
  }
  spdlog::info("weights changed to {} in {:.3f} ms", parsed.dump(),
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                   .count());
  return {200, "application/json", weights_json(*server.routes().load())};
}

// Reads one request (head and Content-Length body) into `buffer`.
asio::awaitable<ParseStatus> read_admin_request(tcp::socket& socket, std::string* buffer,
                                                RequestHead* head) {
  std::size_t scan = 0;
  std::size_t filled = 0;
  buffer->resize(kMaxAdminHead + kMaxAdminBody);
  ParseStatus status = ParseStatus::kNeedMore;
  boost::system::error_code error;
  while (true) {
    if (status == ParseStatus::kComplete) {
      if (head->chunked || head->content_length.value_or(0) > kMaxAdminBody) {
        co_return ParseStatus::kHeadTooLarge;
      }
      if (filled >= head->head_bytes + head->content_length.value_or(0)) break;
    }
    std::size_t read = co_await socket.async_read_some(
        asio::buffer(buffer->data() + filled, buffer->size() - filled),
        asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return ParseStatus::kBadRequest;
    filled += read;
    if (status != ParseStatus::kComplete) {
      status = parse_request(std::string_view(buffer->data(), filled), kMaxAdminHead, &scan, head);
      if (status != ParseStatus::kComplete && status != ParseStatus::kNeedMore) co_return status;
    }
  }
  buffer->resize(filled);
  co_return ParseStatus::kComplete;
}

// "host:port", "[v6]:port" or "host" (port 80) split; false when malformed.
bool split_host_port(std::string_view value, std::string_view* host, std::uint32_t* port) {
  std::size_t colon = value.rfind(':');
  if (colon == std::string_view::npos || value.find(']', colon) != std::string_view::npos) {
    *host = value;
    *port = 80;
    return !value.empty();
  }
  *host = value.substr(0, colon);
  std::string_view digits = value.substr(colon + 1);
  if (host->empty() || digits.empty() || digits.size() > 5) return false;
  *port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    *port = *port * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return true;
}

// The admin listener's own address as a Host value ("127.0.0.1:8081", "[::1]:8081").
std::string own_host(const Server::State& state) {
  const std::string& host = state.options.config.admin.host;
  bool v6 = host.find(':') != std::string::npos;
  return fmt::format("{}{}{}:{}", v6 ? "[" : "", host, v6 ? "]" : "", state.admin_port);
}

// Without a token the admin API trusts loopback peers, so a browser page must not reach it
// through another name (DNS rebinding): Host must be the listener's own address or a
// loopback name, with its port. (With a token, the token is the check: the API may then be
// reached through any name.)
bool host_allowed(const Server::State& state, std::string_view value) {
  std::string_view host;
  std::uint32_t port = 0;
  if (!split_host_port(value, &host, &port) || port != state.admin_port) return false;
  const std::string& own = state.options.config.admin.host;
  bool v6 = own.find(':') != std::string::npos;
  return iequals(host, "localhost") || host == "127.0.0.1" || host == "[::1]" ||
         (v6 ? host == "[" + own + "]" : host == own);
}

bool is_mutation(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// A browser sends Origin on cross-site requests: a change is accepted only from the admin
// API's own origin (http or https, the request's own Host), e.g. a dashboard it serves.
bool origin_allowed(std::string_view origin, std::optional<std::string_view> host) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (host && origin.substr(0, scheme.size()) == scheme &&
        iequals(origin.substr(scheme.size()), *host)) {
      return true;
    }
  }
  return false;
}

// Whether `head` asks for a public asset (AdminAccess::kPublic): a GET of an added route.
bool is_public(const Server::State& state, const RequestHead& head) {
  if (head.method != "GET") return false;
  const std::string_view path = std::string_view(head.target).substr(0, head.target.find('?'));
  for (const AdminRoute& route : state.server->admin_routes()) {
    if (route.path == path && route.method == "GET") return route.access == AdminAccess::kPublic;
  }
  return false;
}

// 401/403 for a request the admin API must not serve; nullopt when it may.
std::optional<AdminResponse> refuse(const Server::State& state, const tcp::endpoint& peer,
                                    const RequestHead& head) {
  std::optional<std::string_view> host = head.find("host");
  if (!state.admin_token.empty()) {
    if (is_public(state, head)) return std::nullopt;
    if (!bearer_token_matches(head.find("authorization"), state.admin_token)) {
      return json_error(401, "missing or wrong bearer token");
    }
  } else if (!peer.address().is_loopback()) {
    return json_error(403, "the admin API serves loopback clients only unless a token is set");
  } else if (host && !host_allowed(state, *host)) {
    return json_error(403, fmt::format("the Host '{}' does not name this admin API: use '{}'",
                                       *host, own_host(state)));
  }
  std::optional<std::string_view> origin = head.find("origin");
  if (origin && is_mutation(head.method) && !origin_allowed(*origin, host)) {
    return json_error(403, fmt::format("the Origin '{}' is not this admin API's own: changes "
                                       "from other sites are refused",
                                       *origin));
  }
  return std::nullopt;
}

AdminResponse authorize_and_handle(Server::State& state, const tcp::endpoint& peer,
                                   const RequestHead& head, std::string_view body) {
  if (std::optional<AdminResponse> refusal = refuse(state, peer, head)) return *refusal;
  return handle_admin_request(*state.server, head.method, head.target, body);
}

asio::awaitable<void> admin_session(Server::State& state, tcp::socket socket) {
  asio::steady_timer guard(socket.get_executor());
  guard.expires_after(kAdminTimeout);
  guard.async_wait([&socket](const boost::system::error_code& error) {
    boost::system::error_code ignored;
    if (!error) socket.close(ignored);
  });
  std::string buffer;
  RequestHead head;
  ParseStatus parsed = co_await read_admin_request(socket, &buffer, &head);
  boost::system::error_code error;
  tcp::endpoint peer = socket.remote_endpoint(error);
  if (error) co_return;
  AdminResponse response =
      parsed == ParseStatus::kComplete
          ? authorize_and_handle(state, peer, head,
                                 std::string_view(buffer).substr(head.head_bytes))
          : json_error(parsed == ParseStatus::kBadRequest ? 400 : 413, "malformed admin request");
  std::string extra = response.status == 401 ? "WWW-Authenticate: Bearer\r\n" : "";
  for (const auto& [name, value] : response.headers) extra += name + ": " + value + "\r\n";
  std::string reply = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n{}",
      response.status, response.status < 400 ? "OK" : "Error", response.content_type,
      response.body.size(), extra, response.body);
  co_await asio::async_write(socket, asio::buffer(reply),
                             asio::redirect_error(asio::use_awaitable, error));
  socket.shutdown(tcp::socket::shutdown_both, error);
  guard.cancel();
}

asio::awaitable<void> admin_accept_loop(Server::State& state) {
  while (!state.stopping.load()) {
    boost::system::error_code error;
    tcp::socket socket = co_await state.admin_acceptor->async_accept(
        asio::redirect_error(asio::use_awaitable, error));
    if (error) {
      if (error == asio::error::operation_aborted) co_return;
      continue;
    }
    asio::co_spawn(*state.control, admin_session(state, std::move(socket)), asio::detached);
  }
}

}  // namespace

AdminResponse handle_admin_request(Server& server, std::string_view method, std::string_view target,
                                   std::string_view body) {
  const std::size_t query_at = target.find('?');
  const std::string_view path = target.substr(0, query_at);
  const std::string_view query =
      query_at == std::string_view::npos ? std::string_view() : target.substr(query_at + 1);
  bool path_known = false;
  for (const AdminRoute& route : server.admin_routes()) {
    if (route.path != path) continue;
    path_known = true;
    if (route.method != method) continue;
    try {
      return route.handler(body, query);
    } catch (const std::exception& error) {
      return json_error(500, fmt::format("{} {} failed: {}", method, path, error.what()));
    }
  }
  auto allow = [&](std::string_view wanted) { return method == wanted; };
  if (path == "/status") {
    if (!allow("GET")) return json_error(405, "use GET /status");
    return {200, "application/json", server.status_json() + "\n"};
  }
  if (path == "/weights") {
    if (method == "GET") return {200, "application/json", weights_json(*server.routes().load())};
    if (method == "PUT") return put_weights(server, body);
    return json_error(405, "use GET or PUT /weights");
  }
  if (path == "/rollback") {
    if (!allow("POST")) return json_error(405, "use POST /rollback");
    server.rollback();
    return {200, "application/json", weights_json(*server.routes().load())};
  }
  if (path == "/reload") {
    if (!allow("POST")) return json_error(405, "use POST /reload");
    if (auto status = server.reload(); !status) return json_error(400, status.error().message());
    return {200, "application/json", server.status_json() + "\n"};
  }
  if (path == "/metrics") {
    if (!allow("GET")) return json_error(405, "use GET /metrics");
    return {200, "text/plain; version=0.0.4", server.metrics_text()};
  }
  if (path_known)
    return json_error(405, fmt::format("method {} is not allowed on {}", method, path));
  std::string known = "/status, /weights, /rollback, /reload, /metrics";
  for (const AdminRoute& route : server.admin_routes()) {
    if (known.find(route.path) == std::string::npos) known += ", " + route.path;
  }
  return json_error(404, fmt::format("unknown admin path '{}': try {}", path, known));
}

void start_admin(Server::State& state) {
  asio::co_spawn(*state.control, admin_accept_loop(state), asio::detached);
}

}  // namespace graft::proxy
