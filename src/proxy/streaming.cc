// Bodies of a Session: request bodies read whole before an upstream is picked
// (buffer_body), or streamed client -> upstream, and response bodies streamed upstream ->
// client, framed by Content-Length or by the chunked framer (chunked bodies pass through
// with their framing unchanged).
#include <algorithm>
#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/session.h"

namespace graft::proxy {
namespace asio = boost::asio;

namespace {

// How many of `available` bytes belong to the body still to come.
std::size_t body_part(bool chunked, ChunkedFramer* framer, std::uint64_t* remaining,
                      std::string_view available) {
  if (chunked) return framer->consume(available);
  std::size_t take =
      static_cast<std::size_t>(std::min<std::uint64_t>(*remaining, available.size()));
  *remaining -= take;
  return take;
}

}  // namespace

void Session::keep_head(const RequestHead** head) {
  if (owned_head_ && *head == &owned_head_->head) return;
  if (!owned_head_) owned_head_ = std::make_unique<OwnedHead>();
  // The head's bytes precede the body in the buffer (no parser skip before the request
  // line): a copy of them parses to the same head.
  owned_head_->text.assign((*head)->method.data(), (*head)->head_bytes);
  std::size_t scan = 0;
  [[maybe_unused]] ParseStatus reparsed =
      parse_request(owned_head_->text, owned_head_->text.size(), &scan, &owned_head_->head);
  *head = &owned_head_->head;
}

asio::awaitable<int> Session::buffer_body(const RequestHead** head, BodyPlan* body, BodyMode mode) {
  if (body->chunked && mode == BodyMode::kWhole) co_return 411;
  if (body->buffered || (!body->chunked && body->length == 0)) co_return 0;
  const std::size_t limit = std::max(base_capacity_, kBufferedBodyBytes);
  if (!body->chunked && body->length > limit) co_return mode == BodyMode::kWhole ? 413 : 0;
  keep_head(head);
  if ((*head)->expect_continue) co_await send_continue();
  const std::uint64_t max_body = worker_.state.options.config.limits.max_body_bytes;
  ChunkedFramer framer;
  std::size_t framed = 0;  // bytes of in_.unread() the framer has seen
  while (true) {
    if (body->chunked) {
      framed += framer.consume(in_.unread().substr(framed));
      if (framer.state() == ChunkedFramer::State::kError) co_return 400;
      if (framer.payload_bytes() > max_body) co_return 413;
      if (framer.state() == ChunkedFramer::State::kDone) break;
      if (framed >= limit) co_return 0;  // a large chunked body: streamed from here on
    } else if (in_.unread().size() >= body->length) {
      framed = body->length;
      break;
    }
    set_deadline(Phase::kClientBody);
    // The buffer grows only for a body that does not fit (and once per request at most).
    if (in_.unread().size() == in_.capacity()) in_.grow(base_capacity_ + limit);
    auto [data, size] = in_.space();
    boost::system::error_code error;
    std::size_t read = co_await client_.async_read_some(
        asio::buffer(data, size), asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return timed_out_ ? 408 : 400;
    body_received_ += read;
    in_.commit(read);
  }
  body->buffered = true;
  body->buffered_bytes = framed;
  co_return 0;
}

asio::awaitable<Session::SendResult> Session::send_request(tcp::socket& socket,
                                                           const BodyPlan& body,
                                                           bool* body_consumed,
                                                           std::uint64_t* bytes_in) {
  set_deadline(Phase::kUpstreamIo);
  boost::system::error_code error;
  if (body.buffered) {
    std::string_view bytes = in_.unread().substr(0, body.buffered_bytes);
    std::string_view head = out_head_;
    std::string_view rest = bytes;
    if (!write_now(socket, &head, &rest, &error)) error = co_await write_rest(socket, head, rest);
    *bytes_in = bytes.size();
    if (mirror_wanted_) {
      if (bytes.size() > worker_.state.options.mirror_max_body_bytes) {
        mirror_overflow_ = true;
      } else {
        mirror_copy_.assign(out_head_).append(bytes);
      }
    }
    co_return error ? SendResult::kUpstreamFailed : SendResult::kOk;
  }
  *body_consumed = true;
  co_return co_await stream_body(socket, body, bytes_in);
}

asio::awaitable<Session::SendResult> Session::stream_body(tcp::socket& socket, const BodyPlan& body,
                                                          std::uint64_t* bytes_in) {
  const std::uint64_t max_body = worker_.state.options.config.limits.max_body_bytes;
  ChunkedFramer framer;
  std::uint64_t remaining = body.length;
  std::string_view head = out_head_;
  if (mirror_wanted_) mirror_copy_.assign(out_head_);
  boost::system::error_code error;
  while (true) {
    std::size_t part = body_part(body.chunked, &framer, &remaining, in_.unread());
    if (framer.state() == ChunkedFramer::State::kError) co_return SendResult::kTooLarge;
    std::string_view bytes = in_.unread().substr(0, part);
    *bytes_in += part;
    if (body.chunked && framer.payload_bytes() > max_body) co_return SendResult::kTooLarge;
    if (mirror_wanted_ && !mirror_overflow_) {
      if (mirror_copy_.size() + part >
          out_head_.size() + worker_.state.options.mirror_max_body_bytes) {
        mirror_overflow_ = true;
        mirror_copy_.clear();
      } else {
        mirror_copy_.append(bytes);
      }
    }
    set_deadline(Phase::kUpstreamIo);
    std::string_view rest = bytes;
    if (!write_now(socket, &head, &rest, &error)) error = co_await write_rest(socket, head, rest);
    if (error) co_return SendResult::kUpstreamFailed;
    head = {};
    in_.consume(part);
    bool done = body.chunked ? framer.state() == ChunkedFramer::State::kDone : remaining == 0;
    if (done) co_return SendResult::kOk;
    set_deadline(Phase::kClientBody);
    auto [data, size] = in_.space();
    std::size_t read = co_await client_.async_read_some(
        asio::buffer(data, size), asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return SendResult::kClientFailed;
    body_received_ += read;
    in_.commit(read);
  }
}

asio::awaitable<bool> Session::relay_response(tcp::socket& socket, const RequestHead& request,
                                              const ResponseHead& response,
                                              std::string_view request_id, Outcome* outcome,
                                              bool* upstream_reusable) {
  bool no_body = response_has_no_body(method_, response.status);
  bool chunked = !no_body && response.chunked;
  bool until_close = !no_body && !chunked && !response.content_length;
  std::uint64_t remaining = no_body || chunked ? 0 : response.content_length.value_or(0);
  bool keep = request.keep_alive() && !until_close &&
              !worker_.state.stopping.load(std::memory_order_relaxed);
  build_client_head(response, request_id, outcome->variant, keep);
  outcome->status = response.status;
  upstream_in_->consume(response.head_bytes);
  ChunkedFramer framer;
  std::string_view head = out_head_;
  boost::system::error_code error;
  bool done = no_body || (!chunked && !until_close && remaining == 0);
  while (true) {
    std::string_view available = upstream_in_->unread();
    std::size_t part = no_body       ? 0
                       : until_close ? available.size()
                                     : body_part(chunked, &framer, &remaining, available);
    if (framer.state() == ChunkedFramer::State::kError) co_return false;
    if (!no_body && !until_close) {
      done = chunked ? framer.state() == ChunkedFramer::State::kDone : remaining == 0;
    }
    set_deadline(Phase::kClientWrite);
    std::string_view unsent_head = head;
    std::string_view body = available.substr(0, part);
    if (!write_now(client_, &unsent_head, &body, &error)) {
      error = co_await write_rest(client_, unsent_head, body);
    }
    if (error) co_return false;
    response_started_ = true;
    outcome->bytes_out += head.size() + part;
    head = {};
    upstream_in_->consume(part);
    if (done) break;
    set_deadline(Phase::kUpstreamIo);
    auto [data, size] = upstream_in_->space();
    std::size_t read = co_await socket.async_read_some(
        asio::buffer(data, size), asio::redirect_error(asio::use_awaitable, error));
    if (error) {
      if (until_close && error == asio::error::eof) break;
      co_return false;  // the upstream died mid-response: end the client's response
    }
    upstream_in_->commit(read);
  }
  // Bytes after the end of a framed response: the upstream ran past its framing, and its
  // connection is closed rather than pooled.
  bool overrun = !until_close && !upstream_in_->empty();
  if (overrun && outcome->upstream) worker_.note_overruns(*outcome->upstream, 1);
  *upstream_reusable = response.keep_alive() && !until_close && !overrun;
  co_return keep;
}

}  // namespace graft::proxy
