// libFuzzer target for MatchSpec parsing (CMake builds it: a libFuzzer binary with
// -DGRAFT_FUZZ=ON and clang, otherwise a bounded smoke test run by ctest).
// Checks, beyond "no crash": the canonical text of a parsed spec parses again and prints
// the same; matching a record never crashes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "conda/match_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = graft::conda::MatchSpec::parse(text);
  if (!spec) return 0;
  std::string canonical = spec->to_string();
  // As in conda, text ending in a package extension is read as a package path, so a spec
  // whose name ends with ".conda" does not round-trip (a name no real package has).
  if (canonical.ends_with(".conda") || canonical.ends_with(".tar.bz2")) return 0;
  // A bracket value holding both quote characters cannot be quoted (nor in conda).
  if (canonical.find('\'') != std::string::npos && canonical.find('"') != std::string::npos) {
    return 0;
  }
  auto again = graft::conda::MatchSpec::parse(canonical);
  if (!again || again->to_string() != canonical) {
    std::fprintf(stderr, "round trip failed: '%s' prints as '%s', which %s\n",
                 std::string(text).c_str(), canonical.c_str(),
                 again ? ("prints as '" + again->to_string() + "'").c_str()
                       : ("does not parse: " + again.error().message()).c_str());
    std::abort();
  }
  graft::conda::PackageRecord record;
  record.name = "numpy";
  record.version = "1.7.1";
  record.build = "py27_0";
  record.channel = "https://conda.anaconda.org/conda-forge/linux-64";
  (void)spec->matches(record);
  return 0;
}
