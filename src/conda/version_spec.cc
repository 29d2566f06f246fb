#include "conda/version_spec.h"

#include <algorithm>
#include <optional>
#include <regex>
#include <vector>

namespace graft::conda {

struct VersionSpec::Node {
  enum class Kind {
    kAny, kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual,
    kStartsWith, kNotStartsWith, kCompatible, kRegex, kExactText, kAnd, kOr,
  };
  Kind kind = Kind::kAny;
  std::string text;                 // canonical text of this node
  std::optional<Version> version;   // operand of comparison and prefix leaves
  std::optional<Version> prefix;    // kCompatible: the operand minus its last part
  std::optional<std::regex> regex;  // kRegex
  std::string exact_text;           // kExactText
  std::vector<std::shared_ptr<const Node>> children;  // kAnd, kOr
};

namespace {

using Node = VersionSpec::Node;
using NodePtr = std::shared_ptr<const Node>;

bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool is_operator_char(char c) { return c == '(' || c == ')' || c == '|' || c == ','; }

struct Token {
  enum class Kind { kOpen, kClose, kOr, kAnd, kLeaf, kEnd } kind;
  std::string_view text;
};

// Splits like conda's VSPEC_TOKENS: `^...$` regexes (which may hold `|`, `(`, `,`),
// the four operators, and runs of anything else.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : text_(text) {}

  Token next() {
    while (position_ < text_.size() && is_space(text_[position_])) ++position_;
    if (position_ == text_.size()) return {Token::Kind::kEnd, {}};
    char c = text_[position_];
    if (c == '^') {
      std::size_t dollar = text_.find('$', position_);
      if (dollar != std::string_view::npos) return take(Token::Kind::kLeaf, dollar + 1);
    }
    switch (c) {
      case '(': return take(Token::Kind::kOpen, position_ + 1);
      case ')': return take(Token::Kind::kClose, position_ + 1);
      case '|': return take(Token::Kind::kOr, position_ + 1);
      case ',': return take(Token::Kind::kAnd, position_ + 1);
      default: break;
    }
    std::size_t end = position_;
    while (end < text_.size() && !is_operator_char(text_[end])) ++end;
    return take(Token::Kind::kLeaf, end);
  }

 private:
  Token take(Token::Kind kind, std::size_t end) {
    Token token{kind, trim(text_.substr(position_, end - position_))};
    position_ = end;
    return token;
  }

  std::string_view text_;
  std::size_t position_ = 0;
};

struct Operator {
  std::string_view symbol;
  Node::Kind kind;
};

constexpr Operator kOperators[] = {
    {"==", Node::Kind::kEqual},       {"!=", Node::Kind::kNotEqual},
    {"<=", Node::Kind::kLessEqual},   {">=", Node::Kind::kGreaterEqual},
    {"~=", Node::Kind::kCompatible},  {"=", Node::Kind::kStartsWith},
    {"<", Node::Kind::kLess},         {">", Node::Kind::kGreater},
};

// conda's version_relation_re: an operator not followed by another operator character,
// then a version without whitespace.
std::optional<Operator> split_operator(std::string_view leaf, std::string_view& operand) {
  for (const Operator& op : kOperators) {
    if (!leaf.starts_with(op.symbol)) continue;
    std::string_view rest = leaf.substr(op.symbol.size());
    if (!rest.empty() && std::string_view("=<>!~").find(rest.front()) != std::string_view::npos) {
      continue;
    }
    if (rest.empty() || std::any_of(rest.begin(), rest.end(), is_space)) return std::nullopt;
    operand = rest;
    return op;
  }
  return std::nullopt;
}

std::string escape_glob(std::string_view glob) {
  std::string pattern = "^(?:";
  for (char c : glob) {
    if (c == '*') {
      pattern += ".*";
    } else {
      if (std::string_view("\\^$.|?+()[]{}").find(c) != std::string_view::npos) pattern += '\\';
      pattern += c;
    }
  }
  return pattern + ")$";
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text), tokens_(text) { advance(); }

  Result<NodePtr> run() {
    GRAFT_ASSIGN_OR_RETURN(NodePtr root, parse_group(Node::Kind::kOr));
    if (current_.kind == Token::Kind::kClose) return fail(error("unexpected ')'"));
    if (current_.kind != Token::Kind::kEnd) return fail(error("unexpected text"));
    return root;
  }

 private:
  Error error(std::string_view why) const {
    return Error(ErrorCode::kInvalidArgument,
                 "invalid version spec '" + std::string(text_) + "': " + std::string(why));
  }
  void advance() { current_ = tokens_.next(); }

  // kOr: and-groups separated by '|'; kAnd: primaries separated by ','.
  Result<NodePtr> parse_group(Node::Kind kind) {
    Token::Kind separator = kind == Node::Kind::kOr ? Token::Kind::kOr : Token::Kind::kAnd;
    auto group = std::make_shared<Node>();
    group->kind = kind;
    while (true) {
      auto item = kind == Node::Kind::kOr ? parse_group(Node::Kind::kAnd) : parse_primary();
      if (!item) return item;
      if ((*item)->kind == kind) {  // "(a|b)|c" is "a|b|c", as conda fuses them
        group->children.insert(group->children.end(), (*item)->children.begin(),
                               (*item)->children.end());
      } else {
        group->children.push_back(std::move(*item));
      }
      if (current_.kind != separator) break;
      advance();
    }
    if (group->children.size() == 1) return group->children.front();
    group->text = join(*group);
    return NodePtr(std::move(group));
  }

  static std::string join(const Node& group) {
    std::string text;
    for (const NodePtr& child : group.children) {
      if (!text.empty()) text += group.kind == Node::Kind::kOr ? '|' : ',';
      bool parens = group.kind == Node::Kind::kAnd && child->kind == Node::Kind::kOr;
      text += parens ? "(" + child->text + ")" : child->text;
    }
    return text;
  }

  Result<NodePtr> parse_primary() {
    Token token = current_;
    if (token.kind == Token::Kind::kOpen) {
      advance();
      GRAFT_ASSIGN_OR_RETURN(NodePtr inner, parse_group(Node::Kind::kOr));
      if (current_.kind != Token::Kind::kClose) return fail(error("missing ')'"));
      advance();
      return inner;
    }
    if (token.kind != Token::Kind::kLeaf || token.text.empty()) {
      std::string where = token.kind == Token::Kind::kEnd ? "at the end" : "here";
      return fail(error("expected a version " + where));
    }
    advance();
    return parse_leaf(token.text);
  }

  Result<NodePtr> parse_leaf(std::string_view leaf) {
    auto node = std::make_shared<Node>();
    node->text = std::string(leaf);
    if (leaf.front() == '^' || leaf.back() == '$') {
      if (leaf.front() != '^' || leaf.back() != '$') {
        return fail(error("regex specs must start with '^' and end with '$'"));
      }
      GRAFT_RETURN_IF_ERROR(set_regex(*node, std::string(leaf)));
    } else if (leaf.starts_with("===")) {
      std::string_view exact = leaf.substr(3);
      if (exact.empty() || std::any_of(exact.begin(), exact.end(), is_space)) {
        return fail(error("invalid operator"));
      }
      node->kind = Node::Kind::kExactText;
      node->exact_text = std::string(exact);
    } else if (std::string_view("=<>!~").find(leaf.front()) != std::string_view::npos) {
      GRAFT_RETURN_IF_ERROR(parse_relation(*node, leaf));
    } else if (leaf == "*") {
      node->kind = Node::Kind::kAny;
    } else if (std::string_view stem = leaf.substr(0, leaf.find_last_not_of('*') + 1);
               stem.find('*') != std::string_view::npos) {
      GRAFT_RETURN_IF_ERROR(set_regex(*node, escape_glob(leaf)));
    } else if (leaf.back() == '*') {
      if (!leaf.ends_with(".*")) node->text = std::string(stem) + ".*";
      std::string_view operand = std::string_view(node->text);
      operand = operand.substr(0, operand.find_last_not_of('*') + 1);
      operand = operand.substr(0, operand.find_last_not_of('.') + 1);
      node->kind = Node::Kind::kStartsWith;
      GRAFT_RETURN_IF_ERROR(set_version(*node, operand));
    } else {
      node->kind = leaf.find('@') == std::string_view::npos ? Node::Kind::kEqual
                                                            : Node::Kind::kExactText;
      node->exact_text = std::string(leaf);
      if (node->kind == Node::Kind::kEqual) GRAFT_RETURN_IF_ERROR(set_version(*node, leaf));
    }
    return NodePtr(std::move(node));
  }

  Status parse_relation(Node& node, std::string_view leaf) {
    std::string_view operand;
    std::optional<Operator> op = split_operator(leaf, operand);
    if (!op) return fail(error("invalid operator"));
    node.kind = op->kind;
    if (operand.ends_with(".*")) {
      if (op->kind == Node::Kind::kCompatible) return fail(error("invalid operator with '.*'"));
      if (op->kind == Node::Kind::kNotEqual) node.kind = Node::Kind::kNotStartsWith;
      operand.remove_suffix(2);
    }
    GRAFT_RETURN_IF_ERROR(set_version(node, operand));
    if (node.kind != Node::Kind::kCompatible) return ok();
    std::string_view base = node.version->normalized();
    std::size_t last_dot = base.rfind('.');
    if (last_dot == std::string_view::npos) {
      return fail(error("'~=' needs a version with at least two parts"));
    }
    auto prefix = Version::parse(base.substr(0, last_dot));
    if (!prefix) return fail(error(prefix.error().message()));
    node.prefix = std::move(*prefix);
    return ok();
  }

  Status set_version(Node& node, std::string_view operand) {
    auto version = Version::parse(operand);
    if (!version) return fail(error(version.error().message()));
    node.version = std::move(*version);
    return ok();
  }

  Status set_regex(Node& node, const std::string& pattern) {
    try {
      node.regex.emplace(pattern, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return fail(error(std::string("invalid regular expression: ") + e.what()));
    }
    node.kind = Node::Kind::kRegex;
    return ok();
  }

  std::string_view text_;
  Tokenizer tokens_;
  Token current_{Token::Kind::kEnd, {}};
};

// `version` is null when the text is not a valid version: only text leaves can match then.
bool match_node(const Node& node, const Version* version, std::string_view text) {
  using Kind = Node::Kind;
  switch (node.kind) {
    case Kind::kAny: return true;
    case Kind::kRegex: return std::regex_search(text.begin(), text.end(), *node.regex);
    case Kind::kExactText: return text == node.exact_text;
    case Kind::kAnd:
      for (const NodePtr& child : node.children) {
        if (!match_node(*child, version, text)) return false;
      }
      return true;
    case Kind::kOr:
      for (const NodePtr& child : node.children) {
        if (match_node(*child, version, text)) return true;
      }
      return false;
    default: break;
  }
  if (version == nullptr) return false;
  switch (node.kind) {
    case Kind::kEqual: return version->compare(*node.version) == 0;
    case Kind::kNotEqual: return version->compare(*node.version) != 0;
    case Kind::kLess: return version->compare(*node.version) < 0;
    case Kind::kLessEqual: return version->compare(*node.version) <= 0;
    case Kind::kGreater: return version->compare(*node.version) > 0;
    case Kind::kGreaterEqual: return version->compare(*node.version) >= 0;
    case Kind::kStartsWith: return version->starts_with(*node.version);
    case Kind::kNotStartsWith: return !version->starts_with(*node.version);
    case Kind::kCompatible:
      return version->compare(*node.version) >= 0 && version->starts_with(*node.prefix);
    default: return false;
  }
}

std::shared_ptr<const Node> any_node() {
  static const auto node = [] {
    auto any = std::make_shared<Node>();
    any->text = "*";
    return std::shared_ptr<const Node>(std::move(any));
  }();
  return node;
}

}  // namespace

VersionSpec::VersionSpec() : VersionSpec(any_node(), "*", false) {}

VersionSpec::VersionSpec(std::shared_ptr<const Node> root, std::string text, bool exact)
    : root_(std::move(root)), text_(std::move(text)), exact_(exact) {}

Result<VersionSpec> VersionSpec::parse(std::string_view text) {
  GRAFT_ASSIGN_OR_RETURN(NodePtr root, Parser(text).run());
  bool exact = root->kind == Node::Kind::kEqual || root->kind == Node::Kind::kExactText;
  std::string canonical = root->text;
  return VersionSpec(std::move(root), std::move(canonical), exact);
}

bool VersionSpec::matches(const Version& version) const {
  return match_node(*root_, &version, version.to_string());
}

bool VersionSpec::matches(std::string_view version) const {
  auto parsed = Version::parse(version);
  return match_node(*root_, parsed ? &*parsed : nullptr, version);
}

bool VersionSpec::is_any() const { return root_->kind == Node::Kind::kAny; }

}  // namespace graft::conda
