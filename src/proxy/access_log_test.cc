#include "proxy/access_log.h"

#include <gtest/gtest.h>

#include "base/fs.h"

namespace graft::proxy {
namespace {

TEST(AccessLog, FormatsAGoldenLine) {
  AccessLogEntry entry{.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(
                           1'795'210'351'123)),
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

TEST(AccessLog, EscapesControlCharacters) {
  std::string out;
  append_json_escaped(&out, std::string_view("a\n\x01", 3));
  EXPECT_EQ(out, "a\\u000a\\u0001");
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
  EXPECT_EQ(log.error().message().rfind("cannot open access log '/nonexistent-dir/access.jsonl': ", 0),
            0u);
}

}  // namespace
}  // namespace graft::proxy
