#include "conda/version.h"

#include <algorithm>
#include <limits>

namespace graft::conda {
namespace {

constexpr std::size_t kMaxSmallDigits = 19;  // every 19-digit number fits in uint64_t

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool is_allowed(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || c == '*' || c == '.' || c == '+' ||
         c == '!' || c == '_';
}

bool all_allowed(std::string_view text) { return std::all_of(text.begin(), text.end(), is_allowed); }

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

// conda's version_split_re: runs of digits, runs of '*', runs of anything else.
std::size_t run_length(std::string_view text, std::size_t start) {
  auto same_class = [](char a, char b) {
    if (is_digit(a) || is_digit(b)) return is_digit(a) && is_digit(b);
    return (a == '*') == (b == '*');
  };
  std::size_t end = start + 1;
  while (end < text.size() && same_class(text[start], text[end])) ++end;
  return end - start;
}

}  // namespace

// Builds one Version; each step mirrors one step of VersionOrder.__init__.
class Version::Parser {
 public:
  explicit Parser(std::string_view text) { version_.original_ = std::string(text); }

  Result<Version> run() {
    GRAFT_RETURN_IF_ERROR(normalize());
    std::string_view rest(version_.storage_);
    std::string_view epoch = "0";
    if (auto bang = rest.find('!'); bang != std::string_view::npos) {
      if (rest.find('!', bang + 1) != std::string_view::npos) {
        return fail(reason("duplicated epoch separator '!'"));
      }
      epoch = rest.substr(0, bang);
      if (!all_digits(epoch)) return fail(reason("epoch must be an integer"));
      rest = rest.substr(bang + 1);
    }
    std::string_view local;
    bool has_local = false;
    if (auto plus = rest.find('+'); plus != std::string_view::npos) {
      if (rest.find('+', plus + 1) != std::string_view::npos) {
        return fail(reason("duplicated local version separator '+'"));
      }
      local = rest.substr(plus + 1);
      rest = rest.substr(0, plus);
      has_local = true;
    }
    if (rest.empty()) return fail(reason("missing version before local version separator '+'"));
    GRAFT_RETURN_IF_ERROR(add_component(epoch));
    GRAFT_RETURN_IF_ERROR(add_main(rest));
    version_.local_begin_ = static_cast<std::uint32_t>(version_.segment_ends_.size());
    if (has_local) GRAFT_RETURN_IF_ERROR(add_components(local));
    return std::move(version_);
  }

 private:
  Error reason(std::string_view why) const {
    return Error(ErrorCode::kInvalidArgument,
                 "invalid version '" + version_.original_ + "': " + std::string(why));
  }

  // Trims, lower-cases and validates characters; dashes become underscores when allowed.
  Status normalize() {
    std::string_view text = version_.original_;
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    if (text.empty()) return fail(reason("empty version string"));
    std::string& out = version_.storage_;
    out.reserve(text.size() + 3);  // room for "DEV" (see dev_text): views stay valid
    out.assign(text);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (!all_allowed(out) && out.find('-') != std::string::npos &&
        out.find('_') == std::string::npos) {
      std::replace(out.begin(), out.end(), '-', '_');
    }
    if (!all_allowed(out)) return fail(reason("invalid character(s)"));
    version_.normalized_length_ = static_cast<std::uint32_t>(out.size());
    version_.atoms_.reserve(out.size() + 2);  // at most one atom per character, plus fills
    version_.segment_ends_.reserve(out.size() + 1);
    return ok();
  }

  // The main version: components split at '.' and '_', except that a trailing '_' stays
  // attached to the last component ("1.0.1_" -> 1, 0, 1_).
  Status add_main(std::string_view text) {
    if (text.back() != '_') return add_components(text);
    std::string_view head = text.substr(0, text.size() - 1);
    std::size_t last_separator = head.find_last_of("._");
    std::size_t last_start = last_separator == std::string_view::npos ? 0 : last_separator + 1;
    if (last_start > 0) GRAFT_RETURN_IF_ERROR(add_components(head.substr(0, last_start - 1)));
    return add_component(text.substr(last_start));
  }

  Status add_components(std::string_view text) {
    std::size_t start = 0;
    while (true) {
      std::size_t end = text.find_first_of("._", start);
      GRAFT_RETURN_IF_ERROR(add_component(text.substr(start, end - start)));
      if (end == std::string_view::npos) return ok();
      start = end + 1;
    }
  }

  Status add_component(std::string_view component) {
    if (component.empty()) return fail(reason("empty version component"));
    if (!is_digit(component.front())) version_.atoms_.push_back(Atom{});  // fill value 0
    for (std::size_t i = 0; i < component.size();) {
      std::size_t length = run_length(component, i);
      add_atom(component.substr(i, length));
      i += length;
    }
    version_.segment_ends_.push_back(static_cast<std::uint32_t>(version_.atoms_.size()));
    return ok();
  }

  // `run` is a view into storage_ (offsets stay valid: storage_ only grows at its end).
  void add_atom(std::string_view run) {
    Atom atom;
    if (is_digit(run.front())) {
      add_number(run, atom);
    } else if (run == "post") {
      atom.kind = Kind::kPost;
    } else {
      atom.kind = Kind::kString;
      atom.offset = offset_of(run == "dev" ? dev_text() : run);
      atom.length = static_cast<std::uint16_t>(std::min<std::size_t>(run.size(), 0xffff));
    }
    version_.atoms_.push_back(atom);
  }

  void add_number(std::string_view digits, Atom& atom) {
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    atom.kind = Kind::kNumber;
    if (digits.size() > kMaxSmallDigits) {
      atom.big = true;
      atom.offset = offset_of(digits);
      atom.length = static_cast<std::uint16_t>(std::min<std::size_t>(digits.size(), 0xffff));
      return;
    }
    for (char c : digits) atom.number = atom.number * 10 + static_cast<std::uint64_t>(c - '0');
  }

  std::uint32_t offset_of(std::string_view inside_storage) const {
    return static_cast<std::uint32_t>(inside_storage.data() - version_.storage_.data());
  }

  // "dev" sorts as upper-case "DEV" (below '_' and letters); stored once after the text.
  std::string_view dev_text() {
    if (dev_offset_ == std::string::npos) {
      dev_offset_ = version_.storage_.size();
      version_.storage_.append("DEV");  // within the capacity reserved by normalize()
    }
    return std::string_view(version_.storage_).substr(dev_offset_, 3);
  }

  Version version_;
  std::size_t dev_offset_ = std::string::npos;
};

Result<Version> Version::parse(std::string_view text) {
  if (text.size() > std::numeric_limits<std::uint16_t>::max()) {
    return fail(ErrorCode::kInvalidArgument,
                "invalid version '" + std::string(text.substr(0, 64)) + "...': too long");
  }
  return Parser(text).run();
}

Version::Range Version::segment(std::size_t index) const {
  std::uint32_t begin = index == 0 ? 0 : segment_ends_[index - 1];
  return Range{begin, segment_ends_[index]};
}

int Version::compare_atoms(const Atom& a, const Version& other, const Atom& b) const {
  if (a.kind != b.kind) return a.kind < b.kind ? -1 : 1;
  switch (a.kind) {
    case Kind::kPost:
      return 0;
    case Kind::kString: {
      int order = text_of(a).compare(other.text_of(b));
      return order < 0 ? -1 : (order > 0 ? 1 : 0);
    }
    case Kind::kNumber:
      break;
  }
  if (!a.big && !b.big) return a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
  if (a.big != b.big) return a.big ? 1 : -1;
  if (a.length != b.length) return a.length < b.length ? -1 : 1;
  int order = text_of(a).compare(other.text_of(b));
  return order < 0 ? -1 : (order > 0 ? 1 : 0);
}

// Python's zip_longest over two components with fill value 0.
int Version::compare_segments(Range a, const Version& other, Range b) const {
  static constexpr Atom kZero{};
  std::uint32_t count = std::max(a.end - a.begin, b.end - b.begin);
  for (std::uint32_t i = 0; i < count; ++i) {
    const Atom& left = a.begin + i < a.end ? atoms_[a.begin + i] : kZero;
    const Atom& right = b.begin + i < b.end ? other.atoms_[b.begin + i] : kZero;
    if (int order = compare_atoms(left, other, right); order != 0) return order;
  }
  return 0;
}

// Compares components [begin, end) with other's [other_begin, other_end); a missing
// component is empty, which compares like [0].
int Version::compare_parts(std::size_t begin, std::size_t end, const Version& other,
                           std::size_t other_begin, std::size_t other_end) const {
  std::size_t count = std::max(end - begin, other_end - other_begin);
  for (std::size_t i = 0; i < count; ++i) {
    Range left = begin + i < end ? segment(begin + i) : Range{0, 0};
    Range right = other_begin + i < other_end ? other.segment(other_begin + i) : Range{0, 0};
    if (int order = compare_segments(left, other, right); order != 0) return order;
  }
  return 0;
}

int Version::compare(const Version& other) const {
  if (int order = compare_parts(0, local_begin_, other, 0, other.local_begin_); order != 0) {
    return order;
  }
  return compare_parts(local_begin_, segment_ends_.size(), other, other.local_begin_,
                       other.segment_ends_.size());
}

bool Version::starts_with(const Version& prefix) const {
  std::size_t begin = 0, end = local_begin_;
  std::size_t prefix_begin = 0, prefix_end = prefix.local_begin_;
  if (prefix.has_local()) {
    if (compare_parts(0, local_begin_, prefix, 0, prefix.local_begin_) != 0) return false;
    begin = local_begin_;
    end = segment_ends_.size();
    prefix_begin = prefix.local_begin_;
    prefix_end = prefix.segment_ends_.size();
  }
  std::size_t head = prefix_end - prefix_begin - 1;  // components that must be equal
  if (compare_parts(begin, std::min(end, begin + head), prefix, prefix_begin,
                    prefix_begin + head) != 0) {
    return false;
  }
  Range mine = begin + head < end ? segment(begin + head) : Range{0, 0};
  Range theirs = prefix.segment(prefix_begin + head);
  std::uint32_t last = theirs.end - theirs.begin - 1;  // atoms that must be equal
  if (compare_segments(Range{mine.begin, std::min(mine.end, mine.begin + last)}, prefix,
                       Range{theirs.begin, theirs.begin + last}) != 0) {
    return false;
  }
  static constexpr Atom kZero{};
  const Atom& mine_last = mine.begin + last < mine.end ? atoms_[mine.begin + last] : kZero;
  const Atom& theirs_last = prefix.atoms_[theirs.begin + last];
  if (theirs_last.kind == Kind::kString) {
    return mine_last.kind == Kind::kString &&
           text_of(mine_last).starts_with(prefix.text_of(theirs_last));
  }
  return compare_atoms(mine_last, prefix, theirs_last) == 0;
}

bool Version::compatible_with(const Version& base) const {
  std::string_view text = base.normalized();
  std::size_t last_dot = text.rfind('.');
  if (last_dot == std::string_view::npos) return false;
  auto prefix = Version::parse(text.substr(0, last_dot));
  return prefix && compare(base) >= 0 && starts_with(*prefix);
}

void Version::append_repr(std::string& out, const Atom& atom) const {
  switch (atom.kind) {
    case Kind::kPost:
      out += "inf";
      return;
    case Kind::kString:
      out += '\'';
      out += text_of(atom);
      out += '\'';
      return;
    case Kind::kNumber:
      out += atom.big ? std::string(text_of(atom)) : std::to_string(atom.number);
      return;
  }
}

std::string Version::debug_components() const {
  std::string out = "[";
  for (std::size_t i = 0; i < local_begin_; ++i) {
    if (i > 0) out += ", ";
    out += '[';
    Range range = segment(i);
    for (std::uint32_t j = range.begin; j < range.end; ++j) {
      if (j > range.begin) out += ", ";
      append_repr(out, atoms_[j]);
    }
    out += ']';
  }
  out += ']';
  return out;
}

}  // namespace graft::conda
