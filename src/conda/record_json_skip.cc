// for_each_field_except: reads the top-level fields of a JSON object while stepping over
// the values of some fields on simdjson's structural index, without building their DOM.
//
// Stage 1 of simdjson's run-time selected kernel (the one its DOM parser uses; On-Demand's
// kernel is fixed by the compile flags, the portable fallback here) lists the offset of
// every structural character and of the first byte of every string and scalar; the big
// input is read in place when its padding is readable. The top-level
// object is walked on that list: "key" : value (, | }). Kept fields are copied, as text, into
// a small object that the DOM parser reads as usual. Anything unexpected (stage 1 errors,
// a malformed top level) goes to the full parse, which words the error as for_each_field.
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "conda/record_json.h"

namespace graft::conda::detail {
namespace {

// The structural index of one document. Reused across calls (one per thread): capacity only
// grows. Not thread-safe.
class StructuralIndex {
 public:
  // False when allocation or stage 1 fails (invalid UTF-8, an unclosed string, ...).
  bool build(std::string_view bytes) {
    if (!reserve(bytes.size())) return false;
    text_ = reinterpret_cast<const std::uint8_t*>(bytes.data());
    if (!padding_is_readable(bytes)) {  // else read in place: saves a copy of a big record
      if (buffer_capacity_ < bytes.size() || !buffer_) {
        buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(capacity_ +
                                                                 simdjson::SIMDJSON_PADDING);
        buffer_capacity_ = capacity_;
      }
      std::memcpy(buffer_.get(), bytes.data(), bytes.size());
      std::memset(buffer_.get() + bytes.size(), 0, simdjson::SIMDJSON_PADDING);
      text_ = buffer_.get();
    }
    return parser_->stage1(text_, bytes.size(), simdjson::stage1_mode::regular) ==
           simdjson::SUCCESS;
  }

  std::uint32_t size() const { return parser_->n_structural_indexes; }
  // The character at structural `i` (i < size()).
  char at(std::uint32_t i) const { return static_cast<char>(text_[offset(i)]); }
  std::uint32_t offset(std::uint32_t i) const { return parser_->structural_indexes[i]; }
  const char* text() const { return reinterpret_cast<const char*>(text_); }

 private:
  // simdjson may read SIMDJSON_PADDING bytes past the end (any content); that is safe
  // without a copy when they lie on the same memory page as the last byte.
  static bool padding_is_readable(std::string_view bytes) {
    constexpr std::uintptr_t kPage = 4096;  // the smallest page size
    if (bytes.empty()) return false;
    const auto last = reinterpret_cast<std::uintptr_t>(bytes.data()) + bytes.size() - 1;
    return last / kPage == (last + simdjson::SIMDJSON_PADDING) / kPage;
  }

  bool reserve(std::size_t length) {
    if (parser_ && length <= capacity_) return true;
    const std::size_t capacity = std::max<std::size_t>(length, 4096);
    parser_.reset();
    if (simdjson::get_active_implementation()->create_dom_parser_implementation(
            capacity, simdjson::DEFAULT_MAX_DEPTH, parser_) != simdjson::SUCCESS) {
      return false;
    }
    capacity_ = capacity;
    return true;
  }

  std::unique_ptr<simdjson::internal::dom_parser_implementation> parser_;
  std::size_t capacity_ = 0;  // bytes parser_ can index
  std::unique_ptr<std::uint8_t[]> buffer_;  // padded copy when the input's end is not
  std::size_t buffer_capacity_ = 0;
  const std::uint8_t* text_ = nullptr;  // the bytes indexed: the input or buffer_
};

// The structural after the value that starts at structural `i`; nullopt when its brackets
// do not match, nest deeper than 64 (the full parse then takes over) or the document ends
// inside it.
std::optional<std::uint32_t> skip_value(const StructuralIndex& index, std::uint32_t i) {
  const char first = index.at(i);
  if (first != '{' && first != '[') return i + 1;
  constexpr unsigned kMaxDepth = 64;
  std::uint64_t open = 0;  // the brackets still open, innermost in bit 0 (1: '{', 0: '[')
  unsigned depth = 0;
  for (std::uint32_t j = i; j < index.size(); ++j) {
    switch (const char c = index.at(j)) {
      case '{':
      case '[':
        if (depth == kMaxDepth) return std::nullopt;
        open = (open << 1) | (c == '{' ? 1u : 0u);
        ++depth;
        break;
      case '}':
      case ']':
        if (depth == 0 || (open & 1u) != (c == '}' ? 1u : 0u)) return std::nullopt;
        open >>= 1;
        if (--depth == 0) return j + 1;
        break;
      default:
        break;
    }
  }
  return std::nullopt;
}

// The raw key text between the quotes of the key at structural `i` (':' is at i + 1).
std::string_view raw_key(const StructuralIndex& index, std::uint32_t i) {
  std::string_view text(index.text() + index.offset(i), index.offset(i + 1) - index.offset(i));
  while (!text.empty() && text.back() != '"') text.remove_suffix(1);
  return text.size() >= 2 ? text.substr(1, text.size() - 2) : std::string_view();
}

// Copies the top-level fields not named in `skip` into `out` as a JSON object. False when
// the document is not one well-formed object at the structural level.
bool keep_fields(const StructuralIndex& index, const std::vector<std::string_view>& skip,
                 std::string& out) {
  const std::uint32_t count = index.size();
  if (count < 2 || index.at(0) != '{') return false;
  out = "{";
  if (index.at(1) == '}') return count == 2 && (out += '}', true);
  for (std::uint32_t i = 1;;) {
    if (i + 2 >= count || index.at(i) != '"' || index.at(i + 1) != ':') return false;
    const std::optional<std::uint32_t> end = skip_value(index, i + 2);
    if (!end || *end >= count || (index.at(*end) != ',' && index.at(*end) != '}')) return false;
    if (std::find(skip.begin(), skip.end(), raw_key(index, i)) == skip.end()) {
      if (out.size() > 1) out += ',';
      out.append(index.text() + index.offset(i), index.offset(*end) - index.offset(i));
    }
    if (index.at(*end) == '}') return *end + 1 == count && (out += '}', true);
    i = *end + 1;
  }
}

}  // namespace

Status for_each_field_except(std::string_view bytes, std::string_view source,
                             const std::vector<std::string_view>& skip,
                             const FieldCallback& on_field) {
  thread_local StructuralIndex index;
  thread_local simdjson::dom::parser parser;
  std::string kept;
  simdjson::dom::object object;
  if (!index.build(bytes) || !keep_fields(index, skip, kept) ||
      parser.parse(kept.data(), kept.size(), true).get_object().get(object)) {
    return for_each_field(bytes, source, on_field);  // reports the error as it words it
  }
  for (const simdjson::dom::key_value_pair field : object) {
    GRAFT_RETURN_IF_ERROR(on_field(field.key, field.value));
  }
  return ok();
}

}  // namespace graft::conda::detail
