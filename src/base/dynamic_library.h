// Loading a shared library on first use (dlopen), for the heavy dependencies most commands
// never touch (libcurl for http(s), libarchive for package archives): a command that does
// not need them does not pay for loading them and everything they pull in.
//
// Thread-safety: a DynamicLibrary is used by one thread while it resolves; the functions it
// resolves may then be called from any thread.
#pragma once

#include <string>

#include "base/result.h"

namespace graft::base {

class DynamicLibrary {
 public:
  // dlopen(name, RTLD_NOW | RTLD_LOCAL). `hint` says how to install the library; every
  // error of this object carries it. Errors: kUnavailable "cannot load 'NAME': <dlerror>".
  [[nodiscard]] static Result<DynamicLibrary> open(std::string name, std::string hint);

  DynamicLibrary(DynamicLibrary&& other) noexcept;
  DynamicLibrary& operator=(DynamicLibrary&&) = delete;
  DynamicLibrary(const DynamicLibrary&) = delete;
  DynamicLibrary& operator=(const DynamicLibrary&) = delete;
  // Closes the library unless keep_loaded() was called.
  ~DynamicLibrary();

  // Sets `slot` to the function `symbol`. Errors: kUnavailable "'NAME' has no function
  // 'SYMBOL': <dlerror>".
  template <typename Function>
  [[nodiscard]] Status resolve(const char* symbol, Function& slot) const {
    GRAFT_ASSIGN_OR_RETURN(void* address, find(symbol));
    slot = reinterpret_cast<Function>(address);
    return ok();
  }

  // Leaves the library loaded for the rest of the process (the resolved functions stay
  // valid after this object is gone).
  void keep_loaded() { handle_ = nullptr; }

 private:
  DynamicLibrary(void* handle, std::string name, std::string hint)
      : handle_(handle), name_(std::move(name)), hint_(std::move(hint)) {}
  [[nodiscard]] Result<void*> find(const char* symbol) const;

  void* handle_;
  std::string name_;
  std::string hint_;
};

}  // namespace graft::base
