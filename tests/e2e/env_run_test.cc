// `graft run`: the command sees the environment and its exit code comes back.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;

fs::path make_environment(const fs::path& root) {
  const fs::path prefix = root / "envs/ml";
  fs::create_directories(prefix / "conda-meta");
  fs::create_directories(prefix / "bin");
  std::ofstream(prefix / "conda-meta/state") << R"({"env_vars": {"MODEL": "bert"}})";
  std::ofstream(prefix / "bin/envtool") << "#!/bin/sh\necho \"tool in $CONDA_DEFAULT_ENV: $*\"\n";
  fs::permissions(prefix / "bin/envtool", fs::perms(0755));
  return prefix;
}

TEST(EnvRunTest, PassesExitCodeAndEnvironment) {
  const fs::path root = scratch_dir();
  const fs::path prefix = make_environment(root);
  auto run = graft({"run", "-n", "ml", "--", "sh", "-c",
                   "echo \"$CONDA_PREFIX|$MODEL|${PATH%%:*}\"; exit 7"},
                  {}, {"GRAFT_ROOT_PREFIX=" + root.string()});
  EXPECT_EQ(run.exit_code, 7) << run.err;
  EXPECT_EQ(run.out, prefix.string() + "|bert|" + prefix.string() + "/bin\n");
}

TEST(EnvRunTest, FindsTheEnvironmentsProgramsAndHonoursCwd) {
  const fs::path root = scratch_dir();
  const fs::path prefix = make_environment(root);
  fs::create_directories(root / "work");
  auto tool = graft({"run", "-p", prefix.string(), "envtool", "a", "b"});
  EXPECT_EQ(tool.exit_code, 0) << tool.err;
  EXPECT_EQ(tool.out, "tool in " + prefix.string() + ": a b\n");
  auto cwd = graft({"run", "-p", prefix.string(), "--cwd", (root / "work").string(), "--", "pwd"});
  EXPECT_EQ(cwd.exit_code, 0) << cwd.err;
  EXPECT_EQ(cwd.out, (root / "work").string() + "\n");
}

TEST(EnvRunTest, ActivateScriptsAreSourced) {
  const fs::path root = scratch_dir();
  const fs::path prefix = make_environment(root);
  fs::create_directories(prefix / "etc/conda/activate.d");
  std::ofstream(prefix / "etc/conda/activate.d/cuda.sh") << "export CUDA_HOME=\"$CONDA_PREFIX/cuda\"\n";
  auto run = graft({"run", "-p", prefix.string(), "--", "sh", "-c", "echo $CUDA_HOME"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, prefix.string() + "/cuda\n");
}

TEST(EnvRunTest, MissingCommandIsAClearError) {
  const fs::path prefix = make_environment(scratch_dir());
  auto run = graft({"run", "-p", prefix.string(), "--", "no-such-tool-xyz"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err,
            "graft: error: command 'no-such-tool-xyz' not found in the environment or on PATH\n");
}

}  // namespace
}  // namespace graft::e2e
