// Body streaming of a Session: request bodies client -> upstream, response bodies
// upstream -> client, through the two fixed buffers, framed by Content-Length or by the
// chunked framer (chunked bodies pass through with their framing unchanged).
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
  std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(*remaining, available.size()));
  *remaining -= take;
  return take;
}

}  // namespace

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

asio::awaitable<Session::SendResult> Session::stream_body(tcp::socket& socket,
                                                          const BodyPlan& body,
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
      if (mirror_copy_.size() + part > out_head_.size() + worker_.state.options.mirror_max_body_bytes) {
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
    std::size_t part = no_body ? 0
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
  *upstream_reusable = response.keep_alive() && !until_close && upstream_in_->empty();
  co_return keep;
}

}  // namespace graft::proxy
