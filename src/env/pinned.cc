#include "env/pinned.h"

#include <fmt/core.h>

#include "base/fs.h"
#include "base/strings.h"

namespace graft::env {

Result<std::vector<Pin>> read_pins(const std::filesystem::path& prefix) {
  const std::filesystem::path path = prefix / "conda-meta" / "pinned";
  std::vector<Pin> pins;
  std::error_code error;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, error))) return pins;
  GRAFT_ASSIGN_OR_RETURN(std::string text, base::read_file(path));
  int number = 0;
  for (std::string_view line : base::split(text, '\n')) {
    ++number;
    line = base::trim(line);
    if (line.empty() || line.front() == '#') continue;
    auto spec = conda::MatchSpec::parse(line);
    if (!spec) {
      return fail(Error(ErrorCode::kCorrupt,
                        fmt::format("{}:{}: '{}' is not a valid pin: {}", path.string(), number,
                                    base::abbreviate(line), spec.error().message()))
                      .with_hint("fix or remove that line of conda-meta/pinned"));
    }
    pins.push_back({.text = std::string(line), .spec = std::move(*spec), .line = number});
  }
  return pins;
}

}  // namespace graft::env
