#include "proxy/http_parser.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace graft::proxy {
namespace {

ParseStatus parse_whole_request(std::string_view text, RequestHead* head,
                                std::size_t limit = 8192) {
  std::size_t scan = 0;
  return parse_request(text, limit, &scan, head);
}

struct RequestCase {
  const char* name;
  std::string text;
  ParseStatus status;
};

class RequestTable : public ::testing::TestWithParam<RequestCase> {};

TEST_P(RequestTable, Classifies) {
  RequestHead head;
  EXPECT_EQ(parse_whole_request(GetParam().text, &head), GetParam().status) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    Requests, RequestTable,
    ::testing::Values(
        RequestCase{"simple", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", ParseStatus::kComplete},
        RequestCase{"partial", "GET / HTTP/1.1\r\nHost: a\r\n", ParseStatus::kNeedMore},
        RequestCase{"bad version", "GET / HTTP/2.0\r\n\r\n", ParseStatus::kBadRequest},
        RequestCase{"no target", "GET  HTTP/1.1\r\n\r\n", ParseStatus::kBadRequest},
        RequestCase{"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
                    ParseStatus::kBadRequest},
        RequestCase{"obs fold", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", ParseStatus::kBadRequest},
        RequestCase{"no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", ParseStatus::kBadRequest},
        RequestCase{"bad method", "G(T / HTTP/1.1\r\n\r\n", ParseStatus::kBadRequest},
        RequestCase{"control in value", std::string("GET / HTTP/1.1\r\nA: \x01\r\n\r\n"),
                    ParseStatus::kBadRequest},
        RequestCase{"cl and te",
                    "POST / HTTP/1.1\r\nContent-Length: 3\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n",
                    ParseStatus::kBadRequest},
        RequestCase{"two different cl",
                    "POST / HTTP/1.1\r\nContent-Length: 3\r\n"
                    "Content-Length: 4\r\n\r\n",
                    ParseStatus::kBadRequest},
        RequestCase{"two equal cl",
                    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                    "Content-Length: 3\r\n\r\n",
                    ParseStatus::kComplete},
        RequestCase{"no host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", ParseStatus::kBadRequest},
        RequestCase{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
                    ParseStatus::kBadRequest},
        RequestCase{"two hosts in http 10", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
                    ParseStatus::kBadRequest},
        RequestCase{"http 10 without host", "GET / HTTP/1.0\r\n\r\n", ParseStatus::kComplete},
        RequestCase{"negative cl", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                    ParseStatus::kBadRequest},
        RequestCase{"te not chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
                    ParseStatus::kBadRequest},
        RequestCase{"te in http 10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
                    ParseStatus::kBadRequest},
        RequestCase{"empty start line", "\r\n\r\n", ParseStatus::kBadRequest}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (char& c : name)
        if (c == ' ') c = '_';
      return name;
    });

TEST(HttpParser, ExtractsFields) {
  RequestHead head;
  std::string text =
      "POST /predict?x=1 HTTP/1.1\r\nHost: example\r\nX-Request-Id:  abc \r\n"
      "Transfer-Encoding: gzip, chunked\r\nConnection: keep-alive, close\r\n\r\nBODY";
  ASSERT_EQ(parse_whole_request(text, &head), ParseStatus::kComplete);
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.target, "/predict?x=1");
  EXPECT_EQ(head.head_bytes, text.size() - 4);
  EXPECT_EQ(head.find("x-request-id").value_or(""), "abc");
  EXPECT_TRUE(head.chunked);
  EXPECT_FALSE(head.keep_alive());
  EXPECT_FALSE(head.idempotent());
}

TEST(HttpParser, ResumesAcrossPartialReads) {
  std::string text = "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  RequestHead head;
  std::size_t scan = 0;
  for (std::size_t end = 1; end < text.size(); ++end) {
    ASSERT_EQ(parse_request(std::string_view(text).substr(0, end), 8192, &scan, &head),
              ParseStatus::kNeedMore)
        << end;
  }
  ASSERT_EQ(parse_request(text, 8192, &scan, &head), ParseStatus::kComplete);
  EXPECT_EQ(head.version_minor, 0);
  EXPECT_TRUE(head.keep_alive());
}

TEST(HttpParser, LimitsHeadSizeAndFieldCount) {
  RequestHead head;
  std::string big = "GET / HTTP/1.1\r\nA: " + std::string(9000, 'x');
  EXPECT_EQ(parse_whole_request(big, &head), ParseStatus::kHeadTooLarge);
  std::string many = "GET / HTTP/1.1\r\n";
  for (std::size_t i = 0; i <= kMaxHeaders; ++i) many += "A: b\r\n";
  EXPECT_EQ(parse_whole_request(many + "\r\n", &head), ParseStatus::kTooManyFields);
}

TEST(HttpParser, ParsesResponses) {
  ResponseHead head;
  std::size_t scan = 0;
  std::string text =
      "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n"
      "X-Model-Version: v7\r\n\r\nhello";
  ASSERT_EQ(parse_response(text, 8192, &scan, &head), ParseStatus::kComplete);
  EXPECT_EQ(head.status, 404);
  EXPECT_EQ(head.reason, "Not Found");
  EXPECT_EQ(head.content_length.value_or(0), 5u);
  EXPECT_EQ(head.find("X-Model-Version").value_or(""), "v7");
  scan = 0;
  EXPECT_EQ(parse_response("HTTP/1.1 2x0 OK\r\n\r\n", 8192, &scan, &head),
            ParseStatus::kBadRequest);
  scan = 0;
  ASSERT_EQ(parse_response("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n",
                           8192, &scan, &head),
            ParseStatus::kComplete);
  EXPECT_FALSE(head.content_length.has_value());
  EXPECT_TRUE(head.chunked);
  EXPECT_TRUE(response_has_no_body("HEAD", 200));
  EXPECT_TRUE(response_has_no_body("GET", 304));
  EXPECT_FALSE(response_has_no_body("GET", 200));
}

TEST(ChunkedFramer, FindsTheEndByteByByte) {
  std::string body = "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  ChunkedFramer framer;
  std::size_t used = 0;
  for (std::size_t i = 0; i < body.size() && framer.state() == ChunkedFramer::State::kInBody; ++i) {
    used += framer.consume(std::string_view(body).substr(i, 1));
  }
  EXPECT_EQ(framer.state(), ChunkedFramer::State::kDone);
  EXPECT_EQ(used, body.size() - 4);
  EXPECT_EQ(framer.payload_bytes(), 15u);
}

TEST(ChunkedFramer, StopsAtTheEndInOneCall) {
  ChunkedFramer framer;
  std::string body = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
  EXPECT_EQ(framer.consume(body), 13u);
  EXPECT_EQ(framer.state(), ChunkedFramer::State::kDone);
}

TEST(ChunkedFramer, RejectsMalformedFraming) {
  for (std::string bad :
       {"x\r\n", "3\r\nabcX", "\r\n", "3\nabc", "1234567890abcdef0\r\n", "0\r\nbad\n"}) {
    ChunkedFramer framer;
    framer.consume(bad);
    EXPECT_EQ(framer.state(), ChunkedFramer::State::kError) << bad;
  }
}

}  // namespace
}  // namespace graft::proxy
