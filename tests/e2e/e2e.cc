#include "tests/e2e/e2e.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <cstdlib>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>

#include "base/strings.h"

namespace graft::e2e {
namespace fs = std::filesystem;

namespace {

// Owns every scratch dir made by this process. GoogleTest tears the environment down once,
// in the test process after its last test (never in a forked child, whose exit must not
// remove the parent's directories).
class ScratchDirs : public ::testing::Environment {
 public:
  void TearDown() override { dirs_.clear(); }
  std::vector<base::TempDir>& dirs() { return dirs_; }

 private:
  std::vector<base::TempDir> dirs_;
};

ScratchDirs* const scratch_environment =
    static_cast<ScratchDirs*>(::testing::AddGlobalTestEnvironment(new ScratchDirs()));

std::vector<base::TempDir>& scratch_dirs() {
  return scratch_environment->dirs();
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

std::string oracle_output(const std::string& step, const fs::path& t) {
  auto text = base::read_file(conformance_dir() / "oracle/conda-26.7.1" / (step + ".out"));
  if (!text) return "<missing oracle " + step + ">";
  return base::replace_all(base::replace_all(*text, "{CONF}", conformance_dir().string()), "{T}",
                           t.string());
}

std::string with_graft_created_by(const std::string& conda_text) {
  static const std::string version = [] {
    const Run run = graft({"--version"});
    return std::string(base::trim(run.out));
  }();
  return base::replace_all(conda_text, "# created-by: conda 26.7.1\n",
                           "# created-by: " + version + "\n");
}

void install_oracle_conda_meta(const std::string& step, const fs::path& meta, const fs::path& t) {
  const fs::path oracle_meta = conformance_dir() / "oracle/conda-26.7.1" / (step + ".conda-meta");
  fs::create_directories(meta);
  for (const auto& entry : fs::directory_iterator(oracle_meta)) {
    auto text = base::read_file(entry.path());
    if (!text) {
      ADD_FAILURE() << text.error().message();
      continue;
    }
    std::string content = base::replace_all(*text, "{CONF}", conformance_dir().string());
    content = base::replace_all(content, "{TS}", "1542814864621");
    content = base::replace_all(content, "{EPOCH}", "1700000000");
    write(meta / entry.path().filename(), base::replace_all(content, "{T}", t.string()));
  }
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

int start_graft(const std::vector<std::string>& args, const fs::path& home,
                const fs::path& stderr_path) {
  std::vector<std::string> words{GRAFT_BINARY};
  words.insert(words.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    ::setenv("HOME", home.c_str(), 1);
    ::unsetenv("CONDARC");
    if (FILE* sink = std::freopen("/dev/null", "w", stdout)) (void)sink;
    if (!stderr_path.empty()) {
      if (FILE* log = std::freopen(stderr_path.c_str(), "w", stderr)) (void)log;
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

std::vector<std::string> listing(const fs::path& prefix) {
  std::vector<std::string> out;
  auto entries = base::walk(prefix);
  if (!entries) return {"<cannot list " + prefix.string() + ">"};
  for (const auto& entry : *entries) {
    const std::string path = entry.relative.generic_string();
    if (path == "conda-meta/history" || path == "conda-meta/created_at") continue;
    std::error_code error;
    const auto size = entry.type == base::EntryType::kFile ? fs::file_size(prefix / path, error) : 0;
    out.push_back(path + " " + std::to_string(size));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void add_noarch_package(const fs::path& channel, const std::string& name,
                        const std::string& version, const std::map<std::string, std::string>& files) {
  const fs::path source = scratch_dir();
  for (const auto& [path, content] : files) write(source / path, content);
  Run packed = graft({"pack", source.string(), "--name", name, "--version", version, "--noarch",
                      "generic", "--output-dir", (channel / "noarch").string()});
  EXPECT_EQ(packed.exit_code, 0) << packed.err;
  Run indexed = graft({"index", channel.string()});
  EXPECT_EQ(indexed.exit_code, 0) << indexed.err;
}

void ChannelTest::SetUp() {
  dir_ = scratch_dir();
  root_ = dir_ / "root";
  home_ = dir_ / "home";
  fs::create_directories(home_);
  channel_ = dir_ / "channel";
}

std::vector<std::string> ChannelTest::args(std::vector<std::string> words) const {
  words.insert(words.begin() + 1, {"--root-prefix", root_.string()});
  words.insert(words.end(), {"-c", channel_.string(), "-y"});
  return words;
}

Run ChannelTest::verb(const std::vector<std::string>& words) const {
  return graft(args(words), dir_, {"HOME=" + home_.string()});
}

}  // namespace graft::e2e
