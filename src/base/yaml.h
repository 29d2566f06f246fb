// The one YAML reader (route.yml, environment.yml, conda-lock files, condarc): a document
// read with yaml-cpp, typed reads of its nodes, and errors located in the text. Every error
// is kInvalidArgument, formatted "<source>:<line>: <message>", then the source line and a
// caret under the offending column (just "<source>: <message>" for a node without a
// position, or a blank line).
// Not thread-safe (holds no mutable state, but yaml-cpp nodes are not safe to share); the
// text must outlive the reader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/result.h"

namespace graft::base {

// What a node is, for messages: "a map", "a list", "a number", "a string" or "nothing".
[[nodiscard]] std::string_view yaml_kind(const YAML::Node& node);

// Bounds on what load() parses, checked before yaml-cpp sees the text (which takes about a
// second per few megabytes): no file graft reads as YAML comes near them.
inline constexpr std::size_t kMaxYamlBytes = 32 << 20;
inline constexpr std::size_t kMaxYamlLineBytes = 64 << 10;

class YamlReader {
 public:
  // `source` names the text in messages (usually its path).
  YamlReader(std::string_view text, std::string_view source);

  // The document; a syntax error becomes "<source>:<line>: invalid YAML: ...", a text
  // over kMaxYamlBytes or with a line over kMaxYamlLineBytes an error saying so.
  [[nodiscard]] Result<YAML::Node> load() const;

  [[nodiscard]] Error error_at(const YAML::Mark& mark, std::string_view message) const;
  [[nodiscard]] Error error_at(const YAML::Node& node, std::string_view message) const {
    return error_at(node.Mark(), message);
  }
  // Re-anchors an unlocated error (e.g. from a value parser) at `node`; ok stays ok.
  [[nodiscard]] Status located(const YAML::Node& node, Status status) const;

  // `node` is a map ("<what> must be a map, got a list" otherwise).
  [[nodiscard]] Status expect_map(const YAML::Node& node, std::string_view what) const;
  // Every key of `map` is a unique string from `allowed`, with a value. `where` names the
  // map in messages ("" for the top level): "unknown key 'x' in 'health', did you mean ...".
  [[nodiscard]] Status check_keys(const YAML::Node& map, std::string_view where,
                                  const std::vector<std::string>& allowed) const;

  // Typed reads. `what` names the value in messages: "'salt'", "weight of 'treatment'".
  // A scalar's text ("<what> must be a string, got a list" otherwise).
  [[nodiscard]] Result<std::string> string(const YAML::Node& node, std::string_view what) const;
  // A list of scalars; null or absent reads as empty.
  [[nodiscard]] Result<std::vector<std::string>> strings(const YAML::Node& node,
                                                         std::string_view what) const;
  // Decimal digits only, fitting in 64 bits.
  [[nodiscard]] Result<std::uint64_t> unsigned_integer(const YAML::Node& node,
                                                       std::string_view what) const;
  // true/false, also yes/no and on/off as YAML 1.1 and conda read them; any case.
  [[nodiscard]] Result<bool> boolean(const YAML::Node& node, std::string_view what) const;

  [[nodiscard]] const std::string& source() const { return source_; }

 private:
  [[nodiscard]] Status check_size() const;
  [[nodiscard]] std::string_view source_line(int line) const;

  std::string_view text_;
  std::string source_;
};

}  // namespace graft::base
