// One client connection of the data plane (internal to the proxy module). The request
// loop lives in session.cc, the upstream exchange in exchange.cc.
//
// Thread-safety: a Session lives on one worker's thread; nothing else touches it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // before asio: awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>

#include "proxy/http_parser.h"
#include "proxy/server_state.h"
#include "route/table.h"

namespace graft::proxy {

// Who a deadline closes: the client socket or the current upstream socket.
enum class Phase { kIdle, kHead, kClientBody, kConnect, kUpstreamIo, kClientWrite };

// What one proxied request produced, for the access log and metrics.
struct Outcome {
  int status = 0;
  std::string variant;
  // The variant the request was routed to when it had no healthy upstream and the baseline
  // (`variant`) served it instead; empty otherwise.
  std::string failover_from;
  std::shared_ptr<Upstream> upstream;  // shared: a reload may drop it from the set meanwhile
  double upstream_latency_ms = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::string model_version;
  std::string user;
  bool keep_alive = false;
};

// Request bodies up to this size are read whole before an upstream is picked, so a slow
// client never holds an upstream connection for them; larger ones are streamed.
inline constexpr std::size_t kBufferedBodyBytes = 64 * 1024;

// How a request body arrives: none, all of it already in the read buffer, or streamed.
struct BodyPlan {
  bool chunked = false;
  std::uint64_t length = 0;  // Content-Length bodies
  bool buffered = false;     // the whole body is in the client buffer after the head
  std::uint64_t buffered_bytes = 0;
};

class Session : public Timed, public std::enable_shared_from_this<Session> {
 public:
  Session(Worker& worker, tcp::socket client);
  ~Session() override;
  boost::asio::awaitable<void> run();
  void on_timeout() override;
  void on_shutdown() override;
  void on_evict() override;

 private:
  enum class HeadResult { kComplete, kClosed, kTimedOut, kBad, kTooLarge };
  boost::asio::awaitable<HeadResult> read_head(RequestHead* head);
  boost::asio::awaitable<bool> handle(const RequestHead& head);
  // Classifies the request body into `body`; returns 400 (malformed chunked framing), 413
  // (declared length over the limit) or 0.
  int plan_request_body(const RequestHead& head, BodyPlan* body) const;
  // Sends `100 Continue` to a client that waits for it before sending the body.
  boost::asio::awaitable<void> send_continue();
  // Hands the mirror copy of the request just answered to spawn_mirror, or counts it
  // as dropped.
  void settle_mirror(std::optional<std::string> variant);
  // Routes the request (sticky key, override, weights), fails over to the baseline when
  // the variant has no healthy upstream, fills outcome->variant/user. Returns the mirror
  // variant's name when a copy is due.
  // `subject` is the authenticated subject ("" when none), the sticky key under auth:sub.
  std::optional<std::string> choose_variant(const RequestHead& head, const route::RouteTable& table,
                                            std::string_view subject, Outcome* outcome);
  // admission.cc: authentication (401), routing, rate limit (429) through the Guard.
  struct Admission {
    int status = 0;               // 0: go on; else the status to answer
    std::string refusal_headers;  // the WWW-Authenticate or Retry-After line
    std::optional<std::string> mirror;
    // The head to use from here on: `head`, or a copy when the body was read after it
    // (reading may overwrite the buffer the head's views point into).
    const RequestHead* head = nullptr;
  };
  boost::asio::awaitable<Admission> admit(const RequestHead& head, BodyPlan* body,
                                          Outcome* outcome);
  // How much of a body buffer_body reads: all of it (signed requests, whose signature
  // covers it), or all of a small one (up to kBufferedBodyBytes, or max_header_bytes when
  // larger) and none or the first part of a larger one, which is then streamed.
  enum class BodyMode { kWhole, kSmall };
  // The one routine that reads a request body into the client buffer before an upstream
  // is picked (growing the buffer as needed), under the body deadline (timeouts.body,
  // limits.min_body_rate). Returns 0 (body->buffered says whether all of it is there),
  // or the status to answer: 408 (too slow), 400 (malformed chunked framing or the client
  // left), 411 (chunked in kWhole mode), 413 (over the limit). When it reads, *head is
  // replaced by an owned copy (reading may move the bytes the original points into).
  boost::asio::awaitable<int> buffer_body(const RequestHead** head, BodyPlan* body, BodyMode mode);
  // Points *head at a copy of it whose views do not point into the client buffer.
  void keep_head(const RequestHead** head);
  // `extra_headers`: whole header lines ("Name: value\r\n") added to the response.
  boost::asio::awaitable<void> send_error(int status, std::string_view request_id, Outcome* outcome,
                                          std::string_view extra_headers = {});
  void finish(std::string_view request_id, const Outcome& outcome, Clock::time_point started,
              std::chrono::system_clock::time_point wall);

  // exchange.cc
  // The state of one exchange across its attempts (stale pooled connections replayed, one
  // connect retry on another upstream).
  struct Attempt {
    std::shared_ptr<Upstream> upstream;
    bool reused = false;         // the current connection came from the pool
    bool body_consumed = false;  // the body was streamed, so it cannot be replayed
    bool retried_connect = false;
    int stale = 0;              // pooled connections found closed so far
    Clock::time_point started;  // request sent upstream
  };
  enum class SendResult { kOk, kUpstreamFailed, kClientFailed, kTooLarge };
  // What to do after an attempt that got no response head.
  enum class Failure { kReplay, kClientGone, kTooLarge, kUpstreamFailed };
  // Forwards the request to an upstream of outcome->variant and relays the response.
  // Returns whether the client connection stays open.
  boost::asio::awaitable<bool> exchange(const RequestHead& head, const BodyPlan& body,
                                        std::string_view request_id, Outcome* outcome);
  boost::asio::awaitable<bool> fail_exchange(int status, std::string_view request_id,
                                             Outcome* outcome);
  // An idle pooled connection to attempt->upstream with nothing unread in *socket; false
  // when the pool has none (or this request found too many stale ones already).
  bool take_pooled(Attempt* attempt, tcp::socket* socket);
  // A new connection to attempt->upstream, moving once to another upstream of the variant
  // after a connect failure for idempotent methods. False: no connection.
  boost::asio::awaitable<bool> connect_any(const RequestHead& head, Attempt* attempt,
                                           tcp::socket* socket);
  // Closes the connection and decides: replay a request on a stale pooled connection, or
  // give up (passive health signal counted).
  Failure after_failed_attempt(const RequestHead& head, SendResult sent, bool got_bytes,
                               Attempt* attempt, tcp::socket* socket);
  void begin_relay(const ResponseHead& response, const Attempt& attempt, Outcome* outcome);
  // Records the upstream latency and returns a reusable connection to the pool.
  void end_relay(const Attempt& attempt, tcp::socket socket, bool reusable, Outcome* outcome);
  boost::asio::awaitable<bool> connect(const Upstream& upstream, tcp::socket* socket);
  boost::asio::awaitable<SendResult> send_request(tcp::socket& socket, const BodyPlan& body,
                                                  bool* body_consumed, std::uint64_t* bytes_in);
  boost::asio::awaitable<SendResult> stream_body(tcp::socket& socket, const BodyPlan& body,
                                                 std::uint64_t* bytes_in);
  boost::asio::awaitable<bool> read_response_head(tcp::socket& socket, ResponseHead* response,
                                                  bool* got_bytes);
  boost::asio::awaitable<bool> relay_response(tcp::socket& socket, const RequestHead& request,
                                              const ResponseHead& response,
                                              std::string_view request_id, Outcome* outcome,
                                              bool* upstream_reusable);
  void build_upstream_head(const RequestHead& head, std::string_view request_id,
                           const Upstream& upstream);
  void build_client_head(const ResponseHead& response, std::string_view request_id,
                         std::string_view variant, bool keep_alive);
  std::shared_ptr<Upstream> pick_upstream(std::string_view variant, const Upstream* exclude);
  void set_deadline(Phase phase);

  Worker& worker_;
  tcp::socket client_;
  tcp::socket* upstream_socket_ = nullptr;  // the socket a kUpstreamIo deadline cancels
  Phase phase_ = Phase::kIdle;
  bool timed_out_ = false;
  bool first_request_ = true;
  bool response_started_ = false;
  bool continue_sent_ = false;       // 100 Continue already sent for this request
  Clock::time_point body_started_;   // first wait for request body bytes; {}: not yet
  std::uint64_t body_received_ = 0;  // request body bytes read from the client so far
  std::size_t base_capacity_;        // in_'s size between requests
  Buffer in_;
  std::unique_ptr<Buffer> upstream_in_;
  std::string out_head_;  // rewritten head (to the upstream, then to the client)
  std::string remote_ip_;
  std::string method_;       // copies of the request's method and target (the head's views
  std::string target_;       // die when the buffer is compacted during body streaming)
  std::string mirror_copy_;  // head + body of a mirrored request, when one is due
  bool mirror_wanted_ = false;
  bool mirror_overflow_ = false;
  // A copy of the head whose views outlive reads of the body (admission.cc).
  struct OwnedHead {
    std::string text;
    RequestHead head;
  };
  std::unique_ptr<OwnedHead> owned_head_;
};

// Writes as much of `first`, then `second`, as the kernel takes right now without
// blocking (`socket` must be in non-blocking mode) and drops what was written from the
// views. True when done: everything written, or the write failed (*error set). False when
// the rest must wait: then co_await write_rest(socket, *first, *second). Writing directly
// saves an event-loop round trip and a posted completion per write in the common case.
bool write_now(tcp::socket& socket, std::string_view* first, std::string_view* second,
               boost::system::error_code* error);
boost::asio::awaitable<boost::system::error_code> write_rest(tcp::socket& socket,
                                                             std::string_view first,
                                                             std::string_view second);

// A copy of a request sent to the mirror variant; the response is read and discarded
// (mirror.cc). `request` is the complete upstream request (head and body).
void spawn_mirror(Worker& worker, std::string variant, std::string request);

}  // namespace graft::proxy
