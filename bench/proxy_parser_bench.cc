// Request-head parsing cost: graft's zero-copy parser (src/proxy/http_parser.h) against
// Boost.Beast's request_parser on the same heads, the alternative the proxy could have
// used. Prints ns per head for each and the ratio. Not run by ctest.
//
//   ./build-<dir>/bench/proxy_parser_bench [iterations]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "proxy/http_parser.h"

namespace {

const std::vector<std::string>& heads() {
  static const std::vector<std::string> samples = {
      "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n",
      "POST /v1/models/ctr:predict HTTP/1.1\r\nHost: api.example.com\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\r\n"
      "Accept: application/json\r\nAccept-Encoding: gzip, deflate, br\r\n"
      "Content-Type: application/json\r\nContent-Length: 0\r\nX-User-Id: user-12345\r\n"
      "X-Request-Id: 0f8fad5b-d9cb-469f-a165-70867728950e\r\n"
      "Cookie: session=abcdef0123456789; theme=dark\r\nConnection: keep-alive\r\n\r\n",
  };
  return samples;
}

template <typename Parse>
double nanoseconds_per_head(long iterations, Parse parse) {
  std::size_t sink = 0;
  auto started = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) {
    for (const std::string& head : heads()) sink += parse(head);
  }
  auto elapsed = std::chrono::steady_clock::now() - started;
  if (sink == 42) std::puts("");  // keep the work observable
  return std::chrono::duration<double, std::nano>(elapsed).count() /
         static_cast<double>(iterations * static_cast<long>(heads().size()));
}

std::size_t parse_graft(const std::string& text) {
  graft::proxy::RequestHead head;
  std::size_t scan = 0;
  auto status = graft::proxy::parse_request(text, 16384, &scan, &head);
  return status == graft::proxy::ParseStatus::kComplete ? head.field_count : 0;
}

std::size_t parse_beast(const std::string& text) {
  boost::beast::http::request_parser<boost::beast::http::empty_body> parser;
  parser.eager(false);
  boost::beast::error_code error;
  parser.put(boost::asio::buffer(text), error);
  if (error || !parser.is_header_done()) return 0;
  const auto& message = parser.get();
  return static_cast<std::size_t>(std::distance(message.begin(), message.end()));
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = argc > 1 ? std::atol(argv[1]) : 500'000;
  for (const std::string& head : heads()) {
    if (parse_graft(head) != parse_beast(head)) {
      std::fprintf(stderr, "proxy_parser_bench: the parsers disagree on a head\n");
      return 1;
    }
  }
  nanoseconds_per_head(iterations / 10, parse_graft);  // warm up
  double graft_ns = nanoseconds_per_head(iterations, parse_graft);
  double beast_ns = nanoseconds_per_head(iterations, parse_beast);
  std::printf("graft parser: %.1f ns/head\nbeast parser: %.1f ns/head\ngraft/beast: %.2fx time\n",
              graft_ns, beast_ns, graft_ns / beast_ns);
  return 0;
}
