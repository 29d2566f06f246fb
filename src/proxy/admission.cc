// Session::admit: the Guard's checks around routing — authentication before (401 with
// WWW-Authenticate), the per-client rate limit after (429 with Retry-After) — and
// Session::buffer_body for signed requests, whose signature covers the body.
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
  if (guard.needs_body() && (body->chunked || body->length > 0)) {
    if (!body->buffered) {
      // The head's bytes precede the body in the buffer (no parser skip before the
      // request line): keep a parsed copy, as reading may reuse that memory.
      owned_head_ = std::make_unique<OwnedHead>();
      owned_head_->text.assign(original.method.data(), original.head_bytes);
      std::size_t scan = 0;
      [[maybe_unused]] ParseStatus reparsed =
          parse_request(owned_head_->text, owned_head_->text.size(), &scan, &owned_head_->head);
      admission.head = &owned_head_->head;
    }
    admission.status = co_await buffer_body(*admission.head, body);
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

asio::awaitable<int> Session::buffer_body(const RequestHead& head, BodyPlan* body) {
  if (body->chunked) co_return 411;
  if (body->buffered) co_return 0;
  if (body->length > in_.capacity()) co_return 413;
  if (head.expect_continue) co_await send_continue();
  set_deadline(Phase::kClientBody);
  while (in_.unread().size() < body->length) {
    auto [data, size] = in_.space();
    if (size == 0) co_return 413;
    boost::system::error_code error;
    std::size_t read = co_await client_.async_read_some(
        asio::buffer(data, size), asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return timed_out_ ? 408 : 400;
    in_.commit(read);
  }
  body->buffered = true;
  body->buffered_bytes = body->length;
  co_return 0;
}

}  // namespace graft::proxy
