#include "tests/e2e/e2e.h"

#include <cstdlib>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>

namespace graft::e2e {
namespace fs = std::filesystem;

namespace {

// Owns every scratch dir made by this process; removes them at exit.
std::vector<base::TempDir>& scratch_dirs() {
  static auto* dirs = new std::vector<base::TempDir>();
  return *dirs;
}

}  // namespace

fs::path scratch_dir() {
  auto dir = base::TempDir::create("graft-e2e-");
  if (!dir) {
    ADD_FAILURE() << dir.error().message();
    return {};
  }
  fs::path path = dir->path();
  scratch_dirs().push_back(std::move(*dir));
  return path;
}

void write(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

std::string read(const fs::path& path) {
  auto text = base::read_file(path);
  return text ? *text : "<missing " + path.string() + ">";
}

fs::path conformance_dir() {
  fs::path dir = GRAFT_CONFORMANCE_DIR;
  std::error_code ignored;
  if (!fs::is_directory(dir, ignored)) return {};
  return fs::canonical(dir, ignored);
}

Run graft(const std::vector<std::string>& args, const fs::path& cwd,
          const std::vector<std::string>& env) {
  static const fs::path home = scratch_dir();
  base::ProcessOptions options;
  options.argv.push_back(GRAFT_BINARY);
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  auto environment = base::current_environment();
  environment["HOME"] = home.string();
  environment.erase("CONDARC");
  environment.erase("GRAFT_LOG");
  for (const std::string& entry : env) {
    auto equals = entry.find('=');
    environment[entry.substr(0, equals)] = entry.substr(equals + 1);
  }
  options.environment = environment;
  options.working_directory = cwd;
  options.timeout = std::chrono::minutes(5);
  auto result = base::run_process(options);
  if (!result) {
    ADD_FAILURE() << result.error().message();
    return {};
  }
  return Run{result->exit_code, result->stdout_text, result->stderr_text};
}

}  // namespace graft::e2e
