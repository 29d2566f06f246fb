// conda::VersionSpec: a constraint on versions, as conda's VersionSpec
// (conda/models/version.py) parses and prints it.
//
// Grammar: `|` (or) binds looser than `,` (and); parentheses group. A leaf is one of
//   `*`                          any version
//   `1.2.3`                      equal (`==`), trailing zeros ignored
//   `==1.2 !=1.2 <1.2 <=1.2 >1.2 >=1.2`
//   `~=1.2.3`                    compatible release: >=1.2.3 and starts with 1.2
//   `=1.2`, `1.2.*`, `1.2*`      starts with 1.2 (component-wise: not 1.20)
//   `!=1.2.*`                    does not start with 1.2
//   `1.*.3`                      glob on the version text
//   `^1\.2\..*$`                 regular expression on the version text
//   `===1.2`                     exact text (graft extension; conda rejects `===`)
//   text containing `@`          exact text (conda's legacy form)
// `.*` after `==`, `<`, `<=`, `>` is ignored, as conda does (with a deprecation warning).
//
// to_string() is conda's canonical text: each leaf as written (trimmed, `1.2*` written
// `1.2.*`), joined with `,` and `|`; an or-group inside an and-group keeps its parentheses
// (conda drops them, which changes the meaning; see conda issue #15654).
//
// Values are immutable and cheap to copy (the parsed tree is shared); concurrent reads are
// safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "conda/version.h"

namespace graft::conda {

class VersionSpec {
 public:
  // The spec that matches every version ("*").
  VersionSpec();

  // Parses `text`. Errors (kInvalidArgument) name the spec and the problem, e.g.
  //   "invalid version spec '>=1.2,': expected a version after ','",
  //   "invalid version spec '<>1.2': invalid operator",
  //   "invalid version spec '>=1.2&': invalid version '1.2&': invalid character(s)".
  [[nodiscard]] static Result<VersionSpec> parse(std::string_view text);

  // True when `version` satisfies the spec. Regex, glob and exact-text leaves look at
  // version.to_string().
  [[nodiscard]] bool matches(const Version& version) const;
  // Parses `version` first; text that is not a valid version matches only the leaves that
  // look at text (regex, glob, exact text, `*`).
  [[nodiscard]] bool matches(std::string_view version) const;

  [[nodiscard]] const std::string& to_string() const { return text_; }
  // conda's is_exact(): a single `==` leaf (or `1.2.3`, or exact text).
  [[nodiscard]] bool is_exact() const { return exact_; }
  // True for "*".
  [[nodiscard]] bool is_any() const;

  // conda compares specs by their canonical text.
  friend bool operator==(const VersionSpec& a, const VersionSpec& b) {
    return a.text_ == b.text_;
  }

  struct Node;  // defined in version_spec.cc

 private:
  VersionSpec(std::shared_ptr<const Node> root, std::string text, bool exact);

  std::shared_ptr<const Node> root_;
  std::string text_;
  bool exact_ = false;
};

}  // namespace graft::conda
