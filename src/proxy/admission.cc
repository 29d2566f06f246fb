// Session::admit: the Guard's checks around routing — authentication before (401 with
// WWW-Authenticate), the per-client rate limit after (429 with Retry-After). Signed
// requests, whose signature covers the body, have it read whole first (buffer_body).
#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <fmt/format.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/session.h"

namespace graft::proxy {
namespace asio = boost::asio;

asio::awaitable<Session::Admission> Session::admit(const RequestHead& original, BodyPlan* body,
                                                   Outcome* outcome) {
  Guard& guard = *worker_.state.guard;
  Admission admission{.head = &original};
  std::string_view body_bytes;
  if (guard.needs_body()) {
    admission.status = co_await buffer_body(&admission.head, body, BodyMode::kWhole);
    if (admission.status != 0) co_return admission;
    body_bytes = in_.unread().substr(0, body->buffered_bytes);
  }
  const RequestHead& head = *admission.head;
  AuthResult identity = guard.authenticate(head, body_bytes, std::chrono::system_clock::now());
  if (!identity) {
    admission.refusal_headers =
        fmt::format("WWW-Authenticate: {}\r\n", guard.challenge(identity.error()));
    admission.status = 401;
    co_return admission;
  }
  // After any co_await above: get() is called here, so the table reference is fresh.
  admission.mirror = choose_variant(head, worker_.table.get(), identity->subject, outcome);
  RateDecision rate =
      guard.limit(head, identity->subject, remote_ip_, outcome->variant, coarse_now());
  if (!rate.allowed) {
    admission.mirror.reset();  // a refused request is not mirrored either
    admission.refusal_headers = fmt::format("Retry-After: {}\r\n", rate.retry_after.count());
    admission.status = 429;
  }
  co_return admission;
}

}  // namespace graft::proxy
