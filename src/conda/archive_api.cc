#include "conda/archive_api.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "base/dynamic_library.h"

namespace graft::conda {
namespace {

constexpr const char* kArchiveHint =
    "package archives need libarchive: install it (Debian/Ubuntu: `apt-get install "
    "libarchive13`, Fedora: `dnf install libarchive`)";

}  // namespace

Result<ArchiveApi> load_archive_api(const std::string& library) {
  GRAFT_ASSIGN_OR_RETURN(base::DynamicLibrary loaded,
                         base::DynamicLibrary::open(library, kArchiveHint));
  ArchiveApi api{};
#define GRAFT_LIBARCHIVE_RESOLVE_(name) GRAFT_RETURN_IF_ERROR(loaded.resolve(#name, api.name));
  GRAFT_LIBARCHIVE_FUNCTIONS(GRAFT_LIBARCHIVE_RESOLVE_)
#undef GRAFT_LIBARCHIVE_RESOLVE_
  loaded.keep_loaded();  // for the rest of the process, by design
  return api;
}

Result<const ArchiveApi*> archive_api() {
  static const Result<ArchiveApi> loaded = load_archive_api(kArchiveLibrary);  // thread-safe
  if (!loaded) return tl::unexpected(loaded.error());
  return &*loaded;
}

const ArchiveApi& la() {
  Result<const ArchiveApi*> api = archive_api();
  if (!api) {
    std::fprintf(stderr, "graft: internal error: libarchive used before it was loaded: %s\n",
                 api.error().message().c_str());
    std::abort();
  }
  return **api;
}

}  // namespace graft::conda
