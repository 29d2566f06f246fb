#include "store/download.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "base/curl_api.h"
#include "base/progress.h"
#include "base/strings.h"
#include "store/download_internal.h"
#include "store/url.h"

namespace graft::store {
using base::curl_api;
using base::CurlApi;
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kMaxPollWait = std::chrono::milliseconds(100);

// One URL's transfer across all its attempts.
struct Transfer {
  std::size_t index = 0;
  const DownloadRequest* request = nullptr;
  const CurlApi* api = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::optional<detail::TempFile> temp;
  std::unique_ptr<detail::DigestPair> digests;
  DownloadResult result;
  std::optional<Error> write_error;
  base::ProgressTask* task = nullptr;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};

  ~Transfer() {
    if (easy != nullptr) api->easy_cleanup(easy);
    if (headers != nullptr) api->slist_free_all(headers);
  }
};

long response_code(const Transfer& transfer) {
  long code = 0;
  transfer.api->easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &code);
  return code;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t length = size * count;
  const long code = response_code(*transfer);
  if (code < 200 || code >= 300) return length;  // error pages are discarded
  const std::string_view bytes(data, length);
  if (auto within = detail::check_growth(*transfer->request, transfer->result.bytes + length);
      !within) {
    transfer->write_error = std::move(within).error();
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  const std::uint64_t decoded = transfer->result.bytes + length;
  const std::uint64_t ratio = transfer->request->max_expansion;
  if (ratio > 0 && decoded > kExpansionFloor) {
    curl_off_t received = 0;  // bytes off the wire, before Content-Encoding is undone
    transfer->api->easy_getinfo(transfer->easy, CURLINFO_SIZE_DOWNLOAD_T, &received);
    if (received > 0 && decoded / static_cast<std::uint64_t>(received) > ratio) {
      transfer->write_error =
          Error(ErrorCode::kCorrupt, "'" + transfer->request->url + "' expands to more than " +
                                         std::to_string(ratio) + " times the " +
                                         std::to_string(received) +
                                         " bytes received: refused as a decompression bomb");
      return 0;
    }
  }
  if (auto written = transfer->temp->write(bytes); !written) {
    transfer->write_error = std::move(written).error();
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->digests->update(bytes);
  transfer->result.bytes += length;
  return length;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t length = size * count;
  const std::string_view line = base::trim(std::string_view(data, length));
  if (base::starts_with(line, "HTTP/")) {  // a new response (redirect, 100-continue)
    transfer->result.etag.clear();
    transfer->result.last_modified.clear();
    transfer->result.cache_control.clear();
    return length;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return length;
  const std::string name = base::to_lower(base::trim(line.substr(0, colon)));
  const std::string value(base::trim(line.substr(colon + 1)));
  if (name == "etag") transfer->result.etag = value;
  if (name == "last-modified") transfer->result.last_modified = value;
  if (name == "cache-control") transfer->result.cache_control = value;
  return length;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* transfer = static_cast<Transfer*>(user);
  if (transfer->task != nullptr) {
    transfer->task->set(static_cast<std::uint64_t>(now), static_cast<std::uint64_t>(total));
  }
  return 0;
}

void set_request_headers(Transfer& transfer) {
  const DownloadRequest& request = *transfer.request;
  const CurlApi& api = *transfer.api;
  if (!request.if_none_match.empty()) {
    transfer.headers =
        api.slist_append(transfer.headers, ("If-None-Match: " + request.if_none_match).c_str());
  }
  if (!request.if_modified_since.empty()) {
    transfer.headers = api.slist_append(
        transfer.headers, ("If-Modified-Since: " + request.if_modified_since).c_str());
  }
  if (transfer.headers != nullptr) {
    api.easy_setopt(transfer.easy, CURLOPT_HTTPHEADER, transfer.headers);
  }
}

void configure(Transfer& transfer, const DownloadOptions& options) {
  const CurlApi& api = *transfer.api;
  CURL* easy = transfer.easy;
  api.easy_setopt(easy, CURLOPT_URL, transfer.request->url.c_str());
  api.easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
  api.easy_setopt(easy, CURLOPT_MAXREDIRS, 10L);
  api.easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  api.easy_setopt(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
  api.easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                  static_cast<long>(options.connect_timeout.count()));
  api.easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(options.low_speed_limit));
  api.easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                  std::max(1L, static_cast<long>(options.low_speed_time.count())));
  api.easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error_buffer.data());
  api.easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  api.easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  api.easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  api.easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  api.easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
  api.easy_setopt(easy, CURLOPT_XFERINFODATA, &transfer);
  api.easy_setopt(easy, CURLOPT_NOPROGRESS, transfer.task == nullptr ? 1L : 0L);
  set_request_headers(transfer);
}

bool is_retryable(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return true;
    default: return false;
  }
}

bool is_retryable_status(long status) {
  return status >= 500 || status == 408 || status == 429;
}

// A complete 2xx body: check its digest, then rename it into place.
Result<DownloadResult> commit(Transfer& transfer) {
  transfer.digests->finish(transfer.result);
  GRAFT_RETURN_IF_ERROR(detail::verify_digests(*transfer.request, transfer.result));
  GRAFT_RETURN_IF_ERROR(transfer.temp->commit(transfer.request->destination));
  return transfer.result;
}

// Runs the remote transfers of one download_all() call on one curl multi handle.
class MultiRunner {
 public:
  MultiRunner(const CurlApi& api, const DownloadOptions& options,
              std::vector<Result<DownloadResult>>& results, const DownloadCallback& on_done)
      : api_(api),
        options_(options),
        results_(results),
        on_done_(on_done),
        multi_(api.multi_init()) {}
  ~MultiRunner() {
    for (auto& transfer : transfers_) {
      if (transfer->easy != nullptr) api_.multi_remove_handle(multi_, transfer->easy);
    }
    api_.multi_cleanup(multi_);
  }
  MultiRunner(const MultiRunner&) = delete;
  MultiRunner& operator=(const MultiRunner&) = delete;

  void add(std::size_t index, const DownloadRequest& request);
  void run();

 private:
  void start(Transfer& transfer);
  void finish(Transfer& transfer, Result<DownloadResult> result);
  void on_complete(Transfer& transfer, CURLcode code);
  std::optional<Result<DownloadResult>> judge(Transfer& transfer, CURLcode code);
  void drain_messages();
  void start_due(Clock::time_point now);
  int poll_timeout_ms(Clock::time_point now) const;

  const CurlApi& api_;
  const DownloadOptions& options_;
  std::vector<Result<DownloadResult>>& results_;
  const DownloadCallback& on_done_;
  CURLM* multi_;
  std::vector<std::unique_ptr<Transfer>> transfers_;
  std::deque<Transfer*> ready_;
  std::vector<std::pair<Clock::time_point, Transfer*>> backing_off_;
  std::size_t active_ = 0;
};

void MultiRunner::add(std::size_t index, const DownloadRequest& request) {
  auto transfer = std::make_unique<Transfer>();
  transfer->index = index;
  transfer->request = &request;
  transfer->api = &api_;
  ready_.push_back(transfer.get());
  transfers_.push_back(std::move(transfer));
}

void MultiRunner::start(Transfer& transfer) {
  if (transfer.easy == nullptr) {
    auto temp = detail::TempFile::create(transfer.request->destination);
    if (!temp) return finish(transfer, tl::unexpected(std::move(temp).error()));
    transfer.temp.emplace(std::move(temp).value());
    transfer.easy = api_.easy_init();
    if (transfer.easy == nullptr) {
      return finish(transfer, fail(ErrorCode::kInternal, "libcurl could not create a handle for '" +
                                                             transfer.request->url + "'"));
    }
    if (options_.progress != nullptr && options_.progress->enabled()) {
      const auto& label = transfer.request->label;
      transfer.task =
          options_.progress->add_task(label.empty() ? url_basename(transfer.request->url) : label);
    }
    configure(transfer, options_);
  } else if (auto truncated = transfer.temp->truncate(); !truncated) {
    return finish(transfer, tl::unexpected(std::move(truncated).error()));
  }
  transfer.digests = std::make_unique<detail::DigestPair>();
  transfer.digests->enabled = detail::wants_digests(*transfer.request);
  transfer.result.bytes = 0;
  transfer.error_buffer[0] = '\0';
  api_.multi_add_handle(multi_, transfer.easy);
  ++active_;
}

void MultiRunner::finish(Transfer& transfer, Result<DownloadResult> result) {
  if (transfer.task != nullptr) transfer.task->finish();
  transfer.temp.reset();  // removes the temp file unless it was committed
  results_[transfer.index] = std::move(result);
  if (on_done_) on_done_(transfer.index, results_[transfer.index]);
}

std::optional<Result<DownloadResult>> MultiRunner::judge(Transfer& transfer, CURLcode code) {
  const std::string& url = transfer.request->url;
  if (transfer.write_error) return tl::unexpected(*transfer.write_error);
  const long status = response_code(transfer);
  transfer.result.http_status = status;
  std::string cause;
  if (code == CURLE_OK && status >= 200 && status < 300) return commit(transfer);
  if (code == CURLE_OK && status == 304) {
    transfer.result.not_modified = true;
    transfer.result.bytes = 0;
    return transfer.result;
  }
  if (code == CURLE_OK && (status == 404 || status == 410)) {
    return fail(ErrorCode::kNotFound,
                "'" + url + "' not found (HTTP " + std::to_string(status) + ")");
  }
  if (code == CURLE_OK) {
    if (!is_retryable_status(status)) {
      return fail(ErrorCode::kIo,
                  "downloading '" + url + "' failed: HTTP " + std::to_string(status));
    }
    cause = "HTTP " + std::to_string(status);
  } else {
    cause =
        transfer.error_buffer[0] != '\0' ? transfer.error_buffer.data() : api_.easy_strerror(code);
    if (!is_retryable(code)) {
      return fail(ErrorCode::kIo, "downloading '" + url + "' failed: " + cause);
    }
  }
  if (transfer.result.attempts < options_.max_attempts) return std::nullopt;
  return fail(ErrorCode::kUnavailable, "downloading '" + url + "' failed after " +
                                           std::to_string(transfer.result.attempts) +
                                           " attempts: " + cause);
}

void MultiRunner::on_complete(Transfer& transfer, CURLcode code) {
  api_.multi_remove_handle(multi_, transfer.easy);
  --active_;
  std::optional<Result<DownloadResult>> verdict = judge(transfer, code);
  if (verdict) return finish(transfer, std::move(*verdict));
  // Retry after backoff: initial * 2^(attempts-1), capped.
  auto wait = options_.initial_backoff;
  for (int i = 1; i < transfer.result.attempts && wait < options_.max_backoff; ++i) wait *= 2;
  wait = std::min(wait, options_.max_backoff);
  ++transfer.result.attempts;
  backing_off_.emplace_back(Clock::now() + wait, &transfer);
}

void MultiRunner::drain_messages() {
  int left = 0;
  while (CURLMsg* message = api_.multi_info_read(multi_, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    Transfer* transfer = nullptr;
    for (auto& candidate : transfers_) {
      if (candidate->easy == message->easy_handle) transfer = candidate.get();
    }
    if (transfer != nullptr) on_complete(*transfer, message->data.result);
  }
}

void MultiRunner::start_due(Clock::time_point now) {
  for (auto it = backing_off_.begin(); it != backing_off_.end();) {
    if (it->first <= now) {
      ready_.push_back(it->second);
      it = backing_off_.erase(it);
    } else {
      ++it;
    }
  }
  while (active_ < std::max<std::size_t>(1, options_.max_parallel) && !ready_.empty()) {
    Transfer* transfer = ready_.front();
    ready_.pop_front();
    start(*transfer);
  }
}

int MultiRunner::poll_timeout_ms(Clock::time_point now) const {
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kMaxPollWait);
  for (const auto& [due, transfer] : backing_off_) {
    const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(due - now);
    wait = std::max(std::chrono::milliseconds(0), std::min(wait, until));
  }
  return static_cast<int>(wait.count());
}

void MultiRunner::run() {
  // Bounded: every attempt ends by curl's connect/low-speed timeouts, attempts are capped.
  while (!ready_.empty() || !backing_off_.empty() || active_ > 0) {
    start_due(Clock::now());
    int running = 0;
    api_.multi_perform(multi_, &running);
    drain_messages();
    if (ready_.empty() && backing_off_.empty() && active_ == 0) break;
    if (!ready_.empty() && active_ < options_.max_parallel) continue;
    api_.multi_poll(multi_, nullptr, 0, poll_timeout_ms(Clock::now()), nullptr);
  }
}

// Runs the http(s) requests at `indices`; libcurl is loaded here, on the first remote
// download of the process, so local-only commands never pay for it.
void download_remote(std::span<const DownloadRequest> requests,
                     std::span<const std::size_t> indices, const DownloadOptions& options,
                     std::vector<Result<DownloadResult>>& results,
                     const DownloadCallback& on_done) {
  Result<const CurlApi*> api = curl_api();
  if (!api) {
    for (std::size_t i : indices) {
      results[i] =
          fail(Error(api.error()).with_context("cannot download '" + requests[i].url + "'"));
      if (on_done) on_done(i, results[i]);
    }
    return;
  }
  MultiRunner runner(**api, options, results, on_done);
  for (std::size_t i : indices) runner.add(i, requests[i]);
  runner.run();
}

}  // namespace

std::vector<Result<DownloadResult>> download_all(std::span<const DownloadRequest> requests,
                                                 const DownloadOptions& options,
                                                 const DownloadCallback& on_done) {
  std::vector<Result<DownloadResult>> results(
      requests.size(), tl::unexpected(Error(ErrorCode::kInternal, "download not run")));
  std::vector<std::size_t> remote;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (is_remote_url(requests[i].url)) {
      remote.push_back(i);
      continue;
    }
    results[i] = detail::copy_local(requests[i], options);
    if (on_done) on_done(i, results[i]);
  }
  if (!remote.empty()) download_remote(requests, remote, options, results, on_done);
  return results;
}

Result<DownloadResult> download(const DownloadRequest& request, const DownloadOptions& options) {
  auto results = download_all(std::span<const DownloadRequest>(&request, 1), options);
  return std::move(results.front());
}

}  // namespace graft::store
