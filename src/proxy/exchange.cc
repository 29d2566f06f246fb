// Session::exchange: one request/response exchange with an upstream — connection from
// the worker's pool (or a new one, retried once on another upstream for idempotent
// methods), request head and body streamed up, response head rewritten and body streamed
// down. Every pooled connection is checked with a non-blocking peek before use
// (UpstreamPool::take): one with unread bytes (an upstream that ran past its framing) or
// closed by the upstream is discarded, so no client ever gets bytes meant for another
// request. A pooled connection the upstream closes just after that check is replaced
// transparently for idempotent requests whose body is still in the read buffer (replayed,
// as Go's http.Transport does); a POST is never sent twice.
#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <spdlog/spdlog.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "proxy/session.h"

namespace graft::proxy {
namespace asio = boost::asio;

namespace {

constexpr std::size_t kUpstreamBufferBytes = 16 * 1024;
constexpr int kMaxStaleRetries = 4;

bool is_hop_by_hop(std::string_view name) {
  return iequals(name, "connection") || iequals(name, "keep-alive") ||
         iequals(name, "proxy-connection") || iequals(name, "te") || iequals(name, "upgrade") ||
         iequals(name, "expect");
}

void append_field(std::string* out, std::string_view name, std::string_view value) {
  out->append(name).append(": ").append(value).append("\r\n");
}

void note_health(Server::State& state, Upstream& upstream, HealthSignal signal) {
  if (apply_health_signal(upstream, signal, state.options.config.health)) {
    bool healthy = upstream.healthy.load();
    spdlog::warn("upstream '{}' of variant '{}' is now {}: {}", upstream.label, upstream.variant,
                 healthy ? "healthy" : "down",
                 healthy ? "health checks pass again" : "requests failed");
    state.metrics.set_upstream_healthy(upstream.variant, upstream.label, healthy);
  }
}

}  // namespace

std::shared_ptr<Upstream> Session::pick_upstream(std::string_view variant,
                                                 const Upstream* exclude) {
  const auto* list = worker_.upstreams().of(variant);
  if (list == nullptr || list->empty()) return nullptr;
  std::size_t count = list->size();
  std::size_t start = worker_.round_robin++;
  const std::shared_ptr<Upstream>* fallback = nullptr;
  for (std::size_t i = 0; i < count; ++i) {
    const std::shared_ptr<Upstream>& candidate = (*list)[(start + i) % count];
    if (candidate.get() == exclude) continue;
    if (candidate->healthy.load(std::memory_order_relaxed)) return candidate;
    if (fallback == nullptr) fallback = &candidate;
  }
  if (fallback != nullptr) return *fallback;
  return nullptr;  // nothing healthy: the fallback above tries anyway rather than refuse
}

void Session::build_upstream_head(const RequestHead& head, std::string_view request_id,
                                  const Upstream& upstream) {
  out_head_.clear();
  out_head_.append(head.method).append(" ").append(head.target).append(" HTTP/1.1\r\n");
  // An HTTP/1.0 request may come without Host; the HTTP/1.1 one sent on needs one.
  if (!head.find("host")) append_field(&out_head_, "Host", upstream.label);
  bool has_id = false;
  std::string_view forwarded_for;
  for (std::size_t i = 0; i < head.field_count; ++i) {
    const HeaderField& field = head.fields[i];
    if (is_hop_by_hop(field.name)) continue;
    if (iequals(field.name, "x-forwarded-for")) {
      forwarded_for = field.value;
      continue;
    }
    if (iequals(field.name, "x-request-id")) {
      if (field.value != request_id) continue;  // an unacceptable id we replaced
      has_id = true;
    }
    append_field(&out_head_, field.name, field.value);
  }
  if (!has_id) append_field(&out_head_, "X-Request-Id", request_id);
  out_head_.append("X-Forwarded-For: ");
  if (!forwarded_for.empty()) out_head_.append(forwarded_for).append(", ");
  out_head_.append(remote_ip_).append("\r\n");
  append_field(&out_head_, "X-Graft-Routed-Variant", upstream.variant);
  out_head_.append("\r\n");
}

void Session::build_client_head(const ResponseHead& response, std::string_view request_id,
                                std::string_view variant, bool keep_alive) {
  out_head_.clear();
  char status[4] = {static_cast<char>('0' + response.status / 100),
                    static_cast<char>('0' + response.status / 10 % 10),
                    static_cast<char>('0' + response.status % 10), '\0'};
  out_head_.append("HTTP/1.1 ").append(status).append(" ").append(response.reason).append("\r\n");
  bool has_id = false;
  for (std::size_t i = 0; i < response.field_count; ++i) {
    const HeaderField& field = response.fields[i];
    if (iequals(field.name, "connection") || iequals(field.name, "keep-alive") ||
        iequals(field.name, "x-graft-variant")) {
      continue;
    }
    if (iequals(field.name, "x-request-id")) has_id = true;
    append_field(&out_head_, field.name, field.value);
  }
  append_field(&out_head_, "X-Graft-Variant", variant);
  if (!has_id) append_field(&out_head_, "X-Request-Id", request_id);
  if (!keep_alive) out_head_.append("Connection: close\r\n");
  out_head_.append("\r\n");
}

asio::awaitable<bool> Session::connect(const Upstream& upstream, tcp::socket* socket) {
  *socket = tcp::socket(worker_.io);
  upstream_socket_ = socket;
  set_deadline(Phase::kConnect);
  boost::system::error_code error;
  co_await socket->async_connect(upstream.endpoint,
                                 asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return false;
  socket->set_option(tcp::no_delay(true), error);
  socket->non_blocking(true, error);  // for write_now()
  co_return true;
}

asio::awaitable<bool> Session::fail_exchange(int status, std::string_view request_id,
                                             Outcome* outcome) {
  if (!response_started_)
    co_await send_error(status, request_id, outcome);
  else
    outcome->status = outcome->status == 0 ? status : outcome->status;
  co_return false;
}

asio::awaitable<bool> Session::exchange(const RequestHead& head, const BodyPlan& body,
                                        std::string_view request_id, Outcome* outcome) {
  Attempt attempt{.upstream = pick_upstream(outcome->variant, nullptr)};
  if (attempt.upstream == nullptr) co_return co_await fail_exchange(502, request_id, outcome);
  build_upstream_head(head, request_id, *attempt.upstream);
  if (!upstream_in_) upstream_in_ = std::make_unique<Buffer>(kUpstreamBufferBytes);
  upstream_in_->clear();
  tcp::socket socket(worker_.io);
  ResponseHead response;
  while (true) {
    if (!take_pooled(&attempt, &socket) && !co_await connect_any(head, &attempt, &socket)) {
      outcome->upstream = attempt.upstream;
      co_return co_await fail_exchange(timed_out_ ? 504 : 502, request_id, outcome);
    }
    upstream_socket_ = &socket;
    attempt.upstream->requests.fetch_add(1, std::memory_order_relaxed);
    attempt.started = Clock::now();
    SendResult sent =
        co_await send_request(socket, body, &attempt.body_consumed, &outcome->bytes_in);
    bool got_bytes = false;
    if (sent == SendResult::kOk && co_await read_response_head(socket, &response, &got_bytes)) {
      break;
    }
    Failure failure = after_failed_attempt(head, sent, got_bytes, &attempt, &socket);
    if (failure == Failure::kReplay) continue;
    if (failure == Failure::kClientGone) {
      // A request body too slow to arrive gets its 408; a client that left gets nothing.
      if (timed_out_) co_return co_await fail_exchange(408, request_id, outcome);
      co_return false;
    }
    if (failure == Failure::kTooLarge) co_return co_await fail_exchange(413, request_id, outcome);
    outcome->upstream = attempt.upstream;
    co_return co_await fail_exchange(timed_out_ ? 504 : 502, request_id, outcome);
  }
  if (!attempt.body_consumed) in_.consume(body.buffered_bytes);
  begin_relay(response, attempt, outcome);
  bool reusable = false;
  bool keep = co_await relay_response(socket, head, response, request_id, outcome, &reusable);
  end_relay(attempt, std::move(socket), reusable, outcome);
  co_return keep;
}

bool Session::take_pooled(Attempt* attempt, tcp::socket* socket) {
  attempt->reused = false;
  if (attempt->stale >= kMaxStaleRetries) return false;
  std::size_t overruns = 0;
  attempt->reused = worker_.pool.take(*attempt->upstream, socket, &overruns);
  worker_.note_overruns(*attempt->upstream, overruns);
  return attempt->reused;
}

asio::awaitable<bool> Session::connect_any(const RequestHead& head, Attempt* attempt,
                                           tcp::socket* socket) {
  Server::State& state = worker_.state;
  while (!co_await connect(*attempt->upstream, socket)) {
    Upstream& failed = *attempt->upstream;
    note_health(state, failed, HealthSignal::kPassiveFailed);
    std::shared_ptr<Upstream> other = head.idempotent() && !attempt->retried_connect && !timed_out_
                                          ? pick_upstream(failed.variant, &failed)
                                          : nullptr;
    if (other == nullptr || other == attempt->upstream) co_return false;
    attempt->retried_connect = true;
    worker_.stats.count(Event::kRetry);
    attempt->upstream = std::move(other);
    if (take_pooled(attempt, socket)) co_return true;
  }
  co_return true;
}

Session::Failure Session::after_failed_attempt(const RequestHead& head, SendResult sent,
                                               bool got_bytes, Attempt* attempt,
                                               tcp::socket* socket) {
  boost::system::error_code ignored;
  socket->close(ignored);
  if (sent == SendResult::kClientFailed) return Failure::kClientGone;
  if (sent == SendResult::kTooLarge) return Failure::kTooLarge;
  if (attempt->reused && head.idempotent() && !attempt->body_consumed && !got_bytes &&
      !timed_out_) {
    ++attempt->stale;  // the upstream closed a pooled connection: replay on another one
    upstream_in_->clear();
    return Failure::kReplay;
  }
  note_health(worker_.state, *attempt->upstream, HealthSignal::kPassiveFailed);
  return Failure::kUpstreamFailed;
}

void Session::begin_relay(const ResponseHead& response, const Attempt& attempt, Outcome* outcome) {
  note_health(worker_.state, *attempt.upstream,
              response.status >= 500 ? HealthSignal::kPassiveFailed : HealthSignal::kPassiveOk);
  outcome->upstream = attempt.upstream;
  if (auto version = response.find("x-model-version")) outcome->model_version = *version;
}

void Session::end_relay(const Attempt& attempt, tcp::socket socket, bool reusable,
                        Outcome* outcome) {
  outcome->upstream_latency_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - attempt.started).count();
  upstream_socket_ = nullptr;
  if (reusable && !worker_.state.stopping.load(std::memory_order_relaxed)) {
    worker_.pool.give_back(*attempt.upstream, std::move(socket));
  }
}

asio::awaitable<bool> Session::read_response_head(tcp::socket& socket, ResponseHead* response,
                                                  bool* got_bytes) {
  std::size_t scan = 0;
  set_deadline(Phase::kUpstreamIo);
  while (true) {
    auto [data, size] = upstream_in_->space();
    if (size == 0) co_return false;  // head larger than the buffer
    boost::system::error_code error;
    std::size_t read = co_await socket.async_read_some(
        asio::buffer(data, size), asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return false;
    *got_bytes = true;
    upstream_in_->commit(read);
    ParseStatus status =
        parse_response(upstream_in_->unread(), kUpstreamBufferBytes, &scan, response);
    if (status == ParseStatus::kNeedMore) continue;
    if (status != ParseStatus::kComplete) co_return false;
    if (response->status >= 100 && response->status < 200) {
      upstream_in_->consume(response->head_bytes);  // drop interim responses
      scan = 0;
      if (upstream_in_->empty()) continue;
      status = parse_response(upstream_in_->unread(), kUpstreamBufferBytes, &scan, response);
      if (status == ParseStatus::kNeedMore) continue;
      if (status != ParseStatus::kComplete || response->status < 200) co_return false;
    }
    co_return true;
  }
}

}  // namespace graft::proxy
