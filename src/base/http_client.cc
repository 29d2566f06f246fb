#include "base/http_client.h"

#include <memory>

#include "base/curl_api.h"
#include "base/fs.h"
#include "base/strings.h"

namespace graft::base {
namespace {

struct CurlDeleter {
  const CurlApi* api;
  void operator()(CURL* curl) const { api->easy_cleanup(curl); }
};
struct HeaderListDeleter {
  const CurlApi* api;
  void operator()(curl_slist* list) const { api->slist_free_all(list); }
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<HttpResponse*>(out)->body.append(data, size * count);
  return size * count;
}

// One header line ("Name: value\r\n"); status lines and the blank line are skipped. A
// redirect's or 100-continue's headers are dropped when the next status line comes.
std::size_t append_header(char* data, std::size_t size, std::size_t count, void* out) {
  auto* response = static_cast<HttpResponse*>(out);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    response->headers.clear();
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    response->headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                   std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

Error transfer_error(const CurlApi& api, CURL* curl, CURLcode code) {
  long os_errno = 0;
  api.easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
  std::string cause = code == CURLE_OPERATION_TIMEDOUT ? "timed out"
                      : os_errno != 0 ? to_lower(errno_text(static_cast<int>(os_errno)))
                                      : to_lower(api.easy_strerror(code));
  return Error(ErrorCode::kUnavailable, cause);
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  const std::string wanted = to_lower(name);
  for (const auto& [key, value] : headers) {
    if (to_lower(key) == wanted) return value;
  }
  return {};
}

Result<HttpResponse> http_request(const HttpRequest& request) {
  GRAFT_ASSIGN_OR_RETURN(const CurlApi* api, curl_api());
  std::unique_ptr<CURL, CurlDeleter> curl(api->easy_init(), CurlDeleter{api});
  if (!curl) return fail(ErrorCode::kUnavailable, "could not initialise libcurl");
  std::unique_ptr<curl_slist, HeaderListDeleter> headers(nullptr, HeaderListDeleter{api});
  for (const auto& [name, value] : request.headers) {
    const std::string line = name + ": " + value;
    headers.reset(api->slist_append(headers.release(), line.c_str()));
  }
  HttpResponse response;
  CURL* handle = curl.get();
  api->easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  api->easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  api->easy_setopt(handle, CURLOPT_NOPROXY, "*");
  api->easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  api->easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));
  api->easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));
  api->easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  api->easy_setopt(handle, CURLOPT_WRITEFUNCTION, append_body);
  api->easy_setopt(handle, CURLOPT_WRITEDATA, &response);
  api->easy_setopt(handle, CURLOPT_HEADERFUNCTION, append_header);
  api->easy_setopt(handle, CURLOPT_HEADERDATA, &response);
  if (request.method == "HEAD") api->easy_setopt(handle, CURLOPT_NOBODY, 1L);
  if (request.method != "GET" && request.method != "HEAD") {
    api->easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.c_str());
    api->easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }
  if (CURLcode code = api->easy_perform(handle); code != CURLE_OK) {
    return fail(transfer_error(*api, handle, code));
  }
  api->easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace graft::base
