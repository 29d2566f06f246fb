// Session::handle: one request from parsed head to access-log line — body plan, request
// id, admission (auth, routing with failover to the baseline, rate limit), a small body
// read whole, the exchange, and the mirror copy.
#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <spdlog/spdlog.h>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/request_keys.h"
#include "proxy/session.h"
#include "route/table.h"

namespace graft::proxy {
namespace asio = boost::asio;

namespace {

// Classifies the body from the bytes already read after the head. False: malformed
// chunked framing.
bool plan_body(const RequestHead& head, std::string_view after_head, BodyPlan* plan) {
  if (head.chunked) {
    plan->chunked = true;
    ChunkedFramer probe;
    std::size_t used = probe.consume(after_head);
    if (probe.state() == ChunkedFramer::State::kError) return false;
    plan->buffered = probe.state() == ChunkedFramer::State::kDone;
    plan->buffered_bytes = plan->buffered ? used : 0;
    return true;
  }
  plan->length = head.content_length.value_or(0);
  plan->buffered = after_head.size() >= plan->length;
  plan->buffered_bytes = plan->buffered ? plan->length : 0;
  return true;
}

}  // namespace

std::optional<std::string> Session::choose_variant(const RequestHead& head,
                                                   const route::RouteTable& table,
                                                   std::string_view subject, Outcome* outcome) {
  Server::State& state = worker_.state;
  const UpstreamSet& upstreams = worker_.upstreams();
  route::RouteRequest route_request{.sticky_key = sticky_value(head, table.sticky()),
                                    .random = worker_.random()};
  if (table.sticky().source == route::StickySource::kSubject && !subject.empty()) {
    route_request.sticky_key = subject;
  }
  if (table.overrides().enabled) {
    route_request.override_value = head.find(table.overrides().header);
    if (route_request.override_value && table.overrides().require_token) {
      route_request.override_token_valid =
          bearer_token_matches(head.find("authorization"), state.admin_token);
    }
  }
  route::RouteDecision decision = table.route(route_request);
  if (decision.key_hash) outcome->user = route::format_user_hash(*decision.key_hash);
  std::size_t variant = decision.variant;
  if (variant != 0 && !upstreams.any_healthy(table.variants()[variant].name)) {
    const std::string& unhealthy = table.variants()[variant].name;
    worker_.stats.failover(unhealthy);
    if (worker_.should_warn()) {
      spdlog::warn(
          "variant '{}' has no healthy upstream: sending its requests to the "
          "baseline '{}'",
          unhealthy, table.variants()[0].name);
    }
    outcome->failover_from = unhealthy;
    variant = 0;
  }
  outcome->variant = table.variants()[variant].name;
  if (decision.mirror && upstreams.of(table.variants()[*decision.mirror].name)) {
    mirror_wanted_ = true;
    return table.variants()[*decision.mirror].name;
  }
  return std::nullopt;
}

asio::awaitable<bool> Session::handle(const RequestHead& head) {
  auto wall = worker_.state.access_log ? std::chrono::system_clock::now()
                                       : std::chrono::system_clock::time_point();
  Clock::time_point started = Clock::now();
  method_.assign(head.method);
  target_.assign(head.target);
  response_started_ = continue_sent_ = false;
  mirror_wanted_ = mirror_overflow_ = false;
  body_started_ = {};
  body_received_ = 0;
  std::optional<std::string_view> incoming_id = head.find("x-request-id");
  std::string request_id = incoming_id && acceptable_request_id(*incoming_id)
                               ? std::string(*incoming_id)
                               : format_request_id(worker_.random(), worker_.random());
  Outcome outcome;
  in_.consume(head.head_bytes);  // the head's views stay valid until the next read
  BodyPlan body;
  int early_status = plan_request_body(head, &body);
  Admission admission{.head = &head};
  if (early_status == 0 && worker_.state.guard) {
    admission = co_await admit(head, &body, &outcome);
    early_status = admission.status;
  } else {
    // The table reference is only valid until this worker's next get(): use it before any
    // co_await and keep copies of what is needed after.
    admission.mirror = choose_variant(head, worker_.table.get(), {}, &outcome);
  }
  // A small body is read whole before an upstream is picked: a slow client holds no
  // upstream connection for it.
  if (early_status == 0) {
    early_status = co_await buffer_body(&admission.head, &body, BodyMode::kSmall);
    if (early_status != 0) admission.mirror.reset();
  }
  bool keep = false;
  if (early_status != 0) {
    co_await send_error(early_status, request_id, &outcome, admission.refusal_headers);
  } else {
    if (head.expect_continue && !body.buffered) co_await send_continue();
    keep = co_await exchange(*admission.head, body, request_id, &outcome);
  }
  settle_mirror(std::move(admission.mirror));
  finish(request_id, outcome, started, wall);
  in_.shrink(base_capacity_);
  co_return keep;
}

int Session::plan_request_body(const RequestHead& head, BodyPlan* body) const {
  if (!plan_body(head, in_.unread(), body)) return 400;
  if (body->length > worker_.state.options.config.limits.max_body_bytes) return 413;
  return 0;
}

asio::awaitable<void> Session::send_continue() {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  if (std::exchange(continue_sent_, true)) co_return;
  set_deadline(Phase::kClientWrite);
  // A failed write shows again when the body is read.
  boost::system::error_code error;
  std::string_view first = kContinue;
  std::string_view second;
  if (!write_now(client_, &first, &second, &error)) co_await write_rest(client_, first, {});
}

void Session::settle_mirror(std::optional<std::string> variant) {
  if (!mirror_wanted_ || !variant) return;
  if (mirror_overflow_ || mirror_copy_.empty()) {
    worker_.stats.count(Event::kMirrorDropped);
  } else {
    spawn_mirror(worker_, std::move(*variant), std::move(mirror_copy_));
  }
  mirror_copy_.clear();
}

void Session::finish(std::string_view request_id, const Outcome& outcome, Clock::time_point started,
                     std::chrono::system_clock::time_point wall) {
  Server::State& state = worker_.state;
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  worker_.stats.record(outcome.variant.empty() ? std::string_view("none") : outcome.variant,
                       outcome.status, seconds);
  if (!state.access_log) return;
  state.access_log->append({.time = wall,
                            .request_id = request_id,
                            .method = method_,
                            .path = std::string_view(target_).substr(0, target_.find('?')),
                            .status = outcome.status,
                            .variant = outcome.variant,
                            .upstream = outcome.upstream ? outcome.upstream->label : "",
                            .latency_ms = seconds * 1000.0,
                            .upstream_latency_ms = outcome.upstream_latency_ms,
                            .bytes_in = outcome.bytes_in,
                            .bytes_out = outcome.bytes_out,
                            .user = outcome.user,
                            .model_version = outcome.model_version,
                            .failover_from = outcome.failover_from});
}

}  // namespace graft::proxy
