// conda::Version: a package version ordered exactly like conda's VersionOrder
// (conda/models/version.py).
//
// Parsing follows conda step by step: the text is trimmed and lower-cased; dashes become
// underscores when the text has no underscore; an optional epoch `N!` and local version
// `+local` are split off; the rest is split into components at `.` and `_` (a trailing `_`
// stays with the last component, for openssl-like versions such as `1.0.1_`); each component
// is split into runs of digits, runs of `*` and other runs. Digit runs are numbers, `post`
// sorts above every number, `dev` below every other string, and a component that starts with
// a string gets a leading 0. Missing parts compare as 0, so `1.1 == 1.1.0`.
//
// Ordering within a position: `*` < `dev` < `_` < other strings (lexicographic) < numbers <
// `post`. Local versions only break ties between equal main versions.
//
// Parse once, compare many: compare() walks two flat arrays and allocates nothing.
// Values are immutable after parse; concurrent reads are safe.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace graft::conda {

class Version {
 public:
  // Parses `text`. Errors (kInvalidArgument), worded as conda words them:
  //   "invalid version '1.2&3': invalid character(s)", "...: empty version string",
  //   "...: epoch must be an integer", "...: duplicated epoch separator '!'",
  //   "...: duplicated local version separator '+'",
  //   "...: missing version before local version separator '+'",
  //   "...: empty version component".
  [[nodiscard]] static Result<Version> parse(std::string_view text);

  // The text exactly as given to parse().
  [[nodiscard]] const std::string& to_string() const { return original_; }
  // conda's str(VersionOrder): trimmed, lower-cased, dashes turned into underscores.
  [[nodiscard]] std::string_view normalized() const {
    return std::string_view(storage_).substr(0, normalized_length_);
  }
  // conda's VersionOrder.version (local part excluded) in Python repr form, e.g.
  // "[[0], [1], [2], [3, 'rc', 1]]"; `post` prints as inf, `dev` as 'DEV'.
  [[nodiscard]] std::string debug_components() const;
  [[nodiscard]] bool has_local() const { return local_begin_ < segment_ends_.size(); }

  // Three-way comparison in conda order: negative, zero or positive.
  [[nodiscard]] int compare(const Version& other) const;
  // conda's VersionOrder.startswith: true when this version begins with `prefix` up to the
  // prefix's last element, e.g. 1.2.3 starts with 1.2, 1.2rc1 starts with 1.2rc, 1.20 does
  // not start with 1.2. Used by `=1.2` and `1.2.*` specs.
  [[nodiscard]] bool starts_with(const Version& prefix) const;
  // PEP 440 / conda `~=base`: this >= base and this starts with base minus its last
  // `.`-separated part (`~=1.4.2` accepts 1.4.5, not 1.5). Returns false when base has a
  // single part (conda raises at match time there; VersionSpec rejects it at parse time).
  [[nodiscard]] bool compatible_with(const Version& base) const;

  friend bool operator==(const Version& a, const Version& b) { return a.compare(b) == 0; }
  friend std::strong_ordering operator<=>(const Version& a, const Version& b) {
    return a.compare(b) <=> 0;
  }

 private:
  enum class Kind : std::uint8_t { kString = 0, kNumber = 1, kPost = 2 };
  struct Atom {
    std::uint64_t number = 0;   // kNumber when !big
    std::uint32_t offset = 0;   // kString text, or digits of a big kNumber, in storage_
    std::uint16_t length = 0;
    Kind kind = Kind::kNumber;
    bool big = false;           // more than 19 significant digits: compared as text
  };
  struct Range {
    std::uint32_t begin;
    std::uint32_t end;
  };
  class Parser;

  [[nodiscard]] Range segment(std::size_t index) const;
  [[nodiscard]] std::string_view text_of(const Atom& atom) const {
    return std::string_view(storage_).substr(atom.offset, atom.length);
  }
  [[nodiscard]] int compare_atoms(const Atom& a, const Version& other, const Atom& b) const;
  [[nodiscard]] int compare_segments(Range a, const Version& other, Range b) const;
  [[nodiscard]] int compare_parts(std::size_t begin, std::size_t end, const Version& other,
                                  std::size_t other_begin, std::size_t other_end) const;
  void append_repr(std::string& out, const Atom& atom) const;

  std::string original_;
  std::string storage_;  // normalized text, then atom texts that are not in it ("DEV")
  std::uint32_t normalized_length_ = 0;
  std::vector<Atom> atoms_;
  std::vector<std::uint32_t> segment_ends_;  // end index in atoms_ of each component
  std::uint32_t local_begin_ = 0;            // first local component in segment_ends_
};

}  // namespace graft::conda
