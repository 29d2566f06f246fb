#include "store/curl_api.h"

#include <dlfcn.h>

#include <utility>

namespace graft::store {
namespace {

constexpr const char* kInstallHint =
    "http(s) transfers need libcurl: install it (Debian/Ubuntu: `apt-get install libcurl4`, "
    "Fedora: `dnf install libcurl`); local channels (file://) work without it";

std::string last_dl_error() {
  const char* text = dlerror();
  return text != nullptr ? text : "unknown error";
}

// Resolves one function of `library` into `slot`.
template <typename Function>
Status resolve(void* handle, const std::string& library, const char* name, Function& slot) {
  dlerror();  // clear a stale error
  void* symbol = dlsym(handle, name);
  if (symbol == nullptr) {
    return fail(Error(ErrorCode::kUnavailable,
                      "'" + library + "' has no function '" + name + "': " + last_dl_error())
                    .with_hint(kInstallHint));
  }
  slot = reinterpret_cast<Function>(symbol);
  return ok();
}

Status resolve_all(void* handle, const std::string& library, CurlApi& api) {
  const auto one = [&](const char* name, auto& slot) {
    return resolve(handle, library, name, slot);
  };
  GRAFT_RETURN_IF_ERROR(one("curl_global_init", api.global_init));
  GRAFT_RETURN_IF_ERROR(one("curl_easy_init", api.easy_init));
  GRAFT_RETURN_IF_ERROR(one("curl_easy_setopt", api.easy_setopt));
  GRAFT_RETURN_IF_ERROR(one("curl_easy_perform", api.easy_perform));
  GRAFT_RETURN_IF_ERROR(one("curl_easy_getinfo", api.easy_getinfo));
  GRAFT_RETURN_IF_ERROR(one("curl_easy_cleanup", api.easy_cleanup));
  GRAFT_RETURN_IF_ERROR(one("curl_easy_strerror", api.easy_strerror));
  GRAFT_RETURN_IF_ERROR(one("curl_multi_init", api.multi_init));
  GRAFT_RETURN_IF_ERROR(one("curl_multi_add_handle", api.multi_add_handle));
  GRAFT_RETURN_IF_ERROR(one("curl_multi_remove_handle", api.multi_remove_handle));
  GRAFT_RETURN_IF_ERROR(one("curl_multi_perform", api.multi_perform));
  GRAFT_RETURN_IF_ERROR(one("curl_multi_poll", api.multi_poll));
  GRAFT_RETURN_IF_ERROR(one("curl_multi_info_read", api.multi_info_read));
  GRAFT_RETURN_IF_ERROR(one("curl_multi_cleanup", api.multi_cleanup));
  GRAFT_RETURN_IF_ERROR(one("curl_slist_append", api.slist_append));
  GRAFT_RETURN_IF_ERROR(one("curl_slist_free_all", api.slist_free_all));
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
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return fail(Error(ErrorCode::kUnavailable, "cannot load '" + library + "': " + last_dl_error())
                    .with_hint(kInstallHint));
  }
  CurlApi api{};
  if (auto resolved = resolve_all(handle, library, api); !resolved) {
    dlclose(handle);
    return tl::unexpected(std::move(resolved).error());
  }
  return api;  // `handle` stays open for the rest of the process, by design
}

Result<const CurlApi*> curl_api() {
  // A function-local static is initialised exactly once, thread-safely (C++11 magic
  // statics); a failure is remembered too, so a missing library is not retried per call.
  static const Result<CurlApi> loaded = load_and_initialise();
  if (!loaded) return tl::unexpected(loaded.error());
  return &*loaded;
}

}  // namespace graft::store
