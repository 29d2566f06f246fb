#include "store/download.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/fs.h"
#include "base/hash.h"
#include "base/progress.h"
#include "base/test_io.h"
#include "store/test_http_server.h"

namespace graft::store {
namespace {

namespace fs = std::filesystem;
using testing::TestHttpServer;

// Fast retries and short timeouts so failure paths finish in well under a second.
DownloadOptions fast_options() {
  DownloadOptions options;
  options.initial_backoff = std::chrono::milliseconds(10);
  options.max_backoff = std::chrono::milliseconds(40);
  options.connect_timeout = std::chrono::milliseconds(2000);
  options.low_speed_time = std::chrono::seconds(1);
  return options;
}

class DownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto served = base::TempDir::create("graft-dl-served-");
    auto out = base::TempDir::create("graft-dl-out-");
    ASSERT_TRUE(served && out);
    served_ = std::move(*served);
    out_ = std::move(*out);
    server_ = std::make_unique<TestHttpServer>(served_->path());
  }
  void serve(const std::string& name, const std::string& content) {
    ASSERT_TRUE(base::write_file_atomic(served_->path() / name, content,
                                        base::Durability::kNoFsync));
  }
  // Names in the output directory (temp files included).
  std::vector<std::string> output_names() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(out_->path())) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }
  DownloadRequest request_for(const std::string& name) const {
    return DownloadRequest{.url = server_->url("/" + name), .destination = out_->path() / name};
  }

  std::optional<base::TempDir> served_;
  std::optional<base::TempDir> out_;
  std::unique_ptr<TestHttpServer> server_;
};

TEST_F(DownloadTest, HttpDownloadVerifiesSha256AndKeepsHeaders) {
  serve("pkg.conda", "package bytes");
  server_->set_cache_control("public, max-age=60");
  DownloadRequest request = request_for("pkg.conda");
  request.expected_sha256 = base::sha256_hex("package bytes");
  auto result = download(request, fast_options());
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->http_status, 200);
  EXPECT_EQ(result->bytes, 13u);
  EXPECT_EQ(result->sha256, base::sha256_hex("package bytes"));
  EXPECT_EQ(result->md5, base::md5_hex("package bytes"));
  EXPECT_EQ(result->etag, server_->etag_of("/pkg.conda"));
  EXPECT_EQ(result->last_modified, "Sat, 21 Nov 2026 10:00:00 GMT");
  EXPECT_EQ(result->cache_control, "public, max-age=60");
  EXPECT_EQ(*base::read_file(out_->path() / "pkg.conda"), "package bytes");
  EXPECT_EQ(output_names(), std::vector<std::string>{"pkg.conda"});
}

TEST_F(DownloadTest, ParallelDownloadsOverlap) {
  std::vector<DownloadRequest> requests;
  for (int i = 0; i < 8; ++i) {
    const std::string name = "p" + std::to_string(i) + ".tar.bz2";
    serve(name, "content " + std::to_string(i));
    server_->set_delay("/" + name, std::chrono::milliseconds(300));
    requests.push_back(request_for(name));
  }
  DownloadOptions options = fast_options();
  options.max_parallel = 4;
  std::vector<std::size_t> finished;
  auto results = download_all(requests, options, [&](std::size_t index, const auto& result) {
    EXPECT_TRUE(result.has_value());
    finished.push_back(index);
  });
  ASSERT_EQ(results.size(), 8u);
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(results[i].has_value()) << results[i].error().message();
    EXPECT_EQ(*base::read_file(requests[i].destination), "content " + std::to_string(i));
  }
  EXPECT_EQ(finished.size(), 8u);
  EXPECT_EQ(server_->max_concurrent(), 4);  // the limit is reached and respected
}

TEST_F(DownloadTest, RetriesAfterServerErrors) {
  serve("flaky.conda", "eventually");
  server_->fail_next("/flaky.conda", 2, 503);
  auto result = download(request_for("flaky.conda"), fast_options());
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->attempts, 3);
  EXPECT_EQ(server_->requests("/flaky.conda"), 3);
  EXPECT_EQ(*base::read_file(out_->path() / "flaky.conda"), "eventually");
}

TEST_F(DownloadTest, GivesUpAfterMaxAttempts) {
  serve("down.conda", "never");
  server_->fail_next("/down.conda", 100, 500);
  DownloadOptions options = fast_options();
  options.max_attempts = 3;
  auto result = download(request_for("down.conda"), options);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(result.error().message(), "downloading '" + server_->url("/down.conda") +
                                          "' failed after 3 attempts: HTTP 500");
  EXPECT_EQ(server_->requests("/down.conda"), 3);
  EXPECT_TRUE(output_names().empty());
}

TEST_F(DownloadTest, NotFoundIsNotRetried) {
  auto result = download(request_for("missing.conda"), fast_options());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(result.error().message(),
            "'" + server_->url("/missing.conda") + "' not found (HTTP 404)");
  EXPECT_EQ(server_->requests("/missing.conda"), 1);
  EXPECT_TRUE(output_names().empty());
}

TEST_F(DownloadTest, ChecksumMismatchNamesUrlAndDigestsAndKeepsNothing) {
  serve("bad.conda", "the real bytes");
  server_->set_body("/bad.conda", "tampered bytes");
  DownloadRequest request = request_for("bad.conda");
  request.expected_sha256 = base::sha256_hex("the real bytes");
  auto result = download(request, fast_options());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(result.error().message(), "checksum mismatch for '" + request.url +
                                          "': expected sha256 '" +
                                          base::sha256_hex("the real bytes") + "', got '" +
                                          base::sha256_hex("tampered bytes") + "'");
  EXPECT_EQ(server_->requests("/bad.conda"), 1);
  EXPECT_TRUE(output_names().empty());
}

TEST_F(DownloadTest, Md5IsCheckedWhenThereIsNoSha256) {
  serve("old.tar.bz2", "abc");
  DownloadRequest request = request_for("old.tar.bz2");
  request.expected_md5 = base::md5_hex("abd");
  auto result = download(request, fast_options());
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message().find("expected md5 '" + base::md5_hex("abd")),
            std::string::npos);
}

TEST_F(DownloadTest, MatchingEtagGets304AndLeavesDestinationAlone) {
  serve("repodata.json", "{}");
  ASSERT_TRUE(base::write_file_atomic(out_->path() / "repodata.json", "cached",
                                      base::Durability::kNoFsync));
  DownloadRequest request = request_for("repodata.json");
  request.if_none_match = server_->etag_of("/repodata.json");
  auto result = download(request, fast_options());
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_TRUE(result->not_modified);
  EXPECT_EQ(result->http_status, 304);
  EXPECT_EQ(server_->not_modified_count(), 1);
  EXPECT_EQ(*base::read_file(out_->path() / "repodata.json"), "cached");
  EXPECT_EQ(output_names().size(), 1u);
}

TEST_F(DownloadTest, StalledServerHitsLowSpeedTimeout) {
  serve("slow.conda", std::string(1000, 'x'));
  server_->set_stall("/slow.conda", std::chrono::milliseconds(4000));
  DownloadOptions options = fast_options();
  options.max_attempts = 2;
  // curl averages speed over a window, so a limit far above the stalled rate trips it fast.
  options.low_speed_limit = 100000;
  const auto start = std::chrono::steady_clock::now();
  auto result = download(request_for("slow.conda"), options);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(result.error().message().find("failed after 2 attempts"), std::string::npos)
      << result.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(server_->requests("/slow.conda"), 2);
  EXPECT_TRUE(output_names().empty());
}

TEST_F(DownloadTest, ConnectionRefusedIsRetriedThenUnavailable) {
  const std::string url = server_->url("/x.conda");
  server_.reset();  // nothing listens on that port any more
  DownloadOptions options = fast_options();
  options.max_attempts = 2;
  auto result = download(DownloadRequest{.url = url, .destination = out_->path() / "x.conda"},
                         options);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(output_names().empty());
}

TEST_F(DownloadTest, FileUrlAndPlainPathAreCopied) {
  serve("local.conda", "local bytes");
  const fs::path source = served_->path() / "local.conda";
  for (const std::string& url : {"file://" + source.string(), source.string()}) {
    DownloadRequest request{.url = url, .destination = out_->path() / "copy.conda",
                            .expected_sha256 = base::sha256_hex("local bytes")};
    auto result = download(request, fast_options());
    ASSERT_TRUE(result.has_value()) << result.error().message();
    EXPECT_EQ(result->bytes, 11u);
    EXPECT_FALSE(result->etag.empty());
    EXPECT_EQ(*base::read_file(request.destination), "local bytes");
    request.if_none_match = result->etag;  // unchanged file: not modified
    auto again = download(request, fast_options());
    ASSERT_TRUE(again.has_value());
    EXPECT_TRUE(again->not_modified);
  }
}

TEST_F(DownloadTest, ProgressDrawsABarPerTransferOnlyWhenEnabled) {
  serve("remote.conda", std::string(5000, 'r'));
  serve("local.conda", "l");
  const std::vector<DownloadRequest> requests = {
      request_for("remote.conda"),
      {.url = (served_->path() / "local.conda").string(),
       .destination = out_->path() / "local.conda", .label = "local package"}};
  for (const auto mode : {base::ProgressMode::kAlways, base::ProgressMode::kNever}) {
    base::Progress progress(mode);
    DownloadOptions options = fast_options();
    options.progress = &progress;
    ::testing::internal::CaptureStderr();
    const auto results = download_all(requests, options);
    const std::string drawn = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(results[0].has_value() && results[1].has_value());
    if (mode == base::ProgressMode::kNever) {
      EXPECT_EQ(drawn, "");
      continue;
    }
    EXPECT_NE(drawn.find("remote.conda"), std::string::npos) << drawn;
    EXPECT_NE(drawn.find("local package"), std::string::npos) << drawn;
    EXPECT_NE(drawn.find("done"), std::string::npos) << drawn;
  }
}

TEST_F(DownloadTest, TransferStopsAtTheSizeItsRecordDeclares) {
  serve("big.conda", std::string(2 << 20, 'b'));
  serve("short.conda", "short");
  // Half the body, then a long stall: only a transfer that stops at the declared size
  // comes back at once.
  server_->set_stall("/big.conda", std::chrono::milliseconds(5000));
  const fs::path served = served_->path();
  for (const std::string& base : {server_->url(""), "file://" + served.string()}) {
    SCOPED_TRACE(base);
    const auto start = std::chrono::steady_clock::now();
    DownloadRequest big{.url = base + "/big.conda",
                        .destination = out_->path() / "big.conda",
                        .expected_size = 1000};
    auto refused = download(big, fast_options());
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code(), ErrorCode::kCorrupt);
    EXPECT_EQ(refused.error().message(),
              "'" + big.url + "' is larger than the 1000 bytes its record declares");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    DownloadRequest shorter{.url = base + "/short.conda",
                            .destination = out_->path() / "short.conda",
                            .expected_size = 6};
    auto cut = download(shorter, fast_options());
    ASSERT_FALSE(cut.has_value());
    EXPECT_EQ(cut.error().code(), ErrorCode::kCorrupt);
    EXPECT_EQ(cut.error().message(),
              "'" + shorter.url + "' has 5 bytes, not the 6 bytes its record declares");
    EXPECT_TRUE(output_names().empty());
    shorter.expected_size = 5;
    auto exact = download(shorter, fast_options());
    ASSERT_TRUE(exact.has_value()) << exact.error().message();
    EXPECT_EQ(*base::read_file(shorter.destination), "short");
    fs::remove(shorter.destination);
  }
}

TEST_F(DownloadTest, OnlyRegularFilesAreCopiedFromLocalUrls) {
  const fs::path fifo = served_->path() / "pipe.conda";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const fs::path zero = served_->path() / "zero.conda";
  fs::create_symlink("/dev/zero", zero);
  // Bounds what a copy of /dev/zero could write, should the check ever go.
  const base::FileSizeLimit limit(1 << 20);
  const std::vector<std::pair<fs::path, std::string>> cases = {{fifo, "it is a fifo"},
                                                               {zero, "it is a character device"}};
  for (const auto& [source, kind] : cases) {
    SCOPED_TRACE(source.filename().string());
    const base::FifoUnblocker unblock(fifo, std::chrono::milliseconds(1500));
    const auto start = std::chrono::steady_clock::now();
    auto result = download(DownloadRequest{.url = "file://" + source.string(),
                                           .destination = out_->path() / "copy.conda"},
                           fast_options());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().message(), "'" + source.string() + "' is not a regular file: " + kind);
    EXPECT_TRUE(output_names().empty());
  }
}

TEST_F(DownloadTest, MissingLocalFileIsNotFound) {
  const std::string url = "file://" + (served_->path() / "nope.conda").string();
  auto result = download(DownloadRequest{.url = url, .destination = out_->path() / "n"},
                         fast_options());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(result.error().message(), "'" + url + "' not found: No such file or directory");
  EXPECT_TRUE(output_names().empty());
}

}  // namespace
}  // namespace graft::store
