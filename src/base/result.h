// graft::Error and graft::Result<T>: the one error model of every graft API.
//
// A function that can fail returns Result<T> (tl::expected<T, Error>) or Status
// (Result<void>). Errors carry a code for programs and a message for people, written in
// the house wording (lowercase, names in quotes, cause after a colon). Context is added on
// the way up with Error::with_context("reading 'repodata.json'"). No exceptions cross our
// APIs; throwing third-party parsers are wrapped once at the call site.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace graft {

enum class ErrorCode {
  kInvalidArgument,  // the caller's input is wrong: bad spec, bad flag, malformed file
  kNotFound,         // a named thing does not exist
  kAlreadyExists,    // a thing to be created exists
  kConflict,         // requests that cannot hold together (unsatisfiable, frozen, clobber)
  kIo,               // the operating system refused: open, write, rename, network
  kCorrupt,          // stored data fails its own checks: checksum, archive, JSON shape
  kUnavailable,      // a remote or resource is down or timed out; retrying may help
  kInternal,         // a bug in graft
};

// Returns the code's name as shown in JSON output, e.g. "invalid_argument".
[[nodiscard]] std::string_view error_code_name(ErrorCode code);

class [[nodiscard]] Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  [[nodiscard]] ErrorCode code() const { return code_; }
  // The full message, context first: "reading 'a.json': line 3: expected ','".
  [[nodiscard]] const std::string& message() const { return message_; }
  // An optional second line telling the user what to do next, printed as "hint: ...".
  [[nodiscard]] const std::string& hint() const { return hint_; }

  // Prefixes the message with `context` and a colon. Returns *this for chaining.
  Error& with_context(std::string_view context) &;
  Error&& with_context(std::string_view context) &&;
  Error& with_hint(std::string hint) &;
  Error&& with_hint(std::string hint) &&;

 private:
  ErrorCode code_;
  std::string message_;
  std::string hint_;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

// Builds the failed side of a Result: `return fail(ErrorCode::kNotFound, "...")`.
[[nodiscard]] inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}
[[nodiscard]] inline tl::unexpected<Error> fail(Error error) {
  return tl::unexpected<Error>(std::move(error));
}

// Success value of a Status.
[[nodiscard]] inline Status ok() { return {}; }

}  // namespace graft

// Evaluates a Status expression and returns its error from the enclosing function.
#define GRAFT_RETURN_IF_ERROR(expr)                                         \
  do {                                                                      \
    if (auto graft_status_ = (expr); !graft_status_) {                      \
      return ::tl::unexpected<::graft::Error>(std::move(graft_status_).error()); \
    }                                                                       \
  } while (false)

#define GRAFT_CONCAT_INNER_(a, b) a##b
#define GRAFT_CONCAT_(a, b) GRAFT_CONCAT_INNER_(a, b)
// `GRAFT_ASSIGN_OR_RETURN(auto value, compute());` declares value or returns the error.
#define GRAFT_ASSIGN_OR_RETURN(lhs, expr) \
  GRAFT_ASSIGN_OR_RETURN_IMPL_(GRAFT_CONCAT_(graft_result_, __LINE__), lhs, expr)
#define GRAFT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)                 \
  auto tmp = (expr);                                                 \
  if (!tmp) {                                                        \
    return ::tl::unexpected<::graft::Error>(std::move(tmp).error()); \
  }                                                                  \
  lhs = std::move(tmp).value()
