// Helpers for end-to-end tests: run the built graft binary in a scratch directory and
// look at what it printed and wrote.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/subprocess.h"

namespace graft::e2e {

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `graft args...` with cwd `cwd` (default: current) and HOME pointed at a scratch
// home so nothing touches the user's ~/.conda. Extra environment in `env` ("K=V").
Run graft(const std::vector<std::string>& args, const std::filesystem::path& cwd = {},
          const std::vector<std::string>& env = {});

// Writes `content` to `path`, creating its parent directories.
void write(const std::filesystem::path& path, const std::string& content);
// The file's bytes, or "<missing PATH>" so a comparison shows what was absent.
std::string read(const std::filesystem::path& path);

// Packs `files` (relative path -> content) as the noarch: generic package `name` `version`
// into <channel>/noarch with `graft pack`, then indexes the channel with `graft index`.
// Failures are reported with ADD_FAILURE.
void add_noarch_package(const std::filesystem::path& channel, const std::string& name,
                        const std::string& version, const std::map<std::string, std::string>& files);

// Starts `graft args...` without waiting (HOME = `home`, stdout to /dev/null, stderr to
// `stderr_path` when given) and returns its pid, for tests that kill graft part-way. -1
// when fork fails.
int start_graft(const std::vector<std::string>& args, const std::filesystem::path& home,
                const std::filesystem::path& stderr_path = {});

// Every file and symlink under `prefix` with its size, sorted; conda-meta/history and
// conda-meta/created_at (which differ between runs) left out.
std::vector<std::string> listing(const std::filesystem::path& prefix);

// The conformance corpus, or empty when ../shared is absent (tests then GTEST_SKIP).
std::filesystem::path conformance_dir();

// A fresh scratch directory for one test, removed at exit.
std::filesystem::path scratch_dir();

// The oracle's `<step>.out` (conformance/oracle/conda-26.7.1) with {CONF} and {T} (= `t`)
// replaced, or "<missing oracle STEP>".
std::string oracle_output(const std::string& step, const std::filesystem::path& t);

// `conda_text` (an @EXPLICIT or requirements file conda wrote) with its "# created-by: conda
// 26.7.1" line naming graft instead ("# created-by: graft VERSION", from `graft --version`):
// the one line where graft deliberately does not copy conda's bytes.
std::string with_graft_created_by(const std::string& conda_text);

// Writes the oracle's `<step>.conda-meta/` files (an environment as conda made it: records
// and history, no package files) into `meta`, with {CONF}, {T} (= `t`), {TS} and {EPOCH}
// replaced.
void install_oracle_conda_meta(const std::string& step, const std::filesystem::path& meta,
                               const std::filesystem::path& t);

// A fixture with a scratch directory `dir_`, a root prefix `root_`, a HOME `home_` and a
// channel directory `channel_` (empty: tests add packages), and `verb()` to run
// `graft VERB --root-prefix ROOT ... -c CHANNEL -y` there.
class ChannelTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // `words` with --root-prefix after the verb and the channel and -y at the end.
  [[nodiscard]] std::vector<std::string> args(std::vector<std::string> words) const;
  e2e::Run verb(const std::vector<std::string>& words) const;

  std::filesystem::path dir_, root_, home_, channel_;
};

}  // namespace graft::e2e

// Skips the test with a clear message when the conformance corpus is absent.
#define GRAFT_REQUIRE_CONFORMANCE()                                                   \
  do {                                                                                \
    if (::graft::e2e::conformance_dir().empty()) {                                    \
      GTEST_SKIP() << "../shared/conformance is absent (it sits beside the checkout " \
                      "in CI); skipping";                                             \
    }                                                                                 \
  } while (false)
