// Internal to module route: typed, located reads from a yaml-cpp document. Every error is
// kInvalidArgument formatted "file:line: message", then the source line and a caret under
// the offending column (just "file: message" when the node has no position).
// Not thread-safe (holds no mutable state, but yaml-cpp nodes are not safe to share).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/result.h"
#include "route/values.h"

namespace graft::route {

class YamlReader {
 public:
  // `text` must outlive the reader.
  YamlReader(std::string_view text, std::string_view file_name);

  // Parses the document; yaml-cpp exceptions become located errors.
  [[nodiscard]] Result<YAML::Node> load() const;

  [[nodiscard]] Error error_at(const YAML::Mark& mark, std::string_view message) const;
  [[nodiscard]] Error error_at(const YAML::Node& node, std::string_view message) const {
    return error_at(node.Mark(), message);
  }
  // Re-anchors an unlocated error (from values.h or checks.h) at `node`.
  [[nodiscard]] Status located(const YAML::Node& node, Status status) const;

  // `node` is a map whose keys are unique strings from `allowed`. `where` names the map
  // in messages ("" for the top level, "health", ...).
  [[nodiscard]] Status expect_map(const YAML::Node& node, std::string_view what) const;
  [[nodiscard]] Status check_keys(const YAML::Node& map, std::string_view where,
                                  const std::vector<std::string>& allowed) const;

  // Scalars. `what` names the value in messages: "'salt'", "weight of 'treatment'".
  [[nodiscard]] Result<std::string> string(const YAML::Node& node, std::string_view what) const;
  [[nodiscard]] Result<std::uint64_t> unsigned_integer(const YAML::Node& node,
                                                       std::string_view what) const;
  [[nodiscard]] Result<bool> boolean(const YAML::Node& node, std::string_view what) const;
  [[nodiscard]] Result<std::chrono::milliseconds> duration(const YAML::Node& node,
                                                           std::string_view what) const;
  [[nodiscard]] Result<Address> address(const YAML::Node& node, std::string_view what,
                                        PortPolicy policy) const;

 private:
  [[nodiscard]] std::string_view source_line(int line) const;

  std::string_view text_;
  std::string file_name_;
};

}  // namespace graft::route
