#include "cli/pip_step.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/core.h>

#include "base/fs.h"
#include "base/strings.h"
#include "base/subprocess.h"
#include "env/locations.h"

namespace graft::cli {
namespace {

namespace fs = std::filesystem;

// The last `count` non-empty lines of `text`.
std::string tail_lines(std::string_view text, std::size_t count) {
  std::vector<std::string> lines;
  for (auto line : base::split(text, '\n')) {
    if (!base::trim(line).empty()) lines.emplace_back(line);
  }
  if (lines.size() > count) lines.erase(lines.begin(), lines.end() - static_cast<long>(count));
  return base::join(lines, "\n");
}

// The requirements file, removed when the step ends.
class RequirementsFile {
 public:
  explicit RequirementsFile(fs::path path) : path_(std::move(path)) {}
  RequirementsFile(const RequirementsFile&) = delete;
  RequirementsFile& operator=(const RequirementsFile&) = delete;
  ~RequirementsFile() {
    std::error_code error;
    fs::remove(path_, error);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace

Status check_python_for_pip(const solve::Transaction& transaction, bool installed_python) {
  const bool links_python =
      std::any_of(transaction.link.begin(), transaction.link.end(),
                  [](const conda::PackageRecord& record) { return record.name == "python"; });
  if (links_python || installed_python) return ok();
  return fail(Error(ErrorCode::kInvalidArgument,
                    "pip packages need python in the environment: add 'python' and 'pip' to "
                    "the dependencies")
                  .with_hint("nothing was changed"));
}

namespace {

Status run_pip_once(const PipStep& step) {
  const fs::path python = step.prefix / "bin" / "python";
  std::error_code error;
  if (!fs::exists(python, error)) {
    return fail(ErrorCode::kNotFound,
                fmt::format("'{}' does not exist: pip packages need python in the environment",
                            python.string()));
  }
  RequirementsFile file(step.directory / fmt::format(".graft-pip-requirements-{}.txt", ::getpid()));
  GRAFT_RETURN_IF_ERROR(base::write_file_atomic(
      file.path(), base::join(step.requirements, "\n") + "\n", base::Durability::kNoFsync));
  base::ProcessOptions options{
      .argv = {python.string(), "-m", "pip", "install", "-r", file.path().string()},
      .working_directory = step.directory};
  options.argv.insert(options.argv.end(), step.extra_arguments.begin(), step.extra_arguments.end());
  const auto mode = step.quiet ? base::OutputMode::kCapture : base::OutputMode::kInherit;
  options.stdout_mode = mode;
  options.stderr_mode = mode;
  GRAFT_ASSIGN_OR_RETURN(base::ProcessResult result, base::run_process(options));
  if (result.exit_code == 0) return ok();
  std::string message = fmt::format("pip failed (exit code {})", result.exit_code);
  const std::string output = tail_lines(result.stderr_text + "\n" + result.stdout_text, 5);
  if (!output.empty()) message += ":\n" + output;
  return fail(ErrorCode::kConflict, std::move(message));
}

Status remove_new_environment(const fs::path& prefix, const fs::path& registry) {
  GRAFT_RETURN_IF_ERROR(base::remove_tree(prefix));
  if (registry.empty()) return ok();
  return env::unregister_environment(registry, prefix);
}

}  // namespace

Status run_pip(const PipStep& step) {
  Status status = run_pip_once(step);
  if (status || !step.remove_on_failure) return status;
  Status removed = remove_new_environment(step.prefix, step.registry);
  if (!removed) {
    status.error().with_hint("the new environment could not be removed: " +
                             removed.error().message());
  } else {
    status.error().with_hint("the new environment was removed again: nothing was changed");
  }
  return status;
}

}  // namespace graft::cli
