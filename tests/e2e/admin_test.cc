// env list, env remove, info and clean end to end, plus the cross-cutting behaviours they
// rely on: quiet progress when piped, condarc pkgs_dirs, and update of a missing package.
#include <sys/stat.h>

#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/strings.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir();
    root_ = dir_ / "root";
    home_ = dir_ / "home";
    channel_ = dir_ / "channel";
    fs::create_directories(home_);
    add_noarch_package(channel_, "tool", "1.0", {{"share/tool/data.txt", std::string(3000, 't')}});
    add_noarch_package(channel_, "extra", "2.0", {{"share/extra/data.txt", std::string(5000, 'e')}});
  }

  // graft ARGS with this test's HOME and root prefix, and `active` as $CONDA_PREFIX.
  e2e::Run run(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> env = {"HOME=" + home_.string(), "GRAFT_ROOT_PREFIX=" + root_.string(),
                                    "CONDA_PREFIX=" + active_, "CONDA_PKGS_DIRS=",
                                    "CONDA_SUBDIR=linux-64"};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    return graft(args, dir_, env);
  }
  // graft create PREFIX_ARGS -c CHANNEL SPECS -y, expected to work.
  void create(std::vector<std::string> args) {
    args.insert(args.begin(), {"create", "-c", channel_.string(), "-y"});
    e2e::Run created = run(args);
    ASSERT_EQ(created.exit_code, 0) << created.err;
  }
  std::string registry() { return read(home_ / ".conda/environments.txt"); }

  fs::path dir_, root_, home_, channel_;
  std::string active_;
};

TEST_F(AdminTest, EnvListShowsEveryKnownEnvironmentWithActiveAndFrozenMarks) {
  create({"-n", "alpha", "tool"});
  create({"-p", (dir_ / "proj/env").string(), "tool"});
  write(root_ / "envs/alpha/conda-meta/frozen", "{}");
  write(home_ / ".conda/environments.txt", registry() + "/gone/env\n");
  active_ = (dir_ / "proj/env/").string();
  e2e::Run listed = run({"env", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out, "\n# conda environments:\n#\n# * -> active\n# + -> frozen\n"
                        "                     *   " + (dir_ / "proj/env").string() + "\n"
                        "alpha                  + " + (root_ / "envs/alpha").string() + "\n\n");
  e2e::Run json = run({"env", "list", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const std::string alpha = (root_ / "envs/alpha").string();
  const std::string project = (dir_ / "proj/env").string();
  const auto listed_json = nlohmann::json::parse(json.out);
  EXPECT_EQ(listed_json["envs"], nlohmann::json({project, alpha}));
  // conda 26's envs_details (no oracle holds it): name, created (conda-meta/created_at),
  // last_modified, frozen and writable per environment, times as datetime.isoformat().
  const auto& details = listed_json["envs_details"];
  EXPECT_EQ(details[alpha]["name"], "alpha");
  EXPECT_EQ(details[alpha]["frozen"], true);
  EXPECT_EQ(details[alpha]["writable"], true);
  EXPECT_EQ(details[project]["name"], "");
  EXPECT_EQ(details[project]["frozen"], false);
  const std::regex iso("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{6})?");
  for (const std::string& prefix : {alpha, project}) {
    EXPECT_TRUE(std::regex_match(details[prefix]["created"].get<std::string>(), iso)) << json.out;
    EXPECT_TRUE(std::regex_match(details[prefix]["last_modified"].get<std::string>(), iso));
  }
}

TEST_F(AdminTest, EnvListNamesTheRootPrefixBaseWhenItIsAnEnvironment) {
  fs::create_directories(root_ / "conda-meta");
  e2e::Run listed = run({"env", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("\nbase                     " + root_.string() + "\n\n"));
}

TEST_F(AdminTest, EnvRemoveDeletesTheEnvironmentAndItsRegistryLine) {
  create({"-n", "alpha", "tool", "extra"});
  const fs::path prefix = root_ / "envs/alpha";
  ASSERT_THAT(registry(), HasSubstr(prefix.string()));
  e2e::Run dry = run({"env", "remove", "-n", "alpha", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.out, "\nRemove all packages in environment " + prefix.string() +
                         ":\n\nThe following packages will be REMOVED:\n\n"
                         "  extra-2.0-0\n  tool-1.0-0\n\n");
  EXPECT_TRUE(fs::exists(prefix / "share/tool/data.txt"));
  e2e::Run removed = run({"env", "remove", "-n", "alpha", "-y"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_THAT(removed.out, HasSubstr("Removed environment '" + prefix.string() + "'\n"));
  EXPECT_FALSE(fs::exists(prefix));
  EXPECT_THAT(registry(), Not(HasSubstr(prefix.string())));
  EXPECT_TRUE(fs::is_empty(root_ / "envs")) << "no hidden trash directory is left behind";
  EXPECT_EQ(run({"env", "list", "--json"}).out, "{\n  \"envs\": [],\n  \"envs_details\": {}\n}\n");
}

TEST_F(AdminTest, EnvRemoveRefusesWhatItMustNotDelete) {
  create({"-n", "alpha", "tool"});
  create({"-n", "frosty", "tool"});
  write(root_ / "envs/frosty/conda-meta/frozen", "{\"message\": \"release baseline\"}");
  fs::create_directories(dir_ / "plain");
  struct Case {
    std::vector<std::string> args;
    std::string active;
    int exit_code;
    std::string err;
  };
  const std::string alpha = (root_ / "envs/alpha").string();
  for (const Case& c : std::vector<Case>{
           {{"-n", "alpah"}, "", 1, "graft: error: environment 'alpah' does not exist at " +
                                        (root_ / "envs/alpah").string() +
                                        "\nhint: did you mean 'alpha'?\n"},
           {{"-n", "base"}, "", 2, "graft: error: cannot remove the root prefix '" + root_.string() +
                                       "': it holds the package cache and every named environment"},
           {{"-p", root_.string() + "/"}, "", 2, "graft: error: cannot remove the root prefix"},
           {{"-p", (dir_ / "plain").string()}, "", 1,
            "graft: error: no environment at '" + (dir_ / "plain").string() +
                "': it has no conda-meta directory\n"},
           {{"-n", "frosty"}, "", 1, "graft: error: environment '" +
                                         (root_ / "envs/frosty").string() +
                                         "' is frozen: release baseline"},
           {{"-n", "alpha"}, alpha, 1, "graft: error: cannot remove the active environment '" +
                                           alpha + "': it is in use\n"},
           {{}, alpha, 2, "graft: error: no environment given: nothing to remove\n"}}) {
    active_ = c.active;
    std::vector<std::string> args = {"env", "remove", "-y"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    e2e::Run refused = run(args);
    EXPECT_EQ(refused.exit_code, c.exit_code) << refused.err;
    EXPECT_TRUE(base::starts_with(refused.err, c.err)) << refused.err;
    EXPECT_EQ(refused.out, "");
  }
  EXPECT_TRUE(fs::exists(root_ / "envs/alpha/conda-meta"));
  EXPECT_TRUE(fs::exists(root_ / "envs/frosty/conda-meta"));
}

TEST_F(AdminTest, EnvRemoveOverridesAFreezeOnlyWhenAsked) {
  create({"-n", "frosty", "tool"});
  write(root_ / "envs/frosty/conda-meta/frozen", "{}");
  EXPECT_EQ(run({"env", "remove", "-n", "frosty", "-y"}).exit_code, 1);
  e2e::Run forced = run({"env", "remove", "-n", "frosty", "-y", "--override-frozen"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_FALSE(fs::exists(root_ / "envs/frosty"));
}

TEST_F(AdminTest, InfoJsonUsesCondaKeys) {
  write(home_ / ".condarc", "channels:\n  - " + channel_.string() + "\n");
  active_ = (root_ / "envs/alpha").string();
  e2e::Run info = run({"info", "--json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const auto parsed = nlohmann::json::parse(info.out);
  const std::string url = "file://" + channel_.string();
  EXPECT_EQ(parsed["root_prefix"], root_.string());
  EXPECT_EQ(parsed["pkgs_dirs"], nlohmann::json::array({(root_ / "pkgs").string()}));
  EXPECT_EQ(parsed["envs_dirs"], nlohmann::json::array({(root_ / "envs").string()}));
  EXPECT_EQ(parsed["channels"], nlohmann::json::array({url + "/linux-64", url + "/noarch"}));
  EXPECT_EQ(parsed["config_files"], nlohmann::json::array({(home_ / ".condarc").string()}));
  EXPECT_EQ(parsed["platform"], "linux-64");
  EXPECT_EQ(parsed["offline"], false);
  EXPECT_EQ(parsed["active_prefix"], active_);
  EXPECT_EQ(parsed["active_prefix_name"], "alpha");
  EXPECT_EQ("graft " + parsed["graft_version"].get<std::string>() + "\n", run({"--version"}).out);
  EXPECT_THAT(parsed["virtual_pkgs"].dump(), HasSubstr("[\"__unix\",\"0\",\"0\"]"));
  EXPECT_EQ(run({"info", "--base"}).out, root_.string() + "\n");
}

TEST_F(AdminTest, InfoTextAlignsLikeCondaAndMarksOfflineUrls) {
  write(home_ / ".condarc", "channels:\n  - conda-forge\n  - " + channel_.string() + "\n");
  e2e::Run info = run({"info"}, {"CONDA_OFFLINE=1"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const std::string rc = (home_ / ".condarc").string();
  EXPECT_TRUE(base::starts_with(info.out, "\n     active environment : None\n"
                                          "       user config file : " + rc + "\n"
                                          " populated config files : " + rc + "\n"
                                          "          graft version : "))
      << info.out;
  const std::string indent(26, ' ');
  EXPECT_THAT(info.out, HasSubstr("\n           channel URLs : "
                                  "https://conda.anaconda.org/conda-forge/linux-64  (offline)\n" +
                                  indent + "https://conda.anaconda.org/conda-forge/noarch  (offline)\n" +
                                  indent + "file://" + channel_.string() + "/linux-64\n"));
  EXPECT_THAT(info.out, HasSubstr("\n       base environment : " + root_.string() + "  (writable)\n"));
  EXPECT_TRUE(base::ends_with(info.out, "\n           offline mode : True\n\n")) << info.out;
}

TEST_F(AdminTest, CleanKeepsWhatEnvironmentsUseAndRemovesTheRest) {
  create({"-n", "alpha", "tool"});
  create({"-n", "beta", "extra"});
  ASSERT_EQ(run({"env", "remove", "-n", "beta", "-y"}).exit_code, 0);
  const fs::path pkgs = root_ / "pkgs";
  e2e::Run dry = run({"clean", "--all", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("Will remove the following tarball(s):\n  " + pkgs.string() +
                                 "\n  " + std::string(pkgs.string().size(), '-') +
                                 "\n  - extra-2.0-0.conda"));
  EXPECT_THAT(dry.out, HasSubstr("Will remove the following index cache(s):\n  - " +
                                 (pkgs / "cache").string() + "\n\n"));
  EXPECT_THAT(dry.out, HasSubstr("Will remove the following package(s):\n  " + pkgs.string()));
  EXPECT_THAT(dry.out, HasSubstr("  - extra-2.0-0                              "));
  EXPECT_THAT(dry.out, Not(HasSubstr("  - tool-1.0-0     ")));
  EXPECT_TRUE(fs::exists(pkgs / "extra-2.0-0.conda"));

  e2e::Run json = run({"clean", "--packages", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["packages"]["pkgs_dirs"],
            nlohmann::json::object({{pkgs.string(), nlohmann::json::array({"extra-2.0-0"})}}));
  EXPECT_EQ(parsed["success"], true);
  EXPECT_FALSE(fs::exists(pkgs / "extra-2.0-0"));
  EXPECT_TRUE(fs::exists(pkgs / "tool-1.0-0/info/repodata_record.json"));

  e2e::Run all = run({"clean", "--all", "-y"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("There are no unused package(s) to remove.\n"));
  EXPECT_THAT(all.out, HasSubstr("Removed 3 item(s), freed "));
  EXPECT_FALSE(fs::exists(pkgs / "tool-1.0-0.conda"));
  EXPECT_FALSE(fs::exists(pkgs / "cache"));
  EXPECT_TRUE(fs::exists(pkgs / "tool-1.0-0/share/tool/data.txt"));
  EXPECT_EQ(run({"list", "-n", "alpha", "--json"}).exit_code, 0);
}

TEST_F(AdminTest, CleanKeepsAPackageACopiedEnvironmentRecords) {
  create({"-n", "copied", "--copy", "extra"});
  e2e::Run cleaned = run({"clean", "--packages", "-y"});
  ASSERT_EQ(cleaned.exit_code, 0) << cleaned.err;
  EXPECT_EQ(cleaned.out, "There are no unused package(s) to remove.\n");
  EXPECT_TRUE(fs::exists(root_ / "pkgs/extra-2.0-0/info"));
  e2e::Run nothing = run({"clean"});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_EQ(nothing.err, "graft: error: no removal target given: nothing to clean\n"
                         "hint: pass --all, --tarballs, --index-cache or --packages\n");
}

TEST_F(AdminTest, CreateHonoursCondarcPkgsDirsAndIsQuietWhenPiped) {
  const fs::path cache = dir_ / "shared-cache";
  write(home_ / ".condarc", "pkgs_dirs:\n  - " + cache.string() + "\n");
  e2e::Run created = run({"create", "-n", "alpha", "-c", channel_.string(), "-y", "tool"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.err.find('\r'), std::string::npos) << "progress bars drawn into a pipe";
  EXPECT_TRUE(fs::exists(cache / "tool-1.0-0/info/repodata_record.json"));
  EXPECT_FALSE(fs::exists(root_ / "pkgs/tool-1.0-0"));
  EXPECT_EQ(read(root_ / "envs/alpha/share/tool/data.txt"), std::string(3000, 't'));
}

TEST_F(AdminTest, CondarcEnvsDirsPlaceAndFindNamedEnvironments) {
  const fs::path envs = dir_ / "team-envs";
  write(home_ / ".condarc", "envs_dirs:\n  - " + envs.string() + "\n");
  e2e::Run created = run({"create", "-n", "alpha", "-c", channel_.string(), "-y", "tool"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_TRUE(fs::exists(envs / "alpha/conda-meta/history"));
  EXPECT_FALSE(fs::exists(root_ / "envs/alpha"));
  e2e::Run listed = run({"list", "-n", "alpha"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("tool"));
  e2e::Run envs_list = run({"env", "list", "--json"});
  EXPECT_THAT(envs_list.out, HasSubstr((envs / "alpha").string()));
  e2e::Run typo = run({"list", "-n", "alpah"});
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_THAT(typo.err, HasSubstr("did you mean 'alpha'?"));
}

TEST_F(AdminTest, AllowSoftlinksSymlinksFilesFromACacheOnAnotherFilesystem) {
  auto cache = base::TempDir::create("graft-e2e-shm-", "/dev/shm");
  if (!cache) GTEST_SKIP() << "no /dev/shm for a package cache on another filesystem";
  struct stat cache_stat {};
  struct stat scratch_stat {};
  if (::stat(cache->path().c_str(), &cache_stat) != 0 || ::stat(dir_.c_str(), &scratch_stat) != 0 ||
      cache_stat.st_dev == scratch_stat.st_dev) {
    GTEST_SKIP() << "/dev/shm and the scratch directory are one filesystem here";
  }
  const std::vector<std::string> env = {"CONDA_PKGS_DIRS=" + cache->path().string(),
                                        "CONDA_ALLOW_SOFTLINKS=true"};
  e2e::Run created = run({"create", "-n", "soft", "-c", channel_.string(), "-y", "tool"}, env);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const fs::path file = root_ / "envs/soft/share/tool/data.txt";
  EXPECT_TRUE(fs::is_symlink(file));
  EXPECT_EQ(read(file), std::string(3000, 't'));
  EXPECT_EQ(run({"verify", "-n", "soft"}, env).exit_code, 0);
}

TEST_F(AdminTest, UpdateOfAPackageThatIsNotInstalledNamesIt) {
  create({"-n", "alpha", "tool"});
  e2e::Run updated = run({"update", "-n", "alpha", "-c", channel_.string(), "-y", "extra"});
  EXPECT_EQ(updated.exit_code, 1);
  EXPECT_THAT(updated.err, HasSubstr("package 'extra' is not installed in '" +
                                     (root_ / "envs/alpha").string() + "'"));
  EXPECT_FALSE(fs::exists(root_ / "envs/alpha/conda-meta/extra-2.0-0.json"));
}

}  // namespace
}  // namespace graft::e2e
