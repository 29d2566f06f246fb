#include "base/result.h"

namespace graft {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

Error& Error::with_context(std::string_view context) & {
  message_ = std::string(context) + ": " + message_;
  return *this;
}

Error&& Error::with_context(std::string_view context) && {
  return std::move(with_context(context));
}

Error& Error::with_hint(std::string hint) & {
  hint_ = std::move(hint);
  return *this;
}

Error&& Error::with_hint(std::string hint) && { return std::move(with_hint(std::move(hint))); }

}  // namespace graft
