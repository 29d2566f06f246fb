// libFuzzer target for Version and VersionSpec parsing (CMake builds it: a libFuzzer binary with
// -DGRAFT_FUZZ=ON and clang, otherwise a bounded smoke test run by ctest).
// Checks, beyond "no crash": a parsed version equals itself and orders consistently against
// a fixed set; a parsed spec re-parses from its canonical text to the same canonical text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "conda/version.h"
#include "conda/version_spec.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void check_version(std::string_view text) {
  auto version = graft::conda::Version::parse(text);
  if (!version) return;
  check(*version == *version);
  check(version->starts_with(*version));
  for (std::string_view other_text : {"0", "1.0", "1.0a1", "1.0.post1", "1!0.1", "1.0+local"}) {
    auto other = graft::conda::Version::parse(other_text);
    check(other.has_value());
    check(version->compare(*other) == -other->compare(*version));
  }
  check(!version->debug_components().empty());
}

void check_spec(std::string_view text) {
  auto spec = graft::conda::VersionSpec::parse(text);
  if (!spec) return;
  auto again = graft::conda::VersionSpec::parse(spec->to_string());
  check(again.has_value() && again->to_string() == spec->to_string());
  (void)spec->matches(text);
  (void)spec->matches("1.2.3");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_version(text);
  check_spec(text);
  return 0;
}
