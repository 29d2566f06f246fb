// `graft env export`, `graft list --explicit` formats and `graft verify` end to end: envs
// built by the real binary from the corpus channels, compared byte for byte with conda 26's
// recorded output (oracle, {CONF}/{T} substituted).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/strings.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir();
    root_ = dir_ / "root";
  }

  // The oracle's <step>.out with {CONF} and {T} replaced by ours.
  std::string oracle(const std::string& step) { return oracle_output(step, dir_); }

  e2e::Run run(std::vector<std::string> args) {
    args.insert(args.begin() + (args[0] == "env" ? 2 : 1), {"--root-prefix", root_.string()});
    return graft(args, dir_);
  }

  // graft cannot create S1's env as conda did (`--no-deps zlib`: zlib's libgcc-ng is not in
  // the channel), so the env is conda's own conda-meta from the oracle, paths substituted.
  void create_zlib(const std::string& name = "zlib") {
    install_oracle_conda_meta("s1_" + name, root_ / "envs" / name / "conda-meta", dir_);
  }

  // S2 as conda ran it: create dependent=1.0, install python + sample_noarch_python,
  // install dependent=2.0, all from test-recipes.
  void create_rec() {
    const std::string channel = "file://" + (conformance_dir() / "conda/test-recipes").string();
    const std::string prefix = (root_ / "envs/rec").string();
    const std::vector<std::vector<std::string>> steps = {
        {"create", "dependent=1.0"},
        {"install", "python=3.99.99", "sample_noarch_python"},
        {"install", "dependent=2.0"}};
    for (const auto& step : steps) {
      std::vector<std::string> args = {step[0], "-p", prefix, "-c", channel, "--override-channels",
                                       "-y"};
      args.insert(args.end(), step.begin() + 1, step.end());
      e2e::Run ran = run(args);
      ASSERT_EQ(ran.exit_code, 0) << ran.err;
    }
  }

  fs::path dir_, root_;
};

TEST_F(ExportTest, ZlibExportsMatchConda) {
  GRAFT_REQUIRE_CONFORMANCE();
  ASSERT_NO_FATAL_FAILURE(create_zlib());
  const std::string prefix = (root_ / "envs/zlib").string();
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"s1_export", {}},
      {"s1_export_no_builds", {"--no-builds"}},
      {"s1_export_json", {"--json"}},
      {"s1_export_json", {"--format", "environment-json"}},
      {"s1_export_from_history", {"--from-history"}},
  };
  for (const auto& [step, flags] : cases) {
    std::vector<std::string> args = {"env", "export", "-n", "zlib"};
    args.insert(args.end(), flags.begin(), flags.end());
    e2e::Run exported = run(args);
    EXPECT_EQ(exported.exit_code, 0) << step << ": " << exported.err;
    EXPECT_EQ(exported.out, oracle(step)) << step;
  }
  e2e::Run by_path = run({"env", "export", "-p", prefix});
  EXPECT_EQ(by_path.out, oracle("s1_export"));
  // conda 26's `env export --format explicit` writes what `list --explicit` writes: the
  // header says "--name <env>" literally and no blank line follows "@EXPLICIT".
  const std::string explicit_file = with_graft_created_by(oracle("s1_list_explicit"));
  EXPECT_EQ(run({"env", "export", "-n", "zlib", "--format", "explicit"}).out, explicit_file);
  EXPECT_EQ(run({"list", "-n", "zlib", "--explicit"}).out, explicit_file);
  EXPECT_EQ(run({"list", "-n", "zlib", "--explicit", "--md5"}).out,
            with_graft_created_by(oracle("s1_list_explicit_md5")));
  EXPECT_EQ(run({"list", "-n", "zlib", "--explicit", "--sha256"}).out,
            with_graft_created_by(oracle("s1_list_explicit_sha256")));
  // The clone conda made: its history holds one channel::name==version=build spec.
  ASSERT_NO_FATAL_FAILURE(create_zlib("zlib2"));
  EXPECT_EQ(run({"env", "export", "-n", "zlib2"}).out, oracle("s1_clone_export"));
  EXPECT_EQ(run({"env", "export", "-n", "zlib2", "--from-history"}).out,
            oracle("s1_clone_export_from_history"));
}

TEST_F(ExportTest, VariablesPipAndFileOutput) {
  GRAFT_REQUIRE_CONFORMANCE();
  ASSERT_NO_FATAL_FAILURE(create_zlib());
  const fs::path prefix = root_ / "envs/zlib";
  write(prefix / "conda-meta/state", R"({"env_vars": {"MODE": "fast", "LEVEL": "3"}})");
  write(prefix / "lib/python3.12/site-packages/tiny-0.1.dist-info/INSTALLER", "pip\n");
  write(prefix / "lib/python3.12/site-packages/tiny-0.1.dist-info/METADATA",
        "Name: tiny\nVersion: 0.1\n");
  const std::string out = (dir_ / "env.yml").string();
  e2e::Run exported = run({"env", "export", "-n", "zlib", "--file", out});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(exported.out, "");
  std::string expected = oracle("s1_export");
  expected = base::replace_all(expected, "  - zlib=1.2.11=h7b6447c_3\n",
                               "  - zlib=1.2.11=h7b6447c_3\n  - pip:\n      - tiny==0.1\n"
                               "variables:\n  MODE: fast\n  LEVEL: '3'\n");
  EXPECT_EQ(*base::read_file(out), expected);
}

TEST_F(ExportTest, ListExplicitFormattingMatchesCondaOnTestRecipes) {
  GRAFT_REQUIRE_CONFORMANCE();
  ASSERT_NO_FATAL_FAILURE(create_rec());
  const std::string prefix = (root_ / "envs/rec").string();
  EXPECT_EQ(run({"env", "export", "-p", prefix}).out, oracle("s2_export"));
  std::string explicit_sha = oracle("s2_explicit");
  e2e::Run plain = run({"env", "export", "-p", prefix, "--format", "explicit"});
  std::string without_hashes;
  for (auto line : base::split(explicit_sha, '\n')) {
    if (line.empty()) continue;
    without_hashes += std::string(line.substr(0, line.find('#', 1))) + "\n";
  }
  EXPECT_EQ(plain.out, with_graft_created_by(without_hashes));
  e2e::Run verified = run({"verify", "-p", prefix});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("of 5 packages: no drift\n"));
}

TEST_F(ExportTest, FromHistoryReadsCondaWrittenHistory) {
  GRAFT_REQUIRE_CONFORMANCE();
  const fs::path prefix = root_ / "envs/rec";
  fs::create_directories(prefix / "conda-meta");
  auto history =
      base::read_file(conformance_dir() / "oracle/conda-26.7.1/s2_rec.conda-meta/history");
  ASSERT_TRUE(history);
  write(prefix / "conda-meta/history", *history);
  EXPECT_EQ(run({"env", "export", "-p", prefix.string(), "--from-history"}).out,
            oracle("s2_export_from_history"));
}

TEST_F(ExportTest, VerifyReportsDriftAndExitsOne) {
  GRAFT_REQUIRE_CONFORMANCE();
  ASSERT_NO_FATAL_FAILURE(create_rec());
  const fs::path prefix = root_ / "envs/rec";
  const std::string sample = "lib/python3.99t/site-packages/sample.py";
  ASSERT_TRUE(fs::exists(prefix / sample));
  write(prefix / sample, "edited\n");
  write(prefix / "notes.txt", "mine\n");
  e2e::Run drift = run({"verify", "-p", prefix.string(), "--extra"});
  EXPECT_EQ(drift.exit_code, 1);
  EXPECT_THAT(drift.out, HasSubstr("modified: " + sample +
                                   " (sample_noarch_python-1.0-py_0): size 7 bytes, "
                                   "recorded 0\n"));
  EXPECT_THAT(drift.out, HasSubstr("untracked: notes.txt\n"));
  fs::remove(prefix / sample);
  e2e::Run json = run({"verify", "-p", prefix.string(), "--json", "--fast"});
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_THAT(json.out, HasSubstr("\"kind\": \"missing\",\n      \"path\": \"" + sample));
}

TEST_F(ExportTest, ErrorsAreClear) {
  e2e::Run missing = run({"env", "export", "-n", "nope"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_EQ(missing.err, "graft: error: environment 'nope' does not exist at " +
                             (root_ / "envs/nope").string() + "\n");
  e2e::Run verify_missing = run({"verify", "-n", "nope"});
  EXPECT_NE(verify_missing.exit_code, 0);
  EXPECT_THAT(verify_missing.err, HasSubstr("'nope'"));
  fs::create_directories(root_ / "envs/empty/conda-meta");
  e2e::Run bad_format = run({"env", "export", "-n", "empty", "--format", "toml"});
  EXPECT_EQ(bad_format.exit_code, 2);
  EXPECT_THAT(bad_format.err, HasSubstr("'toml' is not a valid export format: expected one of "
                                        "'environment-yaml', 'environment-json', 'explicit', "
                                        "'requirements'"));
}

// `env export -f` never replaces what is not a regular file: a FIFO and a character device
// are written through (conda opens the path for writing), a symlink's target is written
// and the symlink stays.
class ExportFileTest : public ChannelTest {
 protected:
  void SetUp() override {
    ChannelTest::SetUp();
    add_noarch_package(channel_, "lib", "1.0", {{"share/lib.txt", "lib\n"}});
    ASSERT_EQ(verb({"create", "-n", "e", "lib"}).exit_code, 0);
    const e2e::Run exported = export_to("");
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    expected_ = exported.out;
    ASSERT_THAT(expected_, HasSubstr("lib=1.0"));
  }

  e2e::Run export_to(const std::string& file) const {
    std::vector<std::string> words = {"env", "export", "--root-prefix", root_.string(), "-n", "e"};
    if (!file.empty()) words.insert(words.end(), {"-f", file});
    return graft(words, dir_);
  }

  std::string expected_;
};

TEST_F(ExportFileTest, WritesThroughAFifoWithoutReplacingIt) {
  const fs::path fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Opened for reading first (without blocking), so graft's open for writing does not wait.
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  const e2e::Run exported = export_to(fifo.string());
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  std::string received(65536, '\0');
  const ssize_t count = ::read(reader, received.data(), received.size());
  ::close(reader);
  received.resize(count > 0 ? static_cast<std::size_t>(count) : 0);
  EXPECT_EQ(received, expected_);
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
}

TEST_F(ExportFileTest, FollowsASymlinkAndKeepsIt) {
  write(dir_ / "real.yml", "old\n");
  fs::create_symlink("real.yml", dir_ / "link.yml");
  const e2e::Run exported = export_to((dir_ / "link.yml").string());
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_TRUE(fs::is_symlink(dir_ / "link.yml"));
  EXPECT_EQ(read(dir_ / "real.yml"), expected_);
}

TEST_F(ExportFileTest, WritesThroughADeviceNodeWithoutReplacingIt) {
  const fs::path full = dir_ / "full";  // a /dev/full of our own: every write fails
  if (::mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0) {
    GTEST_SKIP() << "mknod is not permitted here (" << std::strerror(errno)
                 << "): run as root to test device nodes";
  }
  const int probe = ::open(full.c_str(), O_WRONLY | O_CLOEXEC);
  if (probe < 0) GTEST_SKIP() << "device nodes cannot be opened on this filesystem (nodev)";
  ::close(probe);
  const e2e::Run exported = export_to(full.string());
  EXPECT_NE(exported.exit_code, 0);
  EXPECT_THAT(exported.err, HasSubstr("No space left on device"));
  EXPECT_TRUE(fs::is_character_file(fs::symlink_status(full)));
}

TEST_F(ExportFileTest, RefusesADirectory) {
  const e2e::Run directory = export_to(dir_.string());
  EXPECT_NE(directory.exit_code, 0);
  EXPECT_THAT(directory.err, HasSubstr("graft: error: cannot write to '" + dir_.string() +
                                       "': it is a directory\n"));
}

}  // namespace
}  // namespace graft::e2e
