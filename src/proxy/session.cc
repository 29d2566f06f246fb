#include "proxy/session.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "proxy/request_keys.h"
#include "route/table.h"

namespace graft::proxy {
namespace asio = boost::asio;

namespace {

constexpr std::size_t kMinBufferBytes = 16 * 1024;

std::string_view reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

std::string error_response(int status, std::string_view request_id,
                           std::string_view extra_headers) {
  std::string body = fmt::format("{} {}\n", status, reason_phrase(status));
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n"
      "X-Request-Id: {}\r\n{}Connection: close\r\n\r\n{}",
      status, reason_phrase(status), body.size(), request_id, extra_headers, body);
}

}  // namespace

bool write_now(tcp::socket& socket, std::string_view* first, std::string_view* second,
               boost::system::error_code* error) {
  std::array<asio::const_buffer, 2> buffers{asio::buffer(*first), asio::buffer(*second)};
  std::size_t written = socket.write_some(buffers, *error);
  if (*error == asio::error::would_block || *error == asio::error::try_again) {
    error->clear();
    written = 0;
  }
  if (written < first->size()) {
    first->remove_prefix(written);
  } else {
    second->remove_prefix(written - first->size());
    *first = {};
  }
  return *error || (first->empty() && second->empty());
}

asio::awaitable<boost::system::error_code> write_rest(tcp::socket& socket, std::string_view first,
                                                      std::string_view second) {
  std::array<asio::const_buffer, 2> buffers{asio::buffer(first), asio::buffer(second)};
  boost::system::error_code error;
  co_await asio::async_write(socket, buffers, asio::redirect_error(asio::use_awaitable, error));
  co_return error;
}

namespace {

// Near max_connections, idle keep-alive connections make room for new ones, the idlest
// first: one for every new connection from 90% of the limit on, two at the limit. True
// when the new connection may be served.
bool make_room(Worker& worker) {
  auto limit = static_cast<std::int64_t>(worker.state.options.config.limits.max_connections);
  std::int64_t open = worker.state.connections.load(std::memory_order_relaxed);
  std::int64_t high_water = limit - std::max<std::int64_t>(1, limit / 10);
  if (open < high_water) return true;
  std::size_t closed = worker.close_idlest(open >= limit ? 2 : 1);
  if (closed > 0) {
    worker.stats.count(Event::kIdleClosed, closed);
    if (worker.should_warn()) {
      spdlog::warn(
          "{} of {} connections open (max_connections): closing the idlest keep-alive "
          "connections first",
          open, limit);
    }
  }
  return open < limit || closed > 0;
}

}  // namespace

void spawn_session(Worker& worker, tcp::socket client) {
  if (!make_room(worker)) {
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    [[maybe_unused]] auto sent =
        ::send(client.native_handle(), kBusy.data(), kBusy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (worker.should_warn()) {
      spdlog::warn("refusing connections: {} open and none idle (max_connections)",
                   worker.state.connections.load(std::memory_order_relaxed));
    }
    return;
  }
  boost::system::error_code ignored;
  client.set_option(tcp::no_delay(true), ignored);
  client.non_blocking(true, ignored);  // for write_now()
  auto session = std::make_shared<Session>(worker, std::move(client));
  asio::co_spawn(
      worker.io, [session]() { return session->run(); }, asio::detached);
}

Session::Session(Worker& worker, tcp::socket client)
    : worker_(worker),
      client_(std::move(client)),
      base_capacity_(std::max<std::size_t>(worker.state.options.config.limits.max_header_bytes + 1,
                                           kMinBufferBytes)),
      in_(base_capacity_) {
  worker_.state.connections.fetch_add(1, std::memory_order_relaxed);
  worker_.stats.connection_opened();
  worker_.add(this);
  boost::system::error_code error;
  auto remote = client_.remote_endpoint(error);
  if (!error) remote_ip_ = remote.address().to_string();
}

Session::~Session() {
  worker_.mark_busy(this);
  worker_.remove(this);
  worker_.state.connections.fetch_sub(1, std::memory_order_relaxed);
  worker_.stats.connection_closed();
}

void Session::set_deadline(Phase phase) {
  const route::TimeoutsConfig& timeouts = worker_.state.options.config.timeouts;
  phase_ = phase;
  Clock::time_point now = coarse_now();
  std::chrono::milliseconds timeout = timeouts.read;
  switch (phase) {
    case Phase::kIdle:
      timeout = first_request_ ? std::min(timeouts.header, timeouts.first_byte) : timeouts.idle;
      break;
    case Phase::kHead: timeout = timeouts.header; break;
    case Phase::kConnect: timeout = timeouts.connect; break;
    case Phase::kClientBody: {
      // No pause longer than timeouts.body, and on average min_body_rate bytes per second
      // after a grace of timeouts.body.
      if (body_started_ == Clock::time_point{}) body_started_ = now;
      deadline = now + timeouts.body;
      if (std::uint64_t rate = worker_.state.options.config.limits.min_body_rate; rate > 0) {
        auto earned = std::chrono::milliseconds(body_received_ * 1000 / rate);
        deadline = std::min(deadline, body_started_ + timeouts.body + earned);
      }
      return;
    }
    case Phase::kUpstreamIo:
    case Phase::kClientWrite: break;
  }
  deadline = now + timeout;
}

void Session::on_timeout() {
  timed_out_ = true;
  boost::system::error_code ignored;
  if ((phase_ == Phase::kConnect || phase_ == Phase::kUpstreamIo) && upstream_socket_) {
    upstream_socket_->cancel(ignored);
  } else {
    client_.cancel(ignored);
  }
}

void Session::on_shutdown() {
  boost::system::error_code ignored;
  if (phase_ == Phase::kIdle) client_.cancel(ignored);
}

void Session::on_evict() {
  boost::system::error_code ignored;
  client_.cancel(ignored);  // the idle read ends as a close (read_head: kClosed)
}

asio::awaitable<void> Session::run() {
  auto self = shared_from_this();
  while (!worker_.state.stopping.load(std::memory_order_relaxed)) {
    RequestHead head;
    HeadResult result = co_await read_head(&head);
    first_request_ = false;
    if (result == HeadResult::kClosed) break;
    if (result != HeadResult::kComplete) {
      Outcome outcome;
      int status = result == HeadResult::kTimedOut ? 408 : result == HeadResult::kBad ? 400 : 431;
      std::string id = format_request_id(worker_.random(), worker_.random());
      method_.clear();
      target_.clear();
      auto wall = std::chrono::system_clock::now();
      Clock::time_point started = Clock::now();
      co_await send_error(status, id, &outcome);
      finish(id, outcome, started, wall);
      break;
    }
    if (!co_await handle(head)) break;
  }
  boost::system::error_code ignored;
  client_.shutdown(tcp::socket::shutdown_send, ignored);
  client_.close(ignored);
}

asio::awaitable<Session::HeadResult> Session::read_head(RequestHead* head) {
  std::size_t scan = 0;
  std::size_t limit = worker_.state.options.config.limits.max_header_bytes;
  set_deadline(in_.empty() ? Phase::kIdle : Phase::kHead);
  if (phase_ == Phase::kIdle) worker_.mark_idle(this);
  while (true) {
    if (!in_.empty()) {
      switch (parse_request(in_.unread(), limit, &scan, head)) {
        case ParseStatus::kComplete: co_return HeadResult::kComplete;
        case ParseStatus::kNeedMore: break;
        case ParseStatus::kBadRequest: co_return HeadResult::kBad;
        case ParseStatus::kHeadTooLarge:
        case ParseStatus::kTooManyFields: co_return HeadResult::kTooLarge;
      }
    }
    auto [data, size] = in_.space();
    if (size == 0) co_return HeadResult::kTooLarge;
    boost::system::error_code error;
    std::size_t read = co_await client_.async_read_some(
        asio::buffer(data, size), asio::redirect_error(asio::use_awaitable, error));
    worker_.mark_busy(this);
    if (error) {
      bool mid_head = phase_ == Phase::kHead && !in_.empty();
      co_return timed_out_&& mid_head ? HeadResult::kTimedOut : HeadResult::kClosed;
    }
    in_.commit(read);
    if (phase_ == Phase::kIdle) set_deadline(Phase::kHead);
  }
}

asio::awaitable<void> Session::send_error(int status, std::string_view request_id, Outcome* outcome,
                                          std::string_view extra_headers) {
  std::string response = error_response(status, request_id, extra_headers);
  set_deadline(Phase::kClientWrite);
  boost::system::error_code error;
  std::string_view first = response;
  std::string_view second;
  if (!write_now(client_, &first, &second, &error)) error = co_await write_rest(client_, first, {});
  outcome->status = status;
  outcome->bytes_out = error ? 0 : response.size();
  outcome->keep_alive = false;
}

}  // namespace graft::proxy
