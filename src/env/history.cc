#include "env/history.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>

#include "base/fs.h"
#include "base/strings.h"

namespace graft::env {
namespace {

std::string canonical_channel(std::string channel) {
  for (std::string_view alias : {"https://conda.anaconda.org/", "http://conda.anaconda.org/"}) {
    if (base::starts_with(channel, alias)) return channel.substr(alias.size());
  }
  for (std::string_view main : {"https://repo.anaconda.com/", "http://repo.anaconda.com/"}) {
    if (base::starts_with(channel, main)) return channel.substr(main.size());
  }
  return channel;
}

std::string python_str_repr(std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : text) {
    if (c == '\\' || c == static_cast<unsigned char>(quote)) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

// Reads a Python list literal of strings; "[" then anything else is kept as one item.
std::vector<std::string> parse_python_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t i = 1;
  while (i + 1 < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == ',') {
      ++i;
      continue;
    }
    if (c != '\'' && c != '"') return {std::string(text)};
    std::string item;
    ++i;
    while (i + 1 < text.size() && text[i] != c) {
      if (text[i] == '\\' && i + 2 < text.size()) ++i;
      item += text[i++];
    }
    ++i;  // closing quote
    items.push_back(std::move(item));
  }
  return items;
}

// conda < 4.5 wrote "python>=3.5,jupyter >=1.0,<2.0": a comma followed by a version
// operator continues the previous spec.
std::vector<std::string> parse_old_spec_list(std::string_view text) {
  std::vector<std::string> items;
  for (std::string_view part : base::split(text, ',')) {
    const bool continues =
        !part.empty() && std::string_view("=<>!~").find(part.front()) != std::string_view::npos;
    if (continues && !items.empty()) {
      items.back() += "," + std::string(part);
    } else {
      items.emplace_back(part);
    }
  }
  return items;
}

std::vector<std::string> parse_spec_list(std::string_view text) {
  text = base::trim(text);
  std::vector<std::string> items;
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    items = parse_python_list(text);
  } else {
    items = parse_old_spec_list(text);
  }
  for (std::string& item : items) item = std::string(base::trim(item));
  std::erase_if(items,
                [](const std::string& item) { return item.empty() || base::ends_with(item, "@"); });
  return items;
}

std::vector<std::string> sorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return items;
}

bool is_word(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_';
  });
}

void parse_specs_comment(std::string_view action, std::string_view value, HistoryEntry& entry) {
  std::vector<std::string> specs = parse_spec_list(value);
  if (specs.empty()) return;
  if (action == "update" || action == "install" || action == "create") {
    entry.update_specs = std::move(specs);
  } else if (action == "remove" || action == "uninstall") {
    entry.remove_specs = std::move(specs);
  } else if (action == "neutered") {
    entry.neutered_specs = std::move(specs);
  }
}

void parse_comment(std::string_view line, HistoryEntry& entry) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return;
  const std::string_view key = base::trim(line.substr(1, colon - 1));
  const std::string_view value = base::trim(line.substr(colon + 1));
  if (key == "cmd") {
    entry.command = std::string(value);
  } else if (key == "conda version") {
    entry.conda_version = std::string(value);
  } else if (base::ends_with(key, "specs")) {
    const std::string_view action = base::trim(key.substr(0, key.size() - 5));
    if (is_word(action)) parse_specs_comment(action, value, entry);
  }
}

// The date of a "==> DATE <==" header line, or nullopt when the line is not one.
std::optional<std::string> header_date(std::string_view line) {
  if (!base::starts_with(line, "==>")) return std::nullopt;
  const std::size_t end = line.find("<==", 4);
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(base::trim(line.substr(3, end - 3)));
}

}  // namespace

std::string history_dist(const conda::PackageRecord& record) {
  std::string channel = record.channel;
  const std::string subdir_suffix = "/" + record.subdir;
  if (!record.subdir.empty() && base::ends_with(channel, subdir_suffix)) {
    channel.resize(channel.size() - subdir_suffix.size());
  }
  std::string out = channel.empty() ? std::string("<unknown>") : canonical_channel(std::move(channel));
  if (!record.subdir.empty()) out += subdir_suffix;
  return out + "::" + record.name + "-" + record.version + "-" + record.build;
}

std::string python_list_repr(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += python_str_repr(items[i]);
  }
  return out + "]";
}

std::string format_history_entry(const HistoryEntry& entry) {
  std::string out = "==> " + entry.timestamp + " <==\n";
  out += "# cmd: " + entry.command + "\n";
  out += "# conda version: " + entry.conda_version + "\n";
  for (const std::string& dist : sorted(entry.listed)) out += dist + "\n";
  for (const std::string& dist : sorted(entry.removed)) out += "-" + dist + "\n";
  for (const std::string& dist : sorted(entry.added)) out += "+" + dist + "\n";
  if (!entry.remove_specs.empty()) {
    out += "# remove specs: " + python_list_repr(entry.remove_specs) + "\n";
  }
  if (!entry.update_specs.empty()) {
    out += "# update specs: " + python_list_repr(entry.update_specs) + "\n";
  }
  if (!entry.neutered_specs.empty()) {
    out += "# neutered specs: " + python_list_repr(entry.neutered_specs) + "\n";
  }
  return out;
}

std::string history_timestamp(std::int64_t seconds) {
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm local{};
  localtime_r(&time, &local);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &local);
  return buffer;
}

Status append_history(const std::filesystem::path& prefix, const HistoryEntry& entry) {
  const std::filesystem::path meta = prefix / "conda-meta";
  GRAFT_RETURN_IF_ERROR(base::make_directories(meta));
  const std::filesystem::path path = meta / "history";
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << format_history_entry(entry);
  out.flush();
  if (!out) {
    return fail(ErrorCode::kIo, "cannot append to '" + path.string() + "': write failed");
  }
  return ok();
}

std::vector<HistoryEntry> parse_history(std::string_view text) {
  std::vector<HistoryEntry> entries;
  for (std::string_view raw : base::split(text, '\n')) {
    const std::string_view line = base::trim(raw);
    if (auto date = header_date(line)) {
      HistoryEntry entry;
      entry.conda_version.clear();
      entry.timestamp = std::move(*date);
      entries.push_back(std::move(entry));
      continue;
    }
    if (entries.empty() || line.empty()) continue;
    HistoryEntry& entry = entries.back();
    if (line.front() == '#') {
      parse_comment(line, entry);
    } else if (line.front() == '+') {
      entry.added.emplace_back(line.substr(1));
    } else if (line.front() == '-') {
      entry.removed.emplace_back(line.substr(1));
    } else {
      entry.listed.emplace_back(line);
    }
  }
  return entries;
}

std::vector<conda::MatchSpec> latest_requested_specs(const std::vector<HistoryEntry>& entries,
                                                    bool commands_only) {
  std::vector<conda::MatchSpec> specs;
  auto slot = [&](const std::string& name) {
    return std::find_if(specs.begin(), specs.end(), [&](const auto& s) { return s.name() == name; });
  };
  for (const HistoryEntry& entry : entries) {
    if (commands_only && entry.command.empty()) continue;
    for (const std::string& text : entry.remove_specs) {
      auto spec = conda::MatchSpec::parse(text);
      if (spec && slot(spec->name()) != specs.end()) specs.erase(slot(spec->name()));
    }
    for (const auto* list : {&entry.update_specs, &entry.neutered_specs}) {
      for (const std::string& text : *list) {
        auto spec = conda::MatchSpec::parse(text);
        if (!spec) continue;
        auto found = slot(spec->name());
        if (found == specs.end()) {
          specs.push_back(std::move(*spec));
        } else {
          *found = std::move(*spec);
        }
      }
    }
  }
  return specs;
}

}  // namespace graft::env
