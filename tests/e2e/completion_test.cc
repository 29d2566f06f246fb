// `graft completion bash|zsh|fish`, loaded by the real shells: verbs, sub-verbs, flags and
// environment names complete.
#include <gtest/gtest.h>

#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;

// Runs `script` with `shell` -c in `dir` (PATH finds the built graft first); its stdout.
std::string shell_output(const std::string& shell, const std::string& script, const fs::path& dir) {
  if (!fs::exists("/usr/bin/" + shell) && !fs::exists("/bin/" + shell)) {
    ADD_FAILURE() << shell << " is not installed: scripts/setup installs it";
    return {};
  }
  const fs::path bin = fs::path(GRAFT_BINARY).parent_path();
  auto result = base::run_process(
      {.argv = {shell, "-c", script},
       .environment =
           std::map<std::string, std::string>{{"PATH", bin.string() + ":/usr/bin:/bin"},
                                              {"HOME", (dir / "home").string()},
                                              {"GRAFT_ROOT_PREFIX", (dir / "root").string()}},
       .working_directory = dir,
       .timeout = std::chrono::milliseconds(30'000)});
  EXPECT_TRUE(result) << (result ? "" : result.error().message());
  if (!result) return {};
  EXPECT_EQ(result->exit_code, 0) << result->stdout_text << result->stderr_text;
  return result->stdout_text;
}

class CompletionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir();
    for (const char* shell : {"bash", "zsh", "fish"}) {
      e2e::Run run = graft({"completion", shell});
      ASSERT_EQ(run.exit_code, 0) << run.err;
      write(dir_ / (std::string("graft.") + shell), run.out);
    }
    // Two environments for -n to offer.
    for (const char* name : {"prod", "cand"}) {
      fs::create_directories(dir_ / "root" / "envs" / name / "conda-meta");
      write(dir_ / "root" / "envs" / name / "conda-meta" / "history", "");
    }
  }

  // bash's completions for the command line `words` (the last word is being completed).
  std::string bash_complete(const std::string& words) {
    return shell_output(
        "bash",
        "source ./graft.bash; COMP_WORDS=(" + words +
            "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _graft; "
            "[[ ${#COMPREPLY[@]} -eq 0 ]] || printf '%s\\n' \"${COMPREPLY[@]}\" | sort",
        dir_);
  }

  fs::path dir_;
};

TEST_F(CompletionTest, BashCompletesVerbsSubVerbsFlagsAndEnvironments) {
  EXPECT_EQ(bash_complete("graft cr"), "create\n");
  EXPECT_EQ(bash_complete("graft env ex"), "export\n");
  EXPECT_EQ(bash_complete("graft exp s"), "set-weight\nshow\nstart\nstatus\nstop\nswap\n");
  EXPECT_EQ(bash_complete("graft env export --no"), "--no-builds\n");
  EXPECT_EQ(bash_complete("graft -v create --cl"), "--clone\n");
  EXPECT_EQ(bash_complete("graft list -n ''"), "cand\nprod\n");
  EXPECT_EQ(bash_complete("graft completion ''"), "");  // a positional: files, bash's default
}

// bashcompinit calls the function in sh emulation (ksharrays: arrays from 0), as here. Its
// compgen offers every word outside a completion widget; zsh itself keeps those matching
// the typed prefix, so the words offered after "graft env" are env's verbs.
TEST_F(CompletionTest, ZshLoadsTheSameFunctionThroughBashcompinit) {
  EXPECT_EQ(shell_output("zsh",
                         "autoload -U compinit && compinit -u -D; source ./graft.zsh; "
                         "setopt ksharrays; COMP_WORDS=(graft env ex); COMP_CWORD=2; _graft; "
                         "print -l ${COMPREPLY[@]}",
                         dir_),
            "config\ncreate\nfreeze\nunfreeze\nlist\nremove\nexport\n");
}

TEST_F(CompletionTest, FishCompletesWithDescriptions) {
  const std::string out = shell_output(
      "fish",
      "source ./graft.fish; complete -C 'graft env ex'; complete -C 'graft exp promote --ad'; "
      "complete -C 'graft remove -n '",
      dir_);
  EXPECT_NE(out.find("export\t"), std::string::npos) << out;
  EXPECT_NE(out.find("--adopt\t"), std::string::npos) << out;
  EXPECT_NE(out.find("prod"), std::string::npos) << out;
  EXPECT_NE(out.find("cand"), std::string::npos) << out;
}

TEST_F(CompletionTest, AnUnknownShellIsAnError) {
  e2e::Run run = graft({"completion", "tcsh"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err,
            "graft: error: no completion for shell 'tcsh'\nhint: pick bash, zsh or fish\n");
}

}  // namespace
}  // namespace graft::e2e
