// `graft create --clone` end to end: the real binary cloning environments it made from a
// channel built in the test, and one conda made (the oracle's S1 records), compared with
// conda 26's recorded clone where graft means to behave the same.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/hash.h"
#include "base/strings.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

class CloneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir();
    root_ = dir_ / "root";
  }

  e2e::Run verb(std::vector<std::string> args) {
    args.insert(args.begin() + (args[0] == "env" ? 2 : 1), {"--root-prefix", root_.string()});
    if (args[0] == "create") args.push_back("-y");
    return graft(args, dir_);
  }

  // A channel with lib 1.0 (a placeholder text file, a binary blob, `extra` small files)
  // and app 1.0 (noarch, depends on lib).
  std::string build_channel(int extra = 0) {
    const fs::path channel = dir_ / "channel";
    const fs::path lib = dir_ / "lib-src";
    write(lib / "share/lib/config.txt", "prefix=/opt/anaconda1anaconda2anaconda3\n");
    write(lib / "share/lib/data.bin", std::string(4096, 'x'));
    for (int i = 0; i < extra; ++i) {
      write(lib / ("share/many/d" + std::to_string(i % 20) + "/f" + std::to_string(i)), "x\n");
    }
    const std::vector<std::vector<std::string>> commands = {
        {"pack", lib.string(), "--name", "lib", "--version", "1.0", "--subdir", "linux-64",
         "--prefix-placeholder", "/opt/anaconda1anaconda2anaconda3", "--output-dir",
         (channel / "linux-64").string()},
        {"pack", (dir_ / "app-src").string(), "--name", "app", "--version", "1.0", "--noarch",
         "generic", "--depends", "lib >=1.0", "--output-dir", (channel / "noarch").string()},
        {"index", channel.string()}};
    write(dir_ / "app-src/bin/app", "#!/bin/sh\necho app\n");
    for (const auto& command : commands) {
      e2e::Run ran = graft(command);
      EXPECT_EQ(ran.exit_code, 0) << ran.err;
    }
    return channel.string();
  }

  // Environment `a` (app + lib) with what users add: a text file naming the prefix, a
  // symlink into it, pins, env vars, and a freeze.
  fs::path make_source(const std::string& channel) {
    e2e::Run created = verb({"create", "-n", "a", "-c", channel, "app"});
    EXPECT_EQ(created.exit_code, 0) << created.err;
    const fs::path a = root_ / "envs/a";
    write(a / "notes/run.sh", "cd " + a.string() + "/share\n");
    fs::create_symlink(a / "share/lib/config.txt", a / "config-link");
    write(a / "conda-meta/pinned", "lib 1.*\n");
    write(a / "conda-meta/state", R"({"env_vars": {"MODE": "fast"}})");
    write(a / "conda-meta/frozen", "{}");
    return a;
  }

  fs::path dir_, root_;
};

// Everything in `export --from-history` but the name and prefix lines.
std::string specs_part(const std::string& exported) {
  std::string kept;
  for (auto line : base::split(exported, '\n')) {
    if (!base::starts_with(line, "name:") && !base::starts_with(line, "prefix:")) {
      kept += std::string(line) + "\n";
    }
  }
  return kept;
}

TEST_F(CloneTest, CloneLinksPackagesAndCarriesUntrackedFilesPinsAndVars) {
  const fs::path a = make_source(build_channel());
  e2e::Run cloned = verb({"create", "-n", "b", "--clone", "a"});
  ASSERT_EQ(cloned.exit_code, 0) << cloned.err;
  const fs::path b = root_ / "envs/b";
  EXPECT_THAT(cloned.out, HasSubstr("Source:      " + a.string() + "\nDestination: " + b.string() +
                                    "\nPackages: 2\nFiles: 2\n\n"));
  EXPECT_EQ(read(b / "share/lib/config.txt"), "prefix=" + b.string() + "\n");
  EXPECT_EQ(read(b / "notes/run.sh"), "cd " + b.string() + "/share\n");
  EXPECT_EQ(fs::read_symlink(b / "config-link"), b / "share/lib/config.txt");
  struct stat data {};
  ASSERT_EQ(::stat((b / "share/lib/data.bin").c_str(), &data), 0);
  EXPECT_EQ(data.st_nlink, 3u) << "pkgs/, a and b share the package file";
  EXPECT_EQ(read(b / "conda-meta/pinned"), "lib 1.*\n");
  EXPECT_EQ(read(b / "conda-meta/state"), R"({"env_vars": {"MODE": "fast"}})");
  EXPECT_FALSE(fs::exists(b / "conda-meta/frozen")) << "a clone of a frozen env is editable";
  const std::string history = read(b / "conda-meta/history");
  EXPECT_EQ(base::split(history, '\n').size(), 7u) << history;  // one block, 5 lines
  EXPECT_THAT(history, HasSubstr("# cmd: " + std::string(GRAFT_BINARY) + " create --root-prefix " +
                                 root_.string() + " -n b --clone a -y\n"));
  EXPECT_THAT(history, HasSubstr("# update specs: ['app']\n"));
  EXPECT_EQ(specs_part(verb({"env", "export", "-n", "b", "--from-history"}).out),
            specs_part(verb({"env", "export", "-n", "a", "--from-history"}).out));
  EXPECT_THAT(read(b / "conda-meta/app-1.0-0.json"), HasSubstr("\"requested_spec\": \"app\""));

  e2e::Run dry = verb({"create", "-n", "d", "--clone", "a", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("Packages: 2\nFiles: 2\n"));
  EXPECT_FALSE(fs::exists(root_ / "envs/d"));
  e2e::Run json = verb({"create", "-n", "j", "--clone", "a", "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, Not(HasSubstr("Source:"))) << "--json prints JSON only";
  EXPECT_TRUE(fs::exists(root_ / "envs/j/notes/run.sh"));

  e2e::Run by_path = verb({"create", "-p", (dir_ / "c").string(), "--clone", a.string()});
  ASSERT_EQ(by_path.exit_code, 0) << by_path.err;
  EXPECT_EQ(read(dir_ / "c/notes/run.sh"), "cd " + (dir_ / "c").string() + "/share\n");
}

TEST_F(CloneTest, MissingPackagesAreFetchedByUrlOrListedOffline) {
  const fs::path a = make_source(build_channel());
  fs::remove_all(root_ / "pkgs");
  e2e::Run refetched = verb({"create", "-n", "b", "--clone", "a"});
  ASSERT_EQ(refetched.exit_code, 0) << refetched.err;
  EXPECT_EQ(read(root_ / "envs/b/share/lib/config.txt"), "prefix=" + (root_ / "envs/b").string() + "\n");

  // The same records as if they came from a remote channel, with an empty cache.
  for (const std::string file : {"app-1.0-0.json", "lib-1.0-0.json"}) {
    const fs::path record = a / "conda-meta" / file;
    write(record, base::replace_all(read(record), "file://" + (dir_ / "channel").string(),
                                    "https://example.invalid/ch"));
  }
  fs::remove_all(root_ / "pkgs");
  e2e::Run offline = verb({"create", "-n", "d", "--clone", "a", "--offline"});
  EXPECT_EQ(offline.exit_code, 1);
  EXPECT_EQ(offline.err,
            "graft: error: cannot clone 'a' offline: 2 packages are not in the package cache:\n"
            "  app-1.0-0 (https://example.invalid/ch/noarch/app-1.0-0.conda)\n"
            "  lib-1.0-0 (https://example.invalid/ch/linux-64/lib-1.0-0.conda)\n"
            "hint: run without --offline to download them by their recorded URLs\n");
  EXPECT_FALSE(fs::exists(root_ / "envs/d"));
}

TEST_F(CloneTest, ErrorsNameTheProblem) {
  make_source(build_channel());
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string err;
  };
  const std::string envs = (root_ / "envs").string();
  fs::create_directories(dir_ / "plain");
  for (const Case& c : std::vector<Case>{
           {{"create", "-n", "b", "--clone", "aa"}, 1,
            "graft: error: environment 'aa' does not exist at " + envs + "/aa\nhint: did you mean 'a'?\n"},
           {{"create", "-n", "b", "--clone", (dir_ / "plain").string()}, 1,
            "graft: error: no environment at '" + (dir_ / "plain").string() +
                "': it has no conda-meta directory\n"},
           {{"create", "-n", "a", "--clone", "a"}, 1,
            "graft: error: environment 'a' already exists at " + envs +
                "/a\nhint: remove it first ('graft env remove -n NAME') or pick another name\n"},
           {{"create", "-n", "b", "--clone", "a", "numpy"}, 2,
            "graft: error: '--clone' takes no package specs: 'numpy' was given\n"
            "hint: clone first, then add packages with 'graft install'\n"},
           {{"create", "-p", envs + "/a/inner", "--clone", "a"}, 2,
            "graft: error: cannot clone 'a' into '" + envs +
                "/a/inner': the new environment would be inside the source\n"}}) {
    e2e::Run ran = verb(c.args);
    EXPECT_EQ(ran.exit_code, c.exit_code) << c.args[4];
    EXPECT_EQ(ran.err, c.err);
  }
  EXPECT_FALSE(fs::exists(root_ / "envs/b"));
}

// conda's S1 clone: zlib as conda installed it (its records; the package is fetched from
// the corpus by its URL), plus a user file and a symlink into the environment.
TEST_F(CloneTest, ClonesAnEnvironmentCondaMade) {
  GRAFT_REQUIRE_CONFORMANCE();
  const fs::path zlib = root_ / "envs/zlib";
  install_oracle_conda_meta("s1_zlib", zlib / "conda-meta", dir_);
  write(zlib / "lib/user-config.txt", "data_dir=" + zlib.string() + "/share\n");
  fs::create_symlink(zlib / "lib/libz.so", zlib / "lib/user-link.so");
  const fs::path zlib2 = root_ / "envs/zlib2";
  e2e::Run cloned = verb({"create", "-p", zlib2.string(), "--clone", zlib.string()});
  ASSERT_EQ(cloned.exit_code, 0) << cloned.err;
  auto header = [](const std::string& out) { return out.substr(0, out.find("\n\n") + 2); };
  EXPECT_EQ(header(cloned.out), header(oracle_output("s1_clone", dir_)));
  // conda leaves the symlink pointing into the source (s1_zlib2.tree); graft re-points it.
  EXPECT_THAT(read(conformance_dir() / "oracle/conda-26.7.1/s1_zlib2.tree"),
              HasSubstr("./lib/user-link.so -> {T}/root/envs/zlib/lib/libz.so"));
  EXPECT_EQ(fs::read_symlink(zlib2 / "lib/user-link.so"), zlib2 / "lib/libz.so");
  EXPECT_EQ(read(zlib2 / "lib/user-config.txt"), "data_dir=" + zlib2.string() + "/share\n");
  EXPECT_THAT(read(zlib2 / "lib/pkgconfig/zlib.pc"), HasSubstr("prefix=" + zlib2.string() + "\n"));
  EXPECT_EQ(verb({"env", "export", "-n", "zlib2"}).out, oracle_output("s1_clone_export", dir_));
  // conda's clone exports every package from history; graft's exports what the user asked.
  EXPECT_EQ(verb({"env", "export", "-n", "zlib2", "--from-history"}).out,
            "name: zlib2\ndependencies:\n  - zlib\nprefix: " + zlib2.string() + "\n");
  // Every package file of conda's clone, with the same bytes (zlib.pc holds each run's own
  // prefix; the user file was conda's scenario's own).
  int compared = 0;
  const std::string tree = read(conformance_dir() / "oracle/conda-26.7.1/s1_zlib2.tree");
  for (auto line : base::split(tree, '\n')) {
    const auto words = base::split(line, ' ');
    if (words.size() != 4 || words[0] == "./lib/pkgconfig/zlib.pc" ||
        words[0] == "./lib/user-config.txt") {
      continue;
    }
    const fs::path file = zlib2 / std::string(words[0].substr(2));
    auto digest = base::file_digest_hex(file, base::DigestKind::kSha256);
    ASSERT_TRUE(digest) << file;
    EXPECT_EQ(digest->substr(0, 16), words[1]) << file;
    ++compared;
  }
  EXPECT_EQ(compared, 6);
}

TEST_F(CloneTest, SigkillAtAnyMomentLeavesTheTargetAbsentOrWhole) {
  const std::string channel = build_channel(1500);
  ASSERT_EQ(verb({"create", "-n", "a", "-c", channel, "app"}).exit_code, 0);
  for (int i = 0; i < 300; ++i) {
    write(root_ / "envs/a/user" / std::to_string(i % 7) / ("u" + std::to_string(i)), "u\n");
  }
  const auto start = Clock::now();
  ASSERT_EQ(verb({"create", "-n", "r", "--clone", "a"}).exit_code, 0);
  const auto full = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  const std::vector<std::string> whole = listing(root_ / "envs/r");
  std::mt19937 random(20261122);
  std::uniform_int_distribution<std::int64_t> moment(0, full.count() * 6 / 5);
  int absent = 0;
  for (int trial = 0; trial < 24; ++trial) {
    const pid_t pid = start_graft({"create", "--root-prefix", root_.string(), "-n", "b", "--clone",
                                   "a", "-y"}, dir_ / "home");
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::microseconds(moment(random)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    const fs::path b = root_ / "envs/b";
    if (fs::exists(b)) {
      EXPECT_EQ(listing(b), whole) << "trial " << trial << ": a half-made clone is visible";
    } else {
      ++absent;
      e2e::Run next = verb({"create", "-n", "b", "--clone", "a"});
      ASSERT_EQ(next.exit_code, 0) << "trial " << trial << ": " << next.err;
      EXPECT_EQ(listing(b), whole) << "trial " << trial;
    }
    fs::remove_all(b);
    for (const auto& entry : fs::directory_iterator(root_ / "envs")) {
      EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr("graft-staging")))
          << "trial " << trial << ": the next clone removes what a killed one left";
    }
  }
  EXPECT_GT(absent, 0) << "no kill landed before the commit; the test proves nothing";
}

}  // namespace
}  // namespace graft::e2e
