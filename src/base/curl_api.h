// libcurl, loaded at run time. Linking libcurl pulls in ~30 shared libraries (TLS,
// Kerberos, LDAP, ICU, ...) that every graft command would pay for at startup (~6 ms),
// although only network fetches use them; so graft dlopen()s "libcurl.so.4" the first time
// a transfer needs it and calls it through the function pointers below.
//
// <curl/curl.h> is used for its types and constants only: call `api.easy_setopt(...)`, never
// `curl_easy_setopt(...)` (that would bring the link dependency back).
//
// Used by the package downloads (store) and by base/http_client.h; call that for a single
// request.
#pragma once

#include <curl/curl.h>

#include <string>

#include "base/result.h"

namespace graft::base {

// The libcurl functions graft uses, resolved from one loaded library. Every pointer is
// non-null in a CurlApi returned by the functions below. Plain data: copyable, and safe to
// call from any thread as far as libcurl itself allows (one easy/multi handle per thread).
struct CurlApi {
  CURLcode (*global_init)(long flags);
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL* easy, CURLoption option, ...);
  CURLcode (*easy_perform)(CURL* easy);
  CURLcode (*easy_getinfo)(CURL* easy, CURLINFO info, ...);
  void (*easy_cleanup)(CURL* easy);
  const char* (*easy_strerror)(CURLcode code);
  CURLM* (*multi_init)();
  CURLMcode (*multi_add_handle)(CURLM* multi, CURL* easy);
  CURLMcode (*multi_remove_handle)(CURLM* multi, CURL* easy);
  CURLMcode (*multi_perform)(CURLM* multi, int* running);
  CURLMcode (*multi_poll)(CURLM* multi, curl_waitfd* extra, unsigned extra_count, int timeout_ms,
                          int* ready);
  CURLMsg* (*multi_info_read)(CURLM* multi, int* left);
  CURLMcode (*multi_cleanup)(CURLM* multi);
  curl_slist* (*slist_append)(curl_slist* list, const char* text);
  void (*slist_free_all)(curl_slist* list);
};

// The shared library curl_api() loads.
inline constexpr const char* kCurlLibrary = "libcurl.so.4";

// The process-wide libcurl: loads kCurlLibrary and calls curl_global_init once, on the
// first call; later calls return the same pointer (or the same error) without retrying.
// Thread-safe. The library is never unloaded; the pointer is valid for the whole process.
// Errors: kUnavailable "cannot load 'libcurl.so.4': <dlerror>" (with a hint to install
// libcurl4), "'libcurl.so.4' has no function ...", or "cannot initialise ...".
[[nodiscard]] Result<const CurlApi*> curl_api();

// Loads `library` (a file name searched like dlopen() does, or a path) and resolves every
// CurlApi function from it; does not call global_init. On success the library stays loaded
// for the rest of the process (libcurl cannot be unloaded safely); on failure it is
// unloaded again. Thread-safe. Errors: kUnavailable when the library cannot be loaded
// ("cannot load '<library>': <dlerror>") or lacks a function ("'<library>' has no
// function 'curl_...': ..."), both with a hint to install libcurl4.
[[nodiscard]] Result<CurlApi> load_curl_api(const std::string& library);

}  // namespace graft::base
