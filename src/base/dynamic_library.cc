#include "base/dynamic_library.h"

#include <dlfcn.h>

#include <utility>

namespace graft::base {
namespace {

std::string last_dl_error() {
  const char* text = dlerror();
  return text != nullptr ? text : "unknown error";
}

}  // namespace

Result<DynamicLibrary> DynamicLibrary::open(std::string name, std::string hint) {
  void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return fail(Error(ErrorCode::kUnavailable, "cannot load '" + name + "': " + last_dl_error())
                    .with_hint(std::move(hint)));
  }
  return DynamicLibrary(handle, std::move(name), std::move(hint));
}

DynamicLibrary::DynamicLibrary(DynamicLibrary&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      name_(std::move(other.name_)),
      hint_(std::move(other.hint_)) {}

DynamicLibrary::~DynamicLibrary() {
  if (handle_ != nullptr) dlclose(handle_);
}

Result<void*> DynamicLibrary::find(const char* symbol) const {
  dlerror();  // clear a stale error
  void* address = dlsym(handle_, symbol);
  if (address == nullptr) {
    return fail(Error(ErrorCode::kUnavailable,
                      "'" + name_ + "' has no function '" + symbol + "': " + last_dl_error())
                    .with_hint(hint_));
  }
  return address;
}

}  // namespace graft::base
