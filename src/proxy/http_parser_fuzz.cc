// libFuzzer target for the proxy's HTTP head parser and chunked framer:
// Checks the invariants the proxy relies on: a complete head lies inside the buffer and
// within the limit, every field view points into the buffer, and the framer never claims
// more bytes than it was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proxy/http_parser.h"

namespace {

bool inside(std::string_view outer, std::string_view inner) {
  return inner.empty() ||
         (inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
}

void check_head(std::string_view input, const graft::proxy::MessageHead& head) {
  if (head.head_bytes > input.size() || head.head_bytes > 4096) std::abort();
  for (std::size_t i = 0; i < head.field_count; ++i) {
    if (!inside(input, head.fields[i].name) || !inside(input, head.fields[i].value)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t scan = 0;
  graft::proxy::RequestHead request;
  if (graft::proxy::parse_request(input, 4096, &scan, &request) ==
      graft::proxy::ParseStatus::kComplete) {
    check_head(input, request);
    if (!inside(input, request.method) || !inside(input, request.target)) std::abort();
  }
  scan = 0;
  graft::proxy::ResponseHead response;
  if (graft::proxy::parse_response(input, 4096, &scan, &response) ==
      graft::proxy::ParseStatus::kComplete) {
    check_head(input, response);
    if (response.status < 100 || response.status > 999) std::abort();
  }
  graft::proxy::ChunkedFramer framer;
  std::size_t used = framer.consume(input);
  if (used > input.size()) std::abort();
  return 0;
}
