#include "conda/record_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include <nlohmann/json.hpp>

namespace graft::conda::detail {
namespace {

void append_hex4(std::string& out, unsigned value) {
  char buffer[8];
  std::snprintf(buffer, sizeof(buffer), "\\u%04x", value & 0xFFFFU);
  out += buffer;
}

// Decodes one UTF-8 sequence at text[i]; returns its length, 0 when invalid.
std::size_t decode_utf8(std::string_view text, std::size_t i, unsigned& code_point) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned lead = byte(0);
  std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (length == 0 || i + length > text.size()) return 0;
  code_point = lead & (0x7FU >> length);
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(k) & 0xC0U) != 0x80U) return 0;
    code_point = (code_point << 6) | (byte(k) & 0x3FU);
  }
  return length;
}

// Appends text[i...] (non-ASCII) as \uXXXX escapes; returns the bytes consumed. Invalid
// UTF-8 becomes U+FFFD, one byte at a time.
std::size_t append_non_ascii(std::string& out, std::string_view text, std::size_t i) {
  unsigned code_point = 0xFFFD;
  const std::size_t length = decode_utf8(text, i, code_point);
  if (length == 0) code_point = 0xFFFD;
  if (code_point >= 0x10000) {
    code_point -= 0x10000;
    append_hex4(out, 0xD800 + (code_point >> 10));
    append_hex4(out, 0xDC00 + (code_point & 0x3FF));
  } else {
    append_hex4(out, code_point);
  }
  return length == 0 ? 1 : length;
}

void append_escaped_ascii(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      if (c < 0x20) {
        append_hex4(out, c);
      } else {
        out += static_cast<char>(c);
      }
  }
}

bool is_plain(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\';
}

// Python json.dumps(ensure_ascii=True) string escaping.
void append_escaped(std::string& out, std::string_view text) {
  out += '"';
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t run = i;  // copy printable ASCII without escapes in one go
    while (run < text.size() && is_plain(text[run])) ++run;
    out.append(text.data() + i, run - i);
    i = run;
    if (i == text.size()) break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      i += append_non_ascii(out, text, i);
    } else {
      append_escaped_ascii(out, c);
      ++i;
    }
  }
  out += '"';
}

// Offset of the first byte that is not part of valid UTF-8.
std::size_t first_invalid_utf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    unsigned code_point = 0;
    const std::size_t length = decode_utf8(bytes, i, code_point);
    if (length == 0) return i;
    i += length;
  }
  return bytes.size();
}

}  // namespace

void JsonWriter::newline_indent() {
  out_ += '\n';
  out_.append(2 * counts_.size(), ' ');
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (counts_.empty()) return;
  if (counts_.back()++ > 0) out_ += ',';
  newline_indent();
}

void JsonWriter::begin_object() {
  before_value();
  out_ += '{';
  counts_.push_back(0);
}

void JsonWriter::end_object() {
  const int count = counts_.back();
  counts_.pop_back();
  if (count > 0) newline_indent();
  out_ += '}';
}

void JsonWriter::begin_array() {
  before_value();
  out_ += '[';
  counts_.push_back(0);
}

void JsonWriter::end_array() {
  const int count = counts_.back();
  counts_.pop_back();
  if (count > 0) newline_indent();
  out_ += ']';
}

void JsonWriter::key(std::string_view name) {
  if (counts_.back()++ > 0) out_ += ',';
  newline_indent();
  append_escaped(out_, name);
  out_ += ": ";
  after_key_ = true;
}

void JsonWriter::string(std::string_view text) {
  before_value();
  append_escaped(out_, text);
}

void JsonWriter::integer(std::int64_t number) {
  before_value();
  out_ += std::to_string(number);
}

void JsonWriter::boolean(bool value) {
  before_value();
  out_ += value ? "true" : "false";
}

void JsonWriter::string_list(const std::vector<std::string>& items) {
  begin_array();
  for (const std::string& item : items) string(item);
  end_array();
}

void JsonWriter::raw(std::string_view json, SortKeys sort) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  if (parser.parse(json.data(), json.size(), true).get(element) != simdjson::SUCCESS) {
    before_value();  // stored text is always valid JSON; keep it rather than lose it
    out_ += json;
    return;
  }
  emit_element(element, sort);
}

void JsonWriter::emit_object(simdjson::dom::object object, SortKeys sort) {
  std::vector<std::pair<std::string_view, simdjson::dom::element>> fields;
  for (const simdjson::dom::key_value_pair field : object)
    fields.emplace_back(field.key, field.value);
  if (sort == SortKeys::kYes) {
    std::stable_sort(fields.begin(), fields.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  begin_object();
  for (const auto& [name, value] : fields) {
    key(name);
    emit_element(value, sort);
  }
  end_object();
}

void JsonWriter::emit_element(simdjson::dom::element element, SortKeys sort) {
  using simdjson::dom::element_type;
  switch (element.type()) {
    case element_type::ARRAY: {
      const simdjson::dom::array array = element.get_array().value_unsafe();
      begin_array();
      for (const simdjson::dom::element item : array) emit_element(item, sort);
      end_array();
      return;
    }
    case element_type::OBJECT: emit_object(element.get_object().value_unsafe(), sort); return;
    case element_type::STRING: string(element.get_string().value_unsafe()); return;
    case element_type::INT64: integer(element.get_int64().value_unsafe()); return;
    case element_type::UINT64:
      before_value();
      out_ += std::to_string(element.get_uint64().value_unsafe());
      return;
    case element_type::DOUBLE:
      before_value();
      out_ += python_float(element.get_double().value_unsafe());
      return;
    case element_type::BOOL: boolean(element.get_bool().value_unsafe()); return;
    case element_type::NULL_VALUE:
      before_value();
      out_ += "null";
      return;
  }
}

std::string python_float(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  const std::size_t e = text.find('e');
  std::string sign = text[0] == '-' ? "-" : "";
  std::string digits;
  for (char c : text.substr(sign.size(), e - sign.size())) {
    if (c != '.') digits += c;
  }
  const int exponent = std::atoi(std::string(text.substr(e + 1)).c_str());
  if (exponent < -4 || exponent >= 16) {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exponent_text[16];
    std::snprintf(exponent_text, sizeof(exponent_text), "e%c%02d", exponent < 0 ? '-' : '+',
                  std::abs(exponent));
    return out + exponent_text;
  }
  if (exponent < 0) return sign + "0." + std::string(-exponent - 1, '0') + digits;
  const auto integer_length = static_cast<std::size_t>(exponent) + 1;
  if (digits.size() <= integer_length) {
    return sign + digits + std::string(integer_length - digits.size(), '0') + ".0";
  }
  return sign + digits.substr(0, integer_length) + "." + digits.substr(integer_length);
}

Error json_syntax_error(std::string_view source, std::string_view bytes,
                        simdjson::error_code code) {
  const std::size_t bad = first_invalid_utf8(bytes);
  if (bad < bytes.size()) {
    char detail[96];
    std::snprintf(detail, sizeof(detail), "invalid byte 0x%02x at offset %zu",
                  static_cast<unsigned char>(bytes[bad]), bad);
    std::string message = std::string(source) + ": not UTF-8 text: " + detail;
    if (bytes.size() >= 2 && bytes[0] == '\x1f' && bytes[1] == '\x8b') {
      message += " (the file is gzip-compressed)";
    }
    return Error(ErrorCode::kCorrupt, std::move(message));
  }
  try {
    [[maybe_unused]] const auto parsed = nlohmann::json::parse(bytes.begin(), bytes.end());
  } catch (const nlohmann::json::parse_error& error) {
    const std::size_t offset =
        std::min<std::size_t>(error.byte > 0 ? error.byte - 1 : 0, bytes.size());
    std::string reason = error.what();
    const std::size_t cut = reason.find(": ", reason.find("column"));
    if (cut != std::string::npos) reason = reason.substr(cut + 2);
    return json_error_at(source, bytes, offset, reason);
  } catch (const std::exception&) {
  }
  return Error(ErrorCode::kCorrupt,
               std::string(source) + ": invalid JSON: " + simdjson::error_message(code));
}

Error json_error_at(std::string_view source, std::string_view bytes, std::size_t offset,
                    std::string_view reason) {
  const std::string_view before = bytes.substr(0, std::min(offset, bytes.size()));
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t line_start = before.rfind('\n');
  const std::size_t column =
      before.size() - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
  return Error(ErrorCode::kCorrupt, std::string(source) + ":" + std::to_string(line) + ":" +
                                        std::to_string(column) +
                                        ": invalid JSON: " + std::string(reason));
}

Error field_error(std::string_view source, std::string_view field, std::string_view expected) {
  return Error(ErrorCode::kCorrupt, std::string(source) + ": field '" + std::string(field) +
                                        "': expected " + std::string(expected));
}

Status for_each_field(std::string_view bytes, std::string_view source,
                      const FieldCallback& on_field) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(bytes.data(), bytes.size(), true).get(root)) {
    return fail(json_syntax_error(source, bytes, error));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    return fail(ErrorCode::kCorrupt, std::string(source) + ": expected a JSON object");
  }
  for (const simdjson::dom::key_value_pair field : object) {
    GRAFT_RETURN_IF_ERROR(on_field(field.key, field.value));
  }
  return ok();
}

namespace {

// Stage 1 may read SIMDJSON_PADDING bytes past the end (any content): safe without a copy
// when they lie on the page of the last byte.
bool padding_is_readable(std::string_view bytes) {
  constexpr std::uintptr_t kPage = 4096;  // the smallest page size
  if (bytes.empty()) return false;
  const auto last = reinterpret_cast<std::uintptr_t>(bytes.data()) + bytes.size() - 1;
  return last / kPage == (last + simdjson::SIMDJSON_PADDING) / kPage;
}

}  // namespace

bool Stage1Index::build(std::string_view bytes) {
  if (!reserve(bytes.size())) return false;
  text_ = bytes.data();
  if (!padding_is_readable(bytes)) {  // else stage 1 reads the input in place
    padded_.assign(bytes.data(), bytes.size());
    padded_.append(simdjson::SIMDJSON_PADDING, '\0');
    text_ = padded_.data();
  }
  return stage1_->stage1(reinterpret_cast<const std::uint8_t*>(text_), bytes.size(),
                         simdjson::stage1_mode::regular) == simdjson::SUCCESS;
}

bool Stage1Index::reserve(std::size_t length) {
  if (stage1_ && length <= capacity_) return true;
  const std::size_t capacity = std::max<std::size_t>(length, 4096);
  stage1_.reset();
  capacity_ = 0;
  if (simdjson::get_active_implementation()->create_dom_parser_implementation(
          capacity, simdjson::DEFAULT_MAX_DEPTH, stage1_) != simdjson::SUCCESS) {
    return false;
  }
  capacity_ = capacity;
  return true;
}

void Stage1Index::release_if_larger_than(std::size_t bytes) {
  if (capacity_ <= bytes) return;
  stage1_.reset();
  capacity_ = 0;
  padded_ = std::string();
  text_ = nullptr;
}

Status read_string(std::string_view source, std::string_view key, simdjson::dom::element value,
                   std::string& out) {
  if (value.is_null()) {
    out.clear();
    return ok();
  }
  std::string_view text;
  if (value.get_string().get(text)) return fail(field_error(source, key, "a string"));
  out.assign(text);
  return ok();
}

Status read_string_list(std::string_view source, std::string_view key, simdjson::dom::element value,
                        std::vector<std::string>& out) {
  out.clear();
  if (value.is_null()) return ok();
  simdjson::dom::array array;
  if (value.get_array().get(array)) return fail(field_error(source, key, "a list of strings"));
  out.reserve(array.size());
  for (const simdjson::dom::element item : array) {
    std::string_view text;
    if (item.get_string().get(text)) return fail(field_error(source, key, "a list of strings"));
    out.emplace_back(text);
  }
  return ok();
}

Status read_integer(std::string_view source, std::string_view key, simdjson::dom::element value,
                    std::int64_t& out) {
  if (value.get_int64().get(out)) return fail(field_error(source, key, "an integer"));
  return ok();
}

std::string raw_value(simdjson::dom::element value) {
  return simdjson::minify(value);
}

}  // namespace graft::conda::detail
