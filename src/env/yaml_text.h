// Internal to module env: a YAML document read with yaml-cpp and errors located in it, as
// the environment.yml and conda-lock readers report them: "<source>:<line>: <message>",
// then the source line and a caret under the column ("<source>: <message>" for a node
// without a position). Every error is kInvalidArgument.
// Not thread-safe (yaml-cpp nodes are not safe to share); the text must outlive it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/result.h"

namespace graft::env {

class YamlText {
 public:
  YamlText(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  // The document; a syntax error becomes "<source>:<line>: invalid YAML: ...".
  [[nodiscard]] Result<YAML::Node> load() const;

  [[nodiscard]] Error error_at(const YAML::Mark& mark, std::string_view message) const;
  [[nodiscard]] Error error_at(const YAML::Node& node, std::string_view message) const {
    return error_at(node.Mark(), message);
  }

  // A scalar's text; "<what> must be a string, got a list" otherwise.
  [[nodiscard]] Result<std::string> scalar(const YAML::Node& node, std::string_view what) const;
  // A list of scalars (null reads as empty); "<what> must be a list of strings, ..." otherwise.
  [[nodiscard]] Result<std::vector<std::string>> scalars(const YAML::Node& node,
                                                         std::string_view what) const;

  [[nodiscard]] const std::string& source() const { return source_; }

 private:
  std::string_view text_;
  std::string source_;
};

// "a map", "a list", "a string" or "nothing", for messages.
[[nodiscard]] std::string_view yaml_kind(const YAML::Node& node);

}  // namespace graft::env
