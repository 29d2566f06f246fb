// Incremental HTTP/1.1 message-head parser and chunked-body framer for the proxy.
//
// Why hand-written and not Beast's parser: the proxy only needs the head (request line or
// status line plus headers) and the body framing; the body itself is passed through byte
// for byte. This parser is zero-copy (every field is a string_view into the caller's read
// buffer), allocation-free, resumable (a caller re-calls it as more bytes arrive and it
// resumes the CRLFCRLF scan where it stopped) and small enough to fuzz exhaustively
// (http_parser_fuzz.cc). Beast's basic_parser copies headers into a fields container per
// message; bench/proxy_parser_bench.cc measures both on the same heads.
//
// Strictness (request smuggling defence, RFC 9112): lines end in CRLF; no whitespace
// between a field name and the colon; no obs-fold; Content-Length must be digits and all
// copies equal; Transfer-Encoding and Content-Length together, Transfer-Encoding in an
// HTTP/1.0 request, or a request Transfer-Encoding whose last coding is not "chunked" are
// rejected, and so is an HTTP/1.1 request without Host or any request with two Host
// fields. Errors come back as ParseStatus values, never exceptions.
//
// Thread-safety: the functions are pure; a ChunkedFramer is used by one thread at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace graft::proxy {

enum class ParseStatus {
  kComplete,       // a full head was parsed; head_bytes says how long it is
  kNeedMore,       // no CRLFCRLF yet; call again with more bytes
  kBadRequest,     // malformed: answer 400 (or 502 for a response) and close
  kHeadTooLarge,   // the head exceeds the limit: 431 for a request
  kTooManyFields,  // more than kMaxHeaders fields: 431 for a request
};

struct HeaderField {
  std::string_view name;
  std::string_view value;  // leading and trailing spaces/tabs trimmed
};

inline constexpr std::size_t kMaxHeaders = 96;

// What both requests and responses carry after parsing.
struct MessageHead {
  std::size_t head_bytes = 0;  // bytes of the head including the final CRLFCRLF
  int version_minor = 1;       // HTTP/1.<minor>
  std::array<HeaderField, kMaxHeaders> fields{};
  std::size_t field_count = 0;
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  bool connection_close = false;       // "Connection: close" seen
  bool connection_keep_alive = false;  // "Connection: keep-alive" seen

  // First field named `name` (case-insensitive), or nullopt.
  [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const;
  // HTTP/1.1 without "close", or HTTP/1.0 with "keep-alive".
  [[nodiscard]] bool keep_alive() const {
    return version_minor >= 1 ? !connection_close : connection_keep_alive;
  }
};

struct RequestHead : MessageHead {
  std::string_view method;
  std::string_view target;
  bool expect_continue = false;
  bool upgrade = false;
  // GET, HEAD, OPTIONS, TRACE, PUT, DELETE: safe to retry on a fresh connection.
  [[nodiscard]] bool idempotent() const;
};

struct ResponseHead : MessageHead {
  int status = 0;
  std::string_view reason;
};

// Scans `buffer` (all bytes received so far for this message) for a complete head.
// `scan_from` is where the previous call stopped (0 at first; updated in place) so that a
// slowly arriving head is not rescanned from the start. `max_head_bytes` bounds the head.
[[nodiscard]] ParseStatus parse_request(std::string_view buffer, std::size_t max_head_bytes,
                                        std::size_t* scan_from, RequestHead* head);
[[nodiscard]] ParseStatus parse_response(std::string_view buffer, std::size_t max_head_bytes,
                                         std::size_t* scan_from, ResponseHead* head);

// True when a response to `method` with `status` has no body regardless of its headers
// (HEAD, 1xx, 204, 304).
[[nodiscard]] bool response_has_no_body(std::string_view method, int status);

// Case-insensitive ASCII comparison.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);

// Follows the framing of a chunked body as its bytes pass through, without copying them.
class ChunkedFramer {
 public:
  enum class State { kInBody, kDone, kError };

  // Consumes bytes from the front of `data`; returns how many belong to the body (all of
  // `data` unless the body ends inside it). After kDone the rest belongs to the next
  // message. On kError the body is malformed (bad size line, chunk too large).
  std::size_t consume(std::string_view data);
  [[nodiscard]] State state() const { return state_; }
  // Decoded payload bytes seen so far (chunk data only, not framing).
  [[nodiscard]] std::uint64_t payload_bytes() const { return payload_bytes_; }

 private:
  enum class Step {
    kSize,
    kExtension,
    kSizeLf,
    kData,
    kDataCr,
    kDataLf,
    kTrailerStart,
    kTrailerLine,
    kTrailerLf,
    kFinalLf
  };
  bool step_byte(char c);
  Step step_ = Step::kSize;
  State state_ = State::kInBody;
  std::uint64_t chunk_left_ = 0;
  int size_digits_ = 0;
  std::uint64_t payload_bytes_ = 0;
};

}  // namespace graft::proxy
