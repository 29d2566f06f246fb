#include "proxy/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"

namespace graft::proxy {
namespace {

TEST(AccessLog, FormatsAGoldenLine) {
  AccessLogEntry entry{
      .time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'795'210'351'123)),
      .request_id = "r\"1",
      .method = "GET",
      .path = "/a\\b",
      .status = 200,
      .variant = "treatment",
      .upstream = "127.0.0.1:9002",
      .latency_ms = 1.5,
      .upstream_latency_ms = 1.25,
      .bytes_in = 3,
      .bytes_out = 120,
      .user = "00ff00ff00ff00ff",
      .model_version = ""};
  EXPECT_EQ(format_access_log_line(entry),
            "{\"ts\":\"2026-11-20T21:32:31.123Z\",\"request_id\":\"r\\\"1\",\"method\":\"GET\","
            "\"path\":\"/a\\\\b\",\"status\":200,\"variant\":\"treatment\","
            "\"upstream\":\"127.0.0.1:9002\",\"latency_ms\":1.500,\"upstream_latency_ms\":1.250,"
            "\"bytes_in\":3,\"bytes_out\":120,\"user\":\"00ff00ff00ff00ff\","
            "\"model_version\":null}\n");
}

TEST(AccessLog, TimestampsStayExactAcrossSecondsFormattedOnce) {
  using std::chrono::milliseconds;
  const std::chrono::system_clock::time_point epoch{};
  // Each second's date is cached per thread: the next second, a second back, and the
  // millisecond digits must all still be right.
  EXPECT_EQ(format_rfc3339_ms(epoch + milliseconds(1'795'000'000'999)), "2026-11-18T11:06:40.999Z");
  EXPECT_EQ(format_rfc3339_ms(epoch + milliseconds(1'795'000'001'000)), "2026-11-18T11:06:41.000Z");
  EXPECT_EQ(format_rfc3339_ms(epoch + milliseconds(1'795'000'001'042)), "2026-11-18T11:06:41.042Z");
  EXPECT_EQ(format_rfc3339_ms(epoch + milliseconds(1'795'000'000'007)), "2026-11-18T11:06:40.007Z");
  EXPECT_EQ(format_rfc3339_ms(epoch + milliseconds(-1)), "1969-12-31T23:59:59.999Z");
}

TEST(AccessLog, EscapesControlCharacters) {
  std::string out;
  append_json_escaped(&out, std::string_view("a\n\x01", 3));
  EXPECT_EQ(out, "a\\u000a\\u0001");
}

TEST(AccessLog, EscapesBytesThatAreNotUtf8) {
  struct Case {
    std::string raw;
    std::string escaped;
  };
  const std::vector<Case> cases = {
      {"/caf\xc3\xa9", "/caf\xc3\xa9"},                                  // valid 2-byte
      {"\xe2\x82\xac\xf0\x9f\x98\x80", "\xe2\x82\xac\xf0\x9f\x98\x80"},  // 3 and 4 bytes
      {"/a\xff", "/a\\ufffd"},                                           // never in UTF-8
      {"\x80x", "\\ufffdx"},                                             // stray continuation byte
      {"\xc0\xaf", "\\ufffd\\ufffd"},                                    // overlong '/'
      {"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"},                         // surrogate
      {"\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"},              // over U+10FFFF
      {"\xe2\x82", "\\ufffd\\ufffd"},                                    // truncated at the end
      {"\xe2\x82/", "\\ufffd\\ufffd/"},                                  // truncated in the middle
  };
  for (const Case& test : cases) {
    std::string out;
    append_json_escaped(&out, test.raw);
    EXPECT_EQ(out, test.escaped) << test.raw;
  }
  std::string line =
      format_access_log_line({.method = "GET", .path = "/\xff\xfe\"\x01", .user = "\xc3"});
  nlohmann::json parsed = nlohmann::json::parse(line);  // throws on invalid UTF-8
  EXPECT_EQ(parsed["path"], "/\xef\xbf\xbd\xef\xbf\xbd\"\x01");
  EXPECT_EQ(parsed["user"], "\xef\xbf\xbd");
}

// Collects what spdlog's default logger writes while alive.
class CapturedLog {
 public:
  CapturedLog()
      : previous_(spdlog::default_logger()),
        sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink_));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> lines() {
    std::vector<std::string> result;
    std::istringstream stream(text_.str());
    for (std::string line; std::getline(stream, line);) result.push_back(line);
    return result;
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

TEST(AccessLog, AFullDiskCountsEveryLostLineAndComplainsRarely) {
  CapturedLog captured;
  {
    auto log = AccessLog::open({.path = "/dev/full"});  // every write fails with ENOSPC
    ASSERT_TRUE(log.has_value()) << log.error().message();
    for (int batch = 0; batch < 20; ++batch) {
      for (int i = 0; i < 50; ++i) (*log)->append({.method = "GET", .status = 200});
      (*log)->flush();
    }
    EXPECT_EQ((*log)->dropped(), 1000u);
    EXPECT_EQ((*log)->written(), 0u);
  }
  std::vector<std::string> lines = captured.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("cannot write access log '/dev/full': No space left on device: "),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find(" lines dropped (reported at most every 10 s)"), std::string::npos)
      << lines[0];
}

// The number in a complaint's "N lines dropped".
std::uint64_t dropped_in(const std::string& line) {
  std::size_t end = line.find(" lines dropped");
  std::size_t start = line.rfind(' ', end - 1) + 1;
  return std::stoull(line.substr(start, end - start));
}

TEST(AccessLog, ReportsTheLinesDroppedSinceTheLastComplaint) {
  CapturedLog captured;
  {
    auto log =
        AccessLog::open({.path = "/dev/full", .complain_every = std::chrono::milliseconds(500)});
    ASSERT_TRUE(log.has_value()) << log.error().message();
    for (int batch = 0; batch < 3; ++batch) {
      for (int i = 0; i < 10; ++i) (*log)->append({.method = "GET", .status = 200});
      (*log)->flush();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    (*log)->append({.method = "GET", .status = 200});
    (*log)->flush();
    EXPECT_EQ((*log)->dropped(), 31u);
  }
  std::vector<std::string> lines = captured.lines();
  ASSERT_EQ(lines.size(), 2u);
  // The first complaint comes with the first failed write (its batch may hold fewer than
  // 10 lines); the second one counts every line lost since.
  EXPECT_LE(dropped_in(lines[0]), 10u) << lines[0];
  EXPECT_EQ(dropped_in(lines[0]) + dropped_in(lines[1]), 31u) << lines[1];
}

TEST(AccessLog, AFullQueueIsReportedWithTheLinesItDropped) {
  CapturedLog captured;
  int pipe_ends[2];
  ASSERT_EQ(::pipe(pipe_ends), 0);
  ASSERT_EQ(::fcntl(pipe_ends[1], F_SETFL, O_NONBLOCK), 0);
  std::string chunk(4096, 'f');
  while (::write(pipe_ends[1], chunk.data(), chunk.size()) > 0) {
  }  // the pipe is full: the log's writes block (its own descriptor is a blocking one)
  std::thread reader;
  {
    auto log = AccessLog::open(
        {.path = "/proc/self/fd/" + std::to_string(pipe_ends[1]), .max_queued_lines = 1});
    ASSERT_TRUE(log.has_value()) << log.error().message();
    for (int i = 0; i < 10; ++i) (*log)->append({.method = "GET", .status = 200});
    reader = std::thread([&] {
      char buffer[65536];
      while (::read(pipe_ends[0], buffer, sizeof buffer) > 0) {
      }
    });
    (*log)->flush();
    EXPECT_GE((*log)->dropped(), 8u);  // one line in the blocked write, one queued at most
    std::vector<std::string> lines = captured.lines();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("access log '/proc/self/fd/" + std::to_string(pipe_ends[1]) +
                            "' falls behind: " + std::to_string((*log)->dropped()) +
                            " lines dropped with 1 queued"),
              std::string::npos)
        << lines[0];
  }
  ::close(pipe_ends[1]);
  reader.join();
  ::close(pipe_ends[0]);
}

TEST(AccessLog, WritesAsynchronouslyAndReopens) {
  auto dir = base::TempDir::create("graft-access-log-");
  ASSERT_TRUE(dir.has_value());
  auto path = dir->path() / "access.jsonl";
  auto log = AccessLog::open({.path = path});
  ASSERT_TRUE(log.has_value()) << log.error().message();
  for (int i = 0; i < 100; ++i) (*log)->append({.method = "GET", .status = 200});
  (*log)->flush();
  std::filesystem::rename(path, dir->path() / "access.jsonl.1");
  (*log)->reopen();
  (*log)->append({.method = "PUT", .status = 201});
  (*log)->flush();
  auto rotated = base::read_file(dir->path() / "access.jsonl.1");
  auto fresh = base::read_file(path);
  ASSERT_TRUE(rotated && fresh);
  EXPECT_EQ(std::count(rotated->begin(), rotated->end(), '\n'), 100);
  EXPECT_NE(fresh->find("\"method\":\"PUT\""), std::string::npos);
  EXPECT_EQ((*log)->dropped(), 0u);
}

TEST(AccessLog, FailsClearlyOnAnUnwritablePath) {
  auto log = AccessLog::open({.path = "/nonexistent-dir/access.jsonl"});
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(
      log.error().message().rfind("cannot open access log '/nonexistent-dir/access.jsonl': ", 0),
      0u);
}

}  // namespace
}  // namespace graft::proxy
