// Recreating environments end to end: `create --file` with @EXPLICIT files, spec lists and
// conda-lock files, and `env create -f environment.yml` (variables, pip), compared with
// conda 26's recorded explicit create (oracle S1 zlib3) and by round trips: create ->
// export -> create -> export gives the same file; create -> list --explicit -> create
// --file gives the same tree and records.
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/hash.h"
#include "base/strings.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class RecreateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir();
    root_ = dir_ / "root";
  }

  // graft ARGS with --root-prefix ROOT after the verb (ROOT = `root`, default root_).
  e2e::Run run(std::vector<std::string> args, const fs::path& root = {}) {
    args.insert(args.begin() + (args[0] == "env" ? 2 : 1),
                {"--root-prefix", (root.empty() ? root_ : root).string()});
    return graft(args, dir_);
  }

  // A channel with lib 1.0 and app 1.0 (depending on lib), and, with `python_script`, a
  // "python" package whose bin/python is that shell script (to stand in for pip).
  fs::path build_channel(const std::string& python_script = "") {
    const fs::path channel = dir_ / "channel";
    add_noarch_package(channel, "lib", "1.0", {{"share/lib/lib.txt", "lib 1.0\n"}});
    const fs::path app = dir_ / "app-src";
    write(app / "share/app/app.txt", "app\n");
    EXPECT_EQ(
        graft({"pack", app.string(), "--name", "app", "--version", "1.0", "--noarch", "generic",
               "--depends", "lib >=1.0", "--output-dir", (channel / "noarch").string()})
            .exit_code,
        0);
    if (!python_script.empty()) {
      // The solver makes python depend on pip, as conda does.
      add_noarch_package(channel, "pip", "1.0", {{"share/pip.txt", "pip\n"}});
      const fs::path python = dir_ / "python-src";
      write(python / "bin/python", python_script);
      fs::permissions(python / "bin/python", fs::perms(0755));
      EXPECT_EQ(graft({"pack", python.string(), "--name", "python", "--version", "3.99", "--noarch",
                       "generic", "--output-dir", (channel / "noarch").string()})
                    .exit_code,
                0);
    }
    EXPECT_EQ(graft({"index", channel.string()}).exit_code, 0);
    return channel;
  }

  fs::path dir_, root_;
};

// Every file of `prefix` outside conda-meta: "path sha256[:16]" (or "path -> target").
std::vector<std::string> tree(const fs::path& prefix) {
  std::vector<std::string> lines;
  for (const auto& entry : fs::recursive_directory_iterator(prefix)) {
    const std::string relative = fs::relative(entry.path(), prefix).string();
    if (base::starts_with(relative, "conda-meta") || entry.is_directory()) continue;
    if (entry.is_symlink()) {
      lines.push_back(relative + " -> " + fs::read_symlink(entry.path()).string());
      continue;
    }
    auto digests = base::file_digests(entry.path());
    lines.push_back(relative + " " + (digests ? digests->sha256.substr(0, 16) : "?"));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// A conda-meta record without what depends on where and when it was made.
nlohmann::json portable_record(const fs::path& file, const fs::path& prefix) {
  auto record = nlohmann::json::parse(read(file));
  for (const char* key :
       {"extracted_package_dir", "package_tarball_full_path", "link", "timestamp"}) {
    record.erase(key);
  }
  for (auto& path : record["paths_data"]["paths"]) {
    if (path.contains("prefix_placeholder")) path.erase("sha256_in_prefix");
  }
  return nlohmann::json::parse(base::replace_all(record.dump(), prefix.string(), "<PREFIX>"));
}

// conda's own explicit create of S1 (zlib from conda_format_repo, no solve: zlib's libgcc-ng
// dependency is not in the channel): the same plan lines, history, records and files.
TEST_F(RecreateTest, ExplicitCreateMatchesConda) {
  GRAFT_REQUIRE_CONFORMANCE();
  const fs::path oracle = conformance_dir() / "oracle/conda-26.7.1";
  write(dir_ / "explicit.txt", oracle_output("s1_list_explicit", dir_));
  const fs::path prefix = root_ / "envs/zlib3";
  e2e::Run created = run({"create", "-p", prefix.string(), "--file", "explicit.txt", "-y"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  // Fetched first, then conda's plan, line for line (the endings differ: graft has no
  // activation and says how to run a command instead).
  const std::string conda_out = oracle_output("s1_explicit_create", dir_);
  const std::string plan = conda_out.substr(0, conda_out.find("\nDownloading", 2));
  EXPECT_THAT(plan, HasSubstr("conda_format_repo/linux-64::zlib-1.2.11-h7b6447c_3"));
  EXPECT_EQ(created.out.substr(0, plan.size()), plan);

  auto history_body = [&](const std::string& text) {
    std::string kept;
    for (auto line : base::split(text, '\n')) {
      if (base::starts_with(line, "==>") || base::starts_with(line, "# cmd:") ||
          base::starts_with(line, "# conda version:") || line.empty()) {
        continue;
      }
      kept += std::string(line) + "\n";
    }
    return base::replace_all(kept, "{CONF}", conformance_dir().string());
  };
  EXPECT_EQ(history_body(read(prefix / "conda-meta/history")),
            history_body(read(oracle / "s1_zlib3.conda-meta/history")));

  const fs::path theirs_dir = dir_ / "theirs";
  install_oracle_conda_meta("s1_zlib3", theirs_dir / "conda-meta", dir_);
  const std::string record = "conda-meta/zlib-1.2.11-h7b6447c_3.json";
  EXPECT_EQ(portable_record(prefix / record, prefix),
            portable_record(theirs_dir / record, root_ / "envs/zlib3"));

  std::vector<std::string> expected;
  const std::string oracle_tree = read(oracle / "s1_zlib3.tree");
  for (auto line : base::split(oracle_tree, '\n')) {
    auto parts = base::split(line, ' ');
    if (parts.size() < 2) continue;
    // The rewritten pkg-config file's digest depends on the prefix.
    if (parts[0] == "./lib/pkgconfig/zlib.pc") continue;
    expected.push_back(std::string(parts[0].substr(2)) + " " + std::string(parts[1]));
  }
  auto ours = tree(prefix);
  ours.erase(
      std::remove_if(ours.begin(), ours.end(),
                     [](const std::string& l) { return base::starts_with(l, "lib/pkgconfig/"); }),
      ours.end());
  EXPECT_EQ(ours, expected);
  EXPECT_THAT(read(prefix / "lib/pkgconfig/zlib.pc"), HasSubstr("prefix=" + prefix.string()));
}

// S2 (test-recipes, noarch: python) recreated from its own `list --explicit --sha256` on a
// fresh root: the same files and the same records.
TEST_F(RecreateTest, ListExplicitThenCreateFileGivesTheSameEnvironment) {
  GRAFT_REQUIRE_CONFORMANCE();
  const std::string channel = "file://" + (conformance_dir() / "conda/test-recipes").string();
  const fs::path prefix = root_ / "envs/rec";
  for (std::vector<std::string> step : {std::vector<std::string>{"create", "dependent=2.0"},
                                        {"install", "python=3.99.99", "sample_noarch_python"}}) {
    step.insert(step.begin() + 1,
                {"-p", prefix.string(), "-c", channel, "--override-channels", "-y"});
    e2e::Run ran = run(step);
    ASSERT_EQ(ran.exit_code, 0) << ran.err;
  }
  e2e::Run listed = run({"list", "-p", prefix.string(), "--explicit", "--sha256"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  // The same packages as conda's S2 environment: the same file (graft writes conda's header).
  EXPECT_EQ(listed.out, with_graft_created_by(oracle_output("s2_explicit", dir_)));
  write(dir_ / "rec.txt", listed.out);
  const fs::path other_root = dir_ / "other";
  const fs::path copy = other_root / "envs/rec";
  e2e::Run created = run({"create", "-p", copy.string(), "--file", "rec.txt", "-y"}, other_root);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(tree(copy), tree(prefix));
  std::size_t records = 0;
  for (const auto& entry : fs::directory_iterator(prefix / "conda-meta")) {
    if (entry.path().extension() != ".json") continue;
    ++records;
    auto theirs = portable_record(entry.path(), prefix);
    auto ours = portable_record(copy / "conda-meta" / entry.path().filename(), copy);
    // The first environment was solved, the second was created from explicit URLs: which
    // specs were requested differs, and (as with conda) a record read from the package
    // itself lacks the "pip" dependency conda's repodata loading adds to python.
    for (auto* record : {&theirs, &ours}) {
      for (const char* key : {"requested_spec", "requested_specs", "_requested_specs"}) {
        record->erase(key);
      }
    }
    if (theirs["name"] == "python") theirs["depends"].erase(0);
    EXPECT_EQ(ours, theirs) << entry.path().filename();
  }
  EXPECT_EQ(records, 5u);
  EXPECT_EQ(run({"list", "-p", copy.string(), "--explicit", "--sha256"}, other_root).out,
            listed.out);
}

TEST_F(RecreateTest, ExplicitChecksumMismatchCreatesNothing) {
  const fs::path channel = build_channel();
  const std::string url = "file://" + (channel / "noarch/lib-1.0-0.conda").string();
  write(dir_ / "bad.txt", "@EXPLICIT\n" + url + "#" + std::string(64, 'a') + "\n");
  e2e::Run created = run({"create", "-n", "bad", "--file", "bad.txt", "-y"});
  EXPECT_EQ(created.exit_code, 1);
  EXPECT_THAT(created.err, HasSubstr("lib-1.0-0.conda"));
  EXPECT_THAT(created.err, HasSubstr("sha256"));
  EXPECT_FALSE(fs::exists(root_ / "envs/bad"));
  write(dir_ / "typo.txt", "@EXPLICIT\n" + url + "#123\n");
  e2e::Run typo = run({"create", "-n", "bad", "--file", "typo.txt", "-y"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_EQ(typo.err, "graft: error: typo.txt:2: '123' is not an md5 or sha256 checksum\n");
}

TEST_F(RecreateTest, SpecListSolvesLikeCommandLineSpecs) {
  const fs::path channel = build_channel();
  write(dir_ / "specs.txt", "# what the app needs\napp  # the app\n");
  e2e::Run created =
      run({"create", "-n", "s", "-c", channel.string(), "--file", "specs.txt", "-y"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_TRUE(fs::exists(root_ / "envs/s/conda-meta/lib-1.0-0.json"));
  EXPECT_THAT(read(root_ / "envs/s/conda-meta/history"), HasSubstr("# update specs: ['app']\n"));
}

TEST_F(RecreateTest, RepeatedFileOptionsAddUpAsInConda) {
  const fs::path channel = build_channel();
  // Two spec lists: their specs are solved together.
  write(dir_ / "a.txt", "lib\n");
  write(dir_ / "b.txt", "app\n");
  e2e::Run specs = run({"create", "-n", "two", "-c", channel.string(), "--file", "a.txt",
                        "--file", "b.txt", "-y"});
  ASSERT_EQ(specs.exit_code, 0) << specs.err;
  EXPECT_THAT(read(root_ / "envs/two/conda-meta/history"),
              HasSubstr("# update specs: ['lib', 'app']\n"));

  // Two @EXPLICIT files join; a package both list is linked once.
  const std::string lib = "file://" + (channel / "noarch/lib-1.0-0.conda").string();
  const std::string app = "file://" + (channel / "noarch/app-1.0-0.conda").string();
  write(dir_ / "lib.txt", "@EXPLICIT\n" + lib + "\n");
  write(dir_ / "app.txt", "@EXPLICIT\n" + lib + "\n" + app + "\n");
  e2e::Run exact = run({"create", "-n", "exact", "--file", "lib.txt", "--file", "app.txt", "-y"});
  ASSERT_EQ(exact.exit_code, 0) << exact.err;
  EXPECT_TRUE(fs::exists(root_ / "envs/exact/conda-meta/lib-1.0-0.json"));
  EXPECT_TRUE(fs::exists(root_ / "envs/exact/share/app/app.txt"));

  // Two builds of one name, an explicit file with a spec list, a lock file with another
  // file: clear errors, nothing created.
  add_noarch_package(channel, "lib", "2.0", {{"share/lib/lib.txt", "lib 2.0\n"}});
  write(dir_ / "lib2.txt",
        "@EXPLICIT\nfile://" + (channel / "noarch/lib-2.0-0.conda").string() + "\n");
  e2e::Run clash = run({"create", "-n", "x", "--file", "lib.txt", "--file", "lib2.txt", "-y"});
  EXPECT_EQ(clash.exit_code, 2);
  EXPECT_EQ(clash.err, "graft: error: 'lib.txt' and 'lib2.txt' both list 'lib': 1.0-0 and 2.0-0\n"
                       "hint: keep one of them\n");
  e2e::Run mixed = run({"create", "-n", "x", "--file", "lib.txt", "--file", "a.txt", "-y"});
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_THAT(mixed.err, HasSubstr("cannot mix 'lib.txt' (@EXPLICIT packages) with 'a.txt' "
                                   "(package specs to solve)"));
  write(dir_ / "conda-lock.yml", "version: 1\nmetadata:\n  platforms: [linux-64]\n"
                                 "  channels: [{url: x}]\npackage: []\n");
  e2e::Run locked =
      run({"create", "-n", "x", "--file", "a.txt", "--file", "conda-lock.yml", "-y"});
  EXPECT_EQ(locked.exit_code, 2);
  EXPECT_THAT(locked.err, HasSubstr("'conda-lock.yml' is a conda-lock file: it must be the only "
                                    "'--file'"));
  EXPECT_FALSE(fs::exists(root_ / "envs/x"));
}

TEST_F(RecreateTest, CondaLockInstallsThisPlatformsMainPackages) {
  GRAFT_REQUIRE_CONFORMANCE();
  const fs::path repo = conformance_dir() / "conda/conda_format_repo/linux-64";
  const std::string lock =
      "version: 1\nmetadata:\n  platforms: [linux-64, osx-64]\n  channels: [{url: x}]\n"
      "package:\n"
      "  - {name: zlib, version: 1.2.11, manager: conda, platform: linux-64, category: main,\n"
      "     url: 'file://" +
      (repo / "zlib-1.2.11-h7b6447c_3.tar.bz2").string() +
      "',\n"
      "     hash: {sha256: 1f07873d6aa0cd18760a7b215d9956f7fa63c2f2761b03f293c659fe982923fa},\n"
      "     dependencies: {libgcc-ng: '>=7.3.0'}}\n"
      "  - {name: zlib, version: 1.2.11, manager: conda, platform: osx-64, url: "
      "'https://h/c/osx-64/zlib-1.2.11-0.conda',\n"
      "     hash: {md5: 2e5b81671cc2b53177b94b258b1658b2}}\n";
  write(dir_ / "conda-lock.yml", lock);
  e2e::Run created = run({"create", "-n", "locked", "--file", "conda-lock.yml", "-y"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_TRUE(fs::exists(root_ / "envs/locked/lib/libz.a"));
  EXPECT_TRUE(fs::exists(root_ / "envs/locked/conda-meta/zlib-1.2.11-h7b6447c_3.json"));

  // --category picks other categories (micromamba's option); main is the default.
  e2e::Run dev = run({"create", "-n", "dev", "--file", "conda-lock.yml", "--category", "dev",
                      "-y"});
  EXPECT_EQ(dev.exit_code, 1);
  EXPECT_EQ(dev.err,
            "graft: error: 'conda-lock.yml' has no 'linux-64' packages in category 'dev'\n");
  EXPECT_FALSE(fs::exists(root_ / "envs/dev"));
  std::string dev_lock = lock;
  dev_lock.replace(dev_lock.find("category: main"), 14, "category: dev");
  write(dir_ / "dev-lock.yml", dev_lock);
  e2e::Run only_main = run({"create", "-n", "dev", "--file", "dev-lock.yml", "-y"});
  EXPECT_EQ(only_main.exit_code, 1);
  EXPECT_THAT(only_main.err, HasSubstr("has no 'linux-64' packages in category 'main'"));
  e2e::Run with_dev = run({"create", "-n", "dev", "--file", "dev-lock.yml", "--category", "dev",
                           "-y"});
  ASSERT_EQ(with_dev.exit_code, 0) << with_dev.err;
  EXPECT_TRUE(fs::exists(root_ / "envs/dev/conda-meta/zlib-1.2.11-h7b6447c_3.json"));
  e2e::Run stray = run({"create", "-n", "other", "--category", "dev", "zlib", "-y"});
  EXPECT_EQ(stray.exit_code, 2);
  EXPECT_THAT(stray.err, HasSubstr("'--category' picks packages of a conda-lock file"));

  // A pip package in the lock needs python, which this lock does not have.
  write(dir_ / "pip-lock.yml", lock +
                                   "  - {name: six, version: 1.17.0, manager: pip, platform: "
                                   "linux-64, url: 'https://h/six-1.17.0-py3-none-any.whl', "
                                   "hash: {sha256: abc}}\n");
  e2e::Run pip = run({"create", "-n", "pip", "--file", "pip-lock.yml", "-y"});
  EXPECT_EQ(pip.exit_code, 2);
  EXPECT_THAT(pip.err, HasSubstr("pip packages need python in the environment"));
  EXPECT_FALSE(fs::exists(root_ / "envs/pip"));
}

// environment.yml -> env create -> env export -> env create on a fresh root -> env export:
// the same file (prefix aside), variables in conda-meta/state.
TEST_F(RecreateTest, EnvCreateExportRoundTrip) {
  const fs::path channel = build_channel();
  write(dir_ / "environment.yml", "name: ml\nchannels:\n  - " + channel.string() +
                                      "\ndependencies:\n  - app\nvariables:\n  MODE: fast\n"
                                      "  LEVEL: 3\n");
  e2e::Run created = run({"env", "create", "-f", "environment.yml", "-y"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const fs::path prefix = root_ / "envs/ml";
  EXPECT_EQ(read(prefix / "conda-meta/state"), R"({
  "env_vars": {
    "MODE": "fast",
    "LEVEL": "3"
  }
})");
  EXPECT_TRUE(fs::exists(prefix / "share/lib/lib.txt"));
  e2e::Run exported = run({"env", "export", "-n", "ml"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_THAT(exported.out, HasSubstr("  - app=1.0=0\n"));
  EXPECT_THAT(exported.out, HasSubstr("variables:\n  MODE: fast\n  LEVEL: '3'\n"));
  write(dir_ / "exported.yml", exported.out);
  const fs::path other_root = dir_ / "other";
  e2e::Run again = run({"env", "create", "-f", "exported.yml", "-y"}, other_root);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(run({"env", "export", "-n", "ml"}, other_root).out,
            base::replace_all(exported.out, root_.string(), other_root.string()));
}

TEST_F(RecreateTest, EnvCreateRunsPipInTheNewEnvironment) {
  const fs::path channel = build_channel(
      "#!/bin/sh\n{ echo \"$PWD $*\"; cat \"$5\"; } > \"$(dirname \"$0\")/../pip-call.txt\"\n");
  write(dir_ / "project/environment.yml", "name: py\nchannels: [" + channel.string() +
                                              "]\ndependencies:\n  - python\n  - pip:\n"
                                              "    - -e ./pkg\n    - -r more.txt\n");
  e2e::Run created = run({"env", "create", "-f", "project/environment.yml", "-y"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string call = read(root_ / "envs/py/pip-call.txt");
  EXPECT_THAT(call,
              ::testing::StartsWith((dir_ / "project").string() + " -m pip install -r " +
                                    (dir_ / "project").string() + "/.graft-pip-requirements-"));
  EXPECT_THAT(call, HasSubstr(".txt\n-e ./pkg\n-r more.txt\n"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "project"), fs::directory_iterator()), 1)
      << "the requirements file is removed";
}

TEST_F(RecreateTest, EnvCreateIsAllOrNothingWhenPipFails) {
  const fs::path channel =
      build_channel("#!/bin/sh\necho 'ERROR: no matching distribution' >&2\nexit 3\n");
  write(dir_ / "environment.yml", "name: broken\nchannels: [" + channel.string() +
                                      "]\ndependencies:\n  - python\n  - pip:\n    - nope\n");
  e2e::Run created = run({"env", "create", "-f", "environment.yml", "-y"});
  EXPECT_EQ(created.exit_code, 1);
  // pip's own output comes first (it runs on the terminal), then graft's error.
  EXPECT_EQ(created.err,
            "ERROR: no matching distribution\ngraft: error: pip failed (exit code 3)\n"
            "hint: the new environment was removed again: nothing was changed\n");
  EXPECT_FALSE(fs::exists(root_ / "envs/broken"));
  EXPECT_THAT(run({"env", "list"}).out, ::testing::Not(HasSubstr("broken")));

  write(dir_ / "nopython.yml", "name: np\nchannels: [" + channel.string() +
                                   "]\ndependencies:\n  - lib\n  - pip:\n    - six\n");
  e2e::Run no_python = run({"env", "create", "-f", "nopython.yml", "-y"});
  EXPECT_EQ(no_python.exit_code, 2);
  EXPECT_EQ(no_python.err,
            "graft: error: pip packages need python in the environment: add "
            "'python' and 'pip' to the dependencies\nhint: nothing was changed\n");
  EXPECT_FALSE(fs::exists(root_ / "envs/np"));
}

TEST_F(RecreateTest, EnvCreateFlagsWarningsAndErrors) {
  const fs::path channel = build_channel();
  write(dir_ / "keys.yml", "name: k\nchanels: [x]\nvariables: {A: b}\n");
  e2e::Run warned = run({"env", "create", "-f", "keys.yml", "-n", "renamed", "-y"});
  ASSERT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_THAT(warned.err, HasSubstr("graft: warning: keys.yml:2: unknown key 'chanels' is "
                                    "ignored, did you mean 'channels'?\n"));
  EXPECT_TRUE(fs::exists(root_ / "envs/renamed/conda-meta/history"));
  EXPECT_FALSE(fs::exists(root_ / "envs/k"));
  EXPECT_EQ(read(root_ / "envs/renamed/conda-meta/state"), R"({
  "env_vars": {
    "A": "b"
  }
})");

  write(dir_ / "bad.yml", "name: b\ndependencies:\n  - lib\n  - 'lib >=>1'\n");
  e2e::Run bad = run({"env", "create", "-f", "bad.yml", "-y"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, ::testing::StartsWith("graft: error: bad.yml:4: "));
  EXPECT_THAT(bad.err, HasSubstr("\n  - 'lib >=>1'\n    ^\n"));

  write(dir_ / "anon.yml", "dependencies: [lib]\n");
  e2e::Run anonymous = run({"env", "create", "-f", "anon.yml", "-y"});
  EXPECT_EQ(anonymous.exit_code, 2);
  EXPECT_THAT(anonymous.err, HasSubstr("'anon.yml' names no environment"));

  write(dir_ / "dry.yml", "name: dry\nchannels: [" + channel.string() + "]\ndependencies: [app]\n");
  e2e::Run dry = run({"env", "create", "-f", "dry.yml", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("The following NEW packages will be INSTALLED:"));
  EXPECT_FALSE(fs::exists(root_ / "envs/dry"));
  e2e::Run missing = run({"env", "create", "-f", "nope.yml"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(
      missing.err,
      HasSubstr(
          "'nope.yml': No such file or directory\nhint: name the environment file with -f FILE\n"));
}

// install --file with an @EXPLICIT file replaces the installed package of the same name.
TEST_F(RecreateTest, InstallFileReplacesPackagesOfTheSameName) {
  GRAFT_REQUIRE_CONFORMANCE();
  const fs::path recipes = conformance_dir() / "conda/test-recipes";
  const fs::path prefix = root_ / "envs/up";
  ASSERT_EQ(run({"create", "-p", prefix.string(), "-c", "file://" + recipes.string(),
                 "--override-channels", "dependent=1.0", "-y"})
                .exit_code,
            0);
  ASSERT_TRUE(fs::exists(prefix / "conda-meta/dependent-1.0-0.json"));
  write(dir_ / "up.txt", "@EXPLICIT\nfile://" +
                             (recipes / "noarch/dependent-2.0-0.conda").string() +
                             "#0f4ef520a859d195e27976d826dcd32c0bfeabb92ea5b0cc5f9501043446ce51\n");
  e2e::Run installed = run({"install", "-p", prefix.string(), "--file", "up.txt", "-y"});
  ASSERT_EQ(installed.exit_code, 0) << installed.err;
  EXPECT_TRUE(fs::exists(prefix / "conda-meta/dependent-2.0-0.json"));
  EXPECT_FALSE(fs::exists(prefix / "conda-meta/dependent-1.0-0.json"));
  const std::string history = read(prefix / "conda-meta/history");
  EXPECT_THAT(history, HasSubstr("-file://" + recipes.string() + "/noarch::dependent-1.0-0\n"));
  EXPECT_THAT(history, HasSubstr("+file://" + recipes.string() + "/noarch::dependent-2.0-0\n"));
  // The same file again changes nothing.
  e2e::Run again = run({"install", "-p", prefix.string(), "--file", "up.txt", "-y"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("All requested packages already installed."));
}

}  // namespace
}  // namespace graft::e2e
