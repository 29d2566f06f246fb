#include "proxy/http_parser.h"

#include <cstring>

namespace graft::proxy {
namespace {

// RFC 9110 tchar.
constexpr bool is_token_char(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

constexpr bool is_field_value_char(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Finds the end of the head (index just past CRLFCRLF) or npos; resumes at *scan_from.
std::size_t find_head_end(std::string_view buffer, std::size_t* scan_from) {
  std::size_t start = *scan_from >= 3 ? *scan_from - 3 : 0;
  std::size_t found = buffer.find("\r\n\r\n", start);
  if (found == std::string_view::npos) {
    *scan_from = buffer.size();
    return std::string_view::npos;
  }
  return found + 4;
}

// "HTTP/1.x" -> minor version, or -1.
int parse_version(std::string_view text) {
  if (text.size() != 8 || text.substr(0, 7) != "HTTP/1.") return -1;
  char minor = text[7];
  return (minor == '0' || minor == '1') ? minor - '0' : -1;
}

bool parse_decimal(std::string_view text, std::uint64_t* value) {
  if (text.empty() || text.size() > 18) return false;
  std::uint64_t result = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    result = result * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *value = result;
  return true;
}

bool contains_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = trim_ows(list.substr(0, comma));
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// The last comma-separated coding of a Transfer-Encoding value.
std::string_view last_coding(std::string_view list) {
  std::size_t comma = list.rfind(',');
  return trim_ows(comma == std::string_view::npos ? list : list.substr(comma + 1));
}

// Applies the framing-relevant semantics of one field to `head`. False on a conflict.
bool apply_field(const HeaderField& field, MessageHead* head, bool* saw_transfer_encoding) {
  if (iequals(field.name, "content-length")) {
    std::uint64_t length = 0;
    if (!parse_decimal(field.value, &length)) return false;
    if (head->content_length && *head->content_length != length) return false;
    head->content_length = length;
  } else if (iequals(field.name, "transfer-encoding")) {
    *saw_transfer_encoding = true;
    head->chunked = iequals(last_coding(field.value), "chunked");
  } else if (iequals(field.name, "connection")) {
    if (contains_token(field.value, "close")) head->connection_close = true;
    if (contains_token(field.value, "keep-alive")) head->connection_keep_alive = true;
  }
  return true;
}

// Parses the field lines in `lines` (each ending in CRLF, without the final empty line).
ParseStatus parse_fields(std::string_view lines, MessageHead* head, bool* saw_transfer_encoding) {
  head->field_count = 0;
  while (!lines.empty()) {
    std::size_t end = lines.find("\r\n");
    if (end == std::string_view::npos) return ParseStatus::kBadRequest;
    std::string_view line = lines.substr(0, end);
    lines.remove_prefix(end + 2);
    std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return ParseStatus::kBadRequest;
    std::string_view name = line.substr(0, colon);
    for (unsigned char c : name) {
      if (!is_token_char(c)) return ParseStatus::kBadRequest;  // also rejects obs-fold
    }
    std::string_view value = line.substr(colon + 1);
    for (unsigned char c : value) {
      if (!is_field_value_char(c)) return ParseStatus::kBadRequest;
    }
    if (head->field_count == kMaxHeaders) return ParseStatus::kTooManyFields;
    HeaderField& field = head->fields[head->field_count++];
    field = {name, trim_ows(value)};
    if (!apply_field(field, head, saw_transfer_encoding)) return ParseStatus::kBadRequest;
  }
  return ParseStatus::kComplete;
}

bool parse_request_line(std::string_view line, RequestHead* head) {
  std::size_t first = line.find(' ');
  if (first == std::string_view::npos || first == 0) return false;
  std::size_t second = line.find(' ', first + 1);
  if (second == std::string_view::npos || second == first + 1) return false;
  head->method = line.substr(0, first);
  head->target = line.substr(first + 1, second - first - 1);
  for (unsigned char c : head->method) {
    if (!is_token_char(c)) return false;
  }
  for (unsigned char c : head->target) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  head->version_minor = parse_version(line.substr(second + 1));
  return head->version_minor >= 0;
}

bool parse_status_line(std::string_view line, ResponseHead* head) {
  if (line.size() < 12 || line[8] != ' ') return false;
  head->version_minor = parse_version(line.substr(0, 8));
  if (head->version_minor < 0) return false;
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return false;
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100) return false;
  if (line.size() > 12 && line[12] != ' ') return false;
  head->status = status;
  head->reason = line.size() > 13 ? line.substr(13) : std::string_view();
  return true;
}

// Shared front half: locate the head, split the start line, parse the fields.
template <typename Head, typename StartLine>
ParseStatus parse_head(std::string_view buffer, std::size_t max_head_bytes, std::size_t* scan_from,
                       Head* head, bool* saw_transfer_encoding, StartLine parse_start_line) {
  std::size_t head_end = find_head_end(buffer, scan_from);
  if (head_end == std::string_view::npos) {
    return buffer.size() > max_head_bytes ? ParseStatus::kHeadTooLarge : ParseStatus::kNeedMore;
  }
  if (head_end > max_head_bytes) return ParseStatus::kHeadTooLarge;
  std::string_view text = buffer.substr(0, head_end - 2);  // keep the last field's CRLF
  std::size_t line_end = text.find("\r\n");
  if (!parse_start_line(text.substr(0, line_end), head)) return ParseStatus::kBadRequest;
  head->head_bytes = head_end;
  head->content_length.reset();
  head->chunked = head->connection_close = head->connection_keep_alive = false;
  return parse_fields(text.substr(line_end + 2), head, saw_transfer_encoding);
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z')) {
      return false;
    }
  }
  return true;
}

std::optional<std::string_view> MessageHead::find(std::string_view name) const {
  for (std::size_t i = 0; i < field_count; ++i) {
    if (iequals(fields[i].name, name)) return fields[i].value;
  }
  return std::nullopt;
}

bool RequestHead::idempotent() const {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
         method == "PUT" || method == "DELETE";
}

ParseStatus parse_request(std::string_view buffer, std::size_t max_head_bytes,
                          std::size_t* scan_from, RequestHead* head) {
  bool saw_transfer_encoding = false;
  ParseStatus status = parse_head(buffer, max_head_bytes, scan_from, head, &saw_transfer_encoding,
                                  parse_request_line);
  if (status != ParseStatus::kComplete) return status;
  if (saw_transfer_encoding) {
    // RFC 9112 6.1: reject TE with CL, TE in 1.0, and a final coding other than chunked.
    if (head->content_length || head->version_minor == 0 || !head->chunked) {
      return ParseStatus::kBadRequest;
    }
  }
  // RFC 9112 3.2: an HTTP/1.1 request without Host, or any request with two, is a 400.
  std::size_t hosts = 0;
  for (std::size_t i = 0; i < head->field_count; ++i) {
    if (iequals(head->fields[i].name, "host")) ++hosts;
  }
  if (hosts > 1 || (hosts == 0 && head->version_minor >= 1)) return ParseStatus::kBadRequest;
  head->expect_continue = false;
  head->upgrade = false;
  if (auto expect = head->find("expect")) head->expect_continue = iequals(*expect, "100-continue");
  if (head->find("upgrade")) head->upgrade = true;
  return ParseStatus::kComplete;
}

ParseStatus parse_response(std::string_view buffer, std::size_t max_head_bytes,
                           std::size_t* scan_from, ResponseHead* head) {
  bool saw_transfer_encoding = false;
  ParseStatus status = parse_head(buffer, max_head_bytes, scan_from, head, &saw_transfer_encoding,
                                  parse_status_line);
  if (status != ParseStatus::kComplete) return status;
  // RFC 9112 6.3: Transfer-Encoding overrides Content-Length; a non-chunked final coding
  // means the body runs until the connection closes.
  if (saw_transfer_encoding) head->content_length.reset();
  return ParseStatus::kComplete;
}

bool response_has_no_body(std::string_view method, int status) {
  return method == "HEAD" || (status >= 100 && status < 200) || status == 204 || status == 304;
}

std::size_t ChunkedFramer::consume(std::string_view data) {
  std::size_t used = 0;
  while (used < data.size() && state_ == State::kInBody) {
    if (step_ == Step::kData) {
      std::uint64_t take = std::min<std::uint64_t>(chunk_left_, data.size() - used);
      used += take;
      chunk_left_ -= take;
      payload_bytes_ += take;
      if (chunk_left_ == 0) step_ = Step::kDataCr;
      continue;
    }
    if (!step_byte(data[used++])) state_ = State::kError;
  }
  return used;
}

bool ChunkedFramer::step_byte(char c) {
  switch (step_) {
    case Step::kSize: {
      int digit = (c >= '0' && c <= '9')   ? c - '0'
                  : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                           : -1;
      if (digit >= 0) {
        if (++size_digits_ > 15) return false;  // bounds a chunk below 2^60 bytes
        chunk_left_ = chunk_left_ * 16 + static_cast<std::uint64_t>(digit);
        return true;
      }
      if (size_digits_ == 0) return false;
      if (c == ';' || c == ' ' || c == '\t') {
        step_ = Step::kExtension;
        return true;
      }
      if (c != '\r') return false;
      step_ = Step::kSizeLf;
      return true;
    }
    case Step::kExtension:
      if (c == '\r')
        step_ = Step::kSizeLf;
      else if (c == '\n' || c == 0)
        return false;
      return true;
    case Step::kSizeLf:
      if (c != '\n') return false;
      size_digits_ = 0;
      step_ = chunk_left_ == 0 ? Step::kTrailerStart : Step::kData;
      return true;
    case Step::kDataCr:
      if (c != '\r') return false;
      step_ = Step::kDataLf;
      return true;
    case Step::kDataLf:
      if (c != '\n') return false;
      step_ = Step::kSize;
      return true;
    case Step::kTrailerStart:
      if (c == '\r') {
        step_ = Step::kFinalLf;
        return true;
      }
      if (c == '\n') return false;
      step_ = Step::kTrailerLine;
      return true;
    case Step::kTrailerLine:
      if (c == '\r')
        step_ = Step::kTrailerLf;
      else if (c == '\n')
        return false;
      return true;
    case Step::kTrailerLf:
      if (c != '\n') return false;
      step_ = Step::kTrailerStart;
      return true;
    case Step::kFinalLf:
      if (c != '\n') return false;
      state_ = State::kDone;
      return true;
    case Step::kData: break;
  }
  return false;
}

}  // namespace graft::proxy
