#include "base/curl_api.h"

#include <utility>

#include "base/dynamic_library.h"

namespace graft::base {
namespace {

constexpr const char* kInstallHint =
    "http(s) transfers need libcurl: install it (Debian/Ubuntu: `apt-get install libcurl4`, "
    "Fedora: `dnf install libcurl`); local channels (file://) work without it";

Status resolve_all(const base::DynamicLibrary& library, CurlApi& api) {
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_global_init", api.global_init));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_easy_init", api.easy_init));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_easy_setopt", api.easy_setopt));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_easy_perform", api.easy_perform));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_easy_getinfo", api.easy_getinfo));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_easy_cleanup", api.easy_cleanup));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_easy_strerror", api.easy_strerror));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_multi_init", api.multi_init));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_multi_add_handle", api.multi_add_handle));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_multi_remove_handle", api.multi_remove_handle));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_multi_perform", api.multi_perform));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_multi_poll", api.multi_poll));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_multi_info_read", api.multi_info_read));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_multi_cleanup", api.multi_cleanup));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_slist_append", api.slist_append));
  GRAFT_RETURN_IF_ERROR(library.resolve("curl_slist_free_all", api.slist_free_all));
  return ok();
}

Result<CurlApi> load_and_initialise() {
  GRAFT_ASSIGN_OR_RETURN(CurlApi api, load_curl_api(kCurlLibrary));
  if (CURLcode code = api.global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
    return fail(ErrorCode::kUnavailable, std::string("cannot initialise '") + kCurlLibrary +
                                             "': " + api.easy_strerror(code));
  }
  return api;
}

}  // namespace

Result<CurlApi> load_curl_api(const std::string& library) {
  GRAFT_ASSIGN_OR_RETURN(base::DynamicLibrary loaded,
                         base::DynamicLibrary::open(library, kInstallHint));
  CurlApi api{};
  GRAFT_RETURN_IF_ERROR(resolve_all(loaded, api));
  loaded.keep_loaded();  // for the rest of the process, by design
  return api;
}

Result<const CurlApi*> curl_api() {
  // A function-local static is initialised exactly once, thread-safely (C++11 magic
  // statics); a failure is remembered too, so a missing library is not retried per call.
  static const Result<CurlApi> loaded = load_and_initialise();
  if (!loaded) return tl::unexpected(loaded.error());
  return &*loaded;
}

}  // namespace graft::base
