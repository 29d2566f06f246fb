#include "env/locations.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <system_error>

#include <sys/stat.h>

#include <cmath>
#include <ctime>

#include <fmt/core.h>

#include "base/fs.h"
#include "base/strings.h"
#include "env/frozen.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

std::string lookup(const Environment& environment, const std::string& key) {
  auto it = environment.find(key);
  return it == environment.end() ? std::string() : it->second;
}

bool is_environment(const fs::path& prefix) {
  std::error_code error;
  return fs::is_directory(prefix / "conda-meta", error);
}

using base::normal_absolute;

// Holds an exclusive flock on an open file for the object's life.
class LockedFile {
 public:
  explicit LockedFile(const fs::path& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT, 0644)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~LockedFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  LockedFile(const LockedFile&) = delete;
  LockedFile& operator=(const LockedFile&) = delete;
  [[nodiscard]] bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

std::vector<std::string> registry_lines(const fs::path& registry) {
  std::vector<std::string> lines;
  auto text = base::read_file(registry);
  if (!text) return lines;
  for (std::string_view line : base::split(*text, '\n')) {
    std::string_view trimmed = base::trim(line);
    if (!trimmed.empty()) lines.emplace_back(trimmed);
  }
  return lines;
}

Status write_lines(const fs::path& registry, const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return base::write_file_atomic(registry, text);
}

}  // namespace

Result<fs::path> root_prefix(const std::string& flag, const Environment& environment) {
  if (!flag.empty()) return normal_absolute(flag);
  for (const char* key : {"GRAFT_ROOT_PREFIX", "CONDA_ROOT_PREFIX"}) {
    const std::string value = lookup(environment, key);
    if (!value.empty()) return normal_absolute(value);
  }
  const std::string home = lookup(environment, "HOME");
  if (home.empty()) {
    return fail(Error(ErrorCode::kInvalidArgument, "cannot find the root prefix: HOME is not set")
                    .with_hint("pass --root-prefix DIR or set GRAFT_ROOT_PREFIX"));
  }
  return normal_absolute(fs::path(home) / ".graft");
}

Status check_environment_name(std::string_view name) {
  auto invalid = [&](std::string_view cause) {
    return fail(ErrorCode::kInvalidArgument,
                "'" + std::string(name) + "' is not a valid environment name: " +
                    std::string(cause));
  };
  if (name.empty()) return invalid("it is empty");
  if (name == "." || name == "..") return invalid("it names a directory link");
  for (char c : std::string_view("/ :#")) {
    if (name.find(c) != std::string_view::npos) {
      return invalid(std::string("it contains '") + c + "'");
    }
  }
  return ok();
}

Result<fs::path> named_prefix(const fs::path& root, std::string_view name) {
  GRAFT_RETURN_IF_ERROR(check_environment_name(name));
  if (name == "base") return root;
  return root / "envs" / std::string(name);
}

Result<fs::path> named_prefix(const fs::path& root, const std::vector<fs::path>& envs_dirs,
                              std::string_view name) {
  if (envs_dirs.empty()) return named_prefix(root, name);
  GRAFT_RETURN_IF_ERROR(check_environment_name(name));
  if (name == "base") return root;
  for (const fs::path& dir : envs_dirs) {
    if (is_environment(dir / std::string(name))) return normal_absolute(dir / std::string(name));
  }
  return normal_absolute(envs_dirs.front() / std::string(name));
}

std::vector<std::string> environment_names(const std::vector<fs::path>& envs_dirs) {
  std::set<std::string> names;
  for (const fs::path& dir : envs_dirs) {
    std::error_code error;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
      if (is_environment(it->path())) names.insert(it->path().filename().string());
    }
  }
  return {names.begin(), names.end()};
}

std::vector<std::string> environment_names(const fs::path& root) {
  return environment_names(std::vector<fs::path>{root / "envs"});
}

Result<fs::path> resolve_existing_prefix(const PrefixChoice& choice,
                                         const Environment& environment) {
  if (!choice.name.empty() && !choice.path.empty()) {
    return fail(ErrorCode::kInvalidArgument, "cannot use both -n and -p: pick one");
  }
  if (!choice.path.empty()) {
    const fs::path prefix = normal_absolute(choice.path);
    if (!is_environment(prefix)) {
      return fail(ErrorCode::kNotFound, "no environment at '" + prefix.string() +
                                            "': it has no conda-meta directory");
    }
    return prefix;
  }
  if (choice.name.empty()) {
    const std::string active = lookup(environment, "CONDA_PREFIX");
    if (active.empty()) {
      return fail(Error(ErrorCode::kInvalidArgument, "no environment given and none is active")
                      .with_hint("pass -n NAME or -p PATH"));
    }
    return resolve_existing_prefix({.path = active}, environment);
  }
  GRAFT_ASSIGN_OR_RETURN(fs::path root, root_prefix(choice.root_prefix_flag, environment));
  GRAFT_ASSIGN_OR_RETURN(fs::path prefix, named_prefix(root, choice.envs_dirs, choice.name));
  if (is_environment(prefix)) return prefix;
  Error error(ErrorCode::kNotFound, "environment '" + choice.name + "' does not exist at " +
                                        prefix.string());
  const std::string near = base::closest_match(
      choice.name, choice.envs_dirs.empty() ? environment_names(root)
                                            : environment_names(choice.envs_dirs));
  if (!near.empty()) error.with_hint("did you mean '" + near + "'?");
  return fail(std::move(error));
}

Result<fs::path> environments_registry(const Environment& environment) {
  const std::string home = lookup(environment, "HOME");
  if (home.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "cannot find ~/.conda/environments.txt: HOME is not set");
  }
  return fs::path(home) / ".conda" / "environments.txt";
}

Status register_environment(const fs::path& registry, const fs::path& prefix) {
  GRAFT_RETURN_IF_ERROR(base::make_directories(registry.parent_path()));
  LockedFile lock(registry.string() + ".lock");
  const std::string line = normal_absolute(prefix).string();
  std::vector<std::string> lines = registry_lines(registry);
  if (std::find(lines.begin(), lines.end(), line) != lines.end()) return ok();
  lines.push_back(line);
  return write_lines(registry, lines);
}

Status unregister_environment(const fs::path& registry, const fs::path& prefix) {
  std::error_code error;
  if (!fs::exists(registry, error)) return ok();
  LockedFile lock(registry.string() + ".lock");
  const std::string line = normal_absolute(prefix).string();
  std::vector<std::string> lines = registry_lines(registry);
  const auto removed = std::remove(lines.begin(), lines.end(), line);
  if (removed == lines.end()) return ok();
  lines.erase(removed, lines.end());
  return write_lines(registry, lines);
}

std::vector<fs::path> known_environments(const fs::path& root, const fs::path& registry,
                                         const std::vector<fs::path>& envs_dirs) {
  std::set<std::string> found;
  const fs::path normal_root = normal_absolute(root);
  if (is_environment(normal_root)) found.insert(normal_root.string());
  std::vector<fs::path> dirs = envs_dirs;
  if (dirs.empty()) dirs.push_back(normal_root / "envs");
  for (const fs::path& dir : dirs) {
    for (const std::string& name : environment_names(std::vector<fs::path>{dir})) {
      if (!base::starts_with(name, ".")) found.insert(normal_absolute(dir / name).string());
    }
  }
  if (!registry.empty()) {
    for (const std::string& line : registry_lines(registry)) {
      if (!fs::path(line).is_absolute()) continue;
      const fs::path prefix = normal_absolute(line);
      if (is_environment(prefix)) found.insert(prefix.string());
    }
  }
  return {found.begin(), found.end()};
}

fs::path normal_prefix(const fs::path& path) { return normal_absolute(path); }

std::optional<fs::path> active_prefix(const Environment& environment) {
  const std::string active = lookup(environment, "CONDA_PREFIX");
  if (active.empty()) return std::nullopt;
  return normal_absolute(active);
}

std::string environment_name(const fs::path& root, const fs::path& prefix,
                             const std::vector<fs::path>& envs_dirs) {
  const fs::path normal_root = normal_absolute(root);
  const fs::path normal_prefix = normal_absolute(prefix);
  if (normal_prefix == normal_root) return "base";
  const fs::path parent = normal_prefix.parent_path();
  const bool in_envs_dir =
      parent == normal_root / "envs" ||
      std::any_of(envs_dirs.begin(), envs_dirs.end(),
                  [&](const fs::path& dir) { return parent == normal_absolute(dir); });
  return in_envs_dir ? normal_prefix.filename().string() : "";
}

Status remove_environment(const fs::path& prefix, const fs::path& registry) {
  const fs::path target = normal_absolute(prefix);
  GRAFT_ASSIGN_OR_RETURN(
      base::TempDir trash,
      base::TempDir::create(".graft-trash-" + target.filename().string() + "-", target.parent_path()));
  if (auto renamed = base::rename_path(target, trash.path()); !renamed) {
    return fail(std::move(renamed).error().with_context(
        "cannot remove environment '" + target.string() + "'"));
  }
  const fs::path left = trash.release();
  auto leftover = [&](Error error) {
    return fail(std::move(error).with_context("environment '" + target.string() +
                                              "' was removed, but '" + left.string() +
                                              "' is left to delete"));
  };
  if (!registry.empty()) {
    if (auto status = unregister_environment(registry, target); !status) {
      return leftover(std::move(status).error());
    }
  }
  for (const fs::path& part : {left / "conda-meta", left}) {
    if (auto status = base::remove_tree(part); !status) return leftover(std::move(status).error());
  }
  return ok();
}

namespace {

std::optional<double> modified_seconds(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return static_cast<double>(info.st_mtim.tv_sec) +
         static_cast<double>(info.st_mtim.tv_nsec / 1000) / 1e6;
}

}  // namespace

EnvironmentDetails environment_details(const fs::path& root, const fs::path& prefix,
                                       const std::vector<fs::path>& envs_dirs) {
  const fs::path meta = prefix / "conda-meta";
  EnvironmentDetails details{.name = environment_name(root, prefix, envs_dirs),
                             .frozen = frozen_reason(prefix).has_value(),
                             .writable = ::access(meta.c_str(), W_OK) == 0};
  if (auto text = base::read_file(meta / "created_at")) {
    char* end = nullptr;
    const std::string trimmed(base::trim(*text));
    const double seconds = std::strtod(trimmed.c_str(), &end);
    if (!trimmed.empty() && end == trimmed.c_str() + trimmed.size() && std::isfinite(seconds)) {
      details.created = seconds;
    }
  }
  details.last_modified = modified_seconds(meta / "history");
  if (!details.last_modified) details.last_modified = modified_seconds(meta);
  return details;
}

std::string iso_local_time(double seconds) {
  const auto total_micros = static_cast<std::int64_t>(std::llround(seconds * 1e6));
  const auto time = static_cast<std::time_t>(total_micros / 1000000);
  const auto micros = total_micros % 1000000;
  std::tm local{};
  localtime_r(&time, &local);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &local);
  return micros == 0 ? std::string(buffer) : fmt::format("{}.{:06}", buffer, micros);
}

}  // namespace graft::env
