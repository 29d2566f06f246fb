// libFuzzer target for the files that recreate environments: environment.yml, @EXPLICIT and
// spec lists, conda-lock v1 (CMake builds it: a libFuzzer binary with -DGRAFT_FUZZ=ON and
// clang, otherwise a bounded smoke test run by ctest).
// Checks, beyond "no crash" (yaml-cpp exceptions must not escape): every error is
// kInvalidArgument; an explicit record has a name, version, build and a URL ending in its fn.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "env/conda_lock.h"
#include "env/env_file.h"
#include "env/explicit_file.h"

namespace {

void check_error(const graft::Error& error) {
  if (error.code() != graft::ErrorCode::kInvalidArgument) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto file = graft::env::parse_environment_file(text, "fuzz.yml");
  if (!file) check_error(file.error());
  auto list = graft::env::parse_package_list(text, "fuzz.txt", "/work");
  if (!list) {
    check_error(list.error());
  } else {
    for (const auto& record : list->packages) {
      if (record.name.empty() || record.version.empty() || record.build.empty()) std::abort();
      if (!record.url.ends_with(record.fn)) std::abort();
    }
  }
  auto lock = graft::env::parse_conda_lock(text, "fuzz-lock.yml");
  if (!lock) {
    check_error(lock.error());
  } else {
    for (const auto& package : graft::env::select_packages(*lock, "linux-64", {"main"})) {
      auto record = graft::env::locked_record(package);
      if (!record) check_error(record.error());
    }
  }
  return 0;
}
