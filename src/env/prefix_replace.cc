#include "env/prefix_replace.h"

#include <string>

#include "base/strings.h"

namespace graft::env {
namespace {

bool is_shebang_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Step 1 of text mode: a `#!<placeholder>` on the first line gets the new prefix with its
// spaces escaped, so that replace_long_shebang() later turns it into `/usr/bin/env`.
std::string escape_placeholder_shebang(std::string_view data, std::string_view placeholder,
                                       std::string_view new_prefix) {
  const std::size_t newline = data.find('\n');
  if (newline == std::string_view::npos) {
    return std::string(data);
  }
  const std::string marker = "#!" + std::string(placeholder);
  std::string_view first_line = data.substr(0, newline);
  if (first_line.find(marker) == std::string_view::npos) {
    return std::string(data);
  }
  const std::string escaped = base::replace_all("#!" + std::string(new_prefix), " ", "\\ ");
  std::string out = base::replace_all(first_line, marker, escaped);
  out.append(data.substr(newline));
  return out;
}

Result<std::string> binary_replace(std::string_view data, std::string_view placeholder,
                                   std::string_view new_prefix) {
  std::string out;
  out.reserve(data.size());
  std::size_t position = 0;
  while (true) {
    const std::size_t start = data.find(placeholder, position);
    if (start == std::string_view::npos) break;
    const std::size_t nul = data.find('\0', start + placeholder.size());
    if (nul == std::string_view::npos) break;  // not a C string: left alone, as conda does
    std::string_view segment = data.substr(start, nul - start);
    std::size_t occurrences = 0;
    for (std::size_t at = segment.find(placeholder); at != std::string_view::npos;
         at = segment.find(placeholder, at + placeholder.size())) {
      ++occurrences;
    }
    if (new_prefix.size() > placeholder.size()) {
      return fail(ErrorCode::kConflict,
                  "prefix '" + std::string(new_prefix) + "' is longer than the placeholder '" +
                      std::string(placeholder) + "' (" + std::to_string(placeholder.size()) +
                      " bytes) of a binary file: a binary can only take a prefix of at most "
                      "that length");
    }
    out.append(data.substr(position, start - position));
    out += base::replace_all(segment, placeholder, new_prefix);
    out.append((placeholder.size() - new_prefix.size()) * occurrences, '\0');
    out.push_back('\0');
    position = nul + 1;
  }
  out.append(data.substr(position));
  return out;
}

}  // namespace

std::string_view file_mode_name(FileMode mode) {
  return mode == FileMode::kBinary ? "binary" : "text";
}

std::string replace_long_shebang(std::string data) {
  if (!base::starts_with(data, "#!")) return data;
  std::size_t i = 2;
  while (i < data.size() && data[i] == ' ') ++i;
  if (i >= data.size() || data[i] != '/') return data;
  const std::size_t executable_begin = i;
  while (i < data.size()) {
    if (data[i] == '\\' && i + 1 < data.size() && data[i + 1] == ' ') {
      i += 2;
    } else if (!is_shebang_space(data[i])) {
      ++i;
    } else {
      break;
    }
  }
  const std::string executable = data.substr(executable_begin, i - executable_begin);
  std::size_t line_end = data.find('\n', i);
  if (line_end == std::string::npos) line_end = data.size();
  const std::string options = data.substr(i, line_end - i);
  const std::string whole = data.substr(0, line_end);
  const std::size_t slash = executable.rfind('/');
  const std::string directory = executable.substr(0, slash);
  const std::string program = executable.substr(slash + 1);
  if (whole.size() <= kMaxShebangLength && directory.find("\\ ") == std::string::npos) {
    return data;
  }
  return base::replace_all(data, whole, "#!/usr/bin/env " + program + options);
}

Result<std::string> replace_prefix(std::string_view data, FileMode mode,
                                   std::string_view placeholder, std::string_view new_prefix) {
  if (placeholder.empty()) {
    return fail(ErrorCode::kInvalidArgument, "the prefix placeholder is empty");
  }
  if (mode == FileMode::kBinary) {
    return binary_replace(data, placeholder, new_prefix);
  }
  std::string text = escape_placeholder_shebang(data, placeholder, new_prefix);
  text = base::replace_all(text, placeholder, new_prefix);
  return replace_long_shebang(std::move(text));
}

}  // namespace graft::env
