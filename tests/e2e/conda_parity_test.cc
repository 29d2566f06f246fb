// Issue 13: what real conda 26.7.1 does where graft differed, end to end on a channel built
// in the test. The oracle (../shared/conformance/oracle) holds none of these outputs, so
// each test names the conda behaviour it encodes; where it does hold one, the tests in
// export_test.cc, env_list_test.cc and revisions_test.cc compare with it byte for byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/strings.h"
#include "base/subprocess.h"
#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The "major.minor" of /usr/bin/python3, or "" when there is none.
std::string system_python_version() {
  std::error_code error;
  if (!fs::exists("/usr/bin/python3", error)) return "";
  auto ran = base::run_process(
      {.argv = {"/usr/bin/python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"}});
  return ran && ran->exit_code == 0 ? std::string(base::trim(ran->stdout_text)) : "";
}

// A channel with a "python" X.Y (linux-64) that ships only bin/pythonX.Y, a wrapper of the
// system's python3 (as real python packages name their interpreter), pip, and "tool", a
// noarch: python package with a module and an entry point.
class CondaParityTest : public ChannelTest {
 protected:
  void SetUp() override {
    ChannelTest::SetUp();
    python_ = system_python_version();
    if (python_.empty()) GTEST_SKIP() << "no /usr/bin/python3 to stand in for python";
    add_noarch_package(channel_, "pip", "1.0", {{"share/pip.txt", "pip\n"}});
    const fs::path python = dir_ / "python-src";
    write(python / ("bin/python" + python_), "#!/bin/sh\nPYTHONPATH=\"${0%/bin/*}/lib/python" +
                                                 python_ +
                                                 "/site-packages\" exec /usr/bin/python3 \"$@\"\n");
    fs::permissions(python / ("bin/python" + python_), fs::perms(0755));
    pack({python.string(), "--name", "python", "--version", python_ + ".1", "--subdir", "linux-64",
          "--output-dir", (channel_ / "linux-64").string()});
    const fs::path tool = dir_ / "tool-src";
    write(tool / "site-packages/tool/__init__.py",
          "def main():\n    print('tool ran')\n    return 0\n");
    pack({tool.string(), "--name", "tool", "--version", "1.0", "--noarch", "python", "--depends",
          "python", "--entry-point", "tool = tool:main", "--output-dir",
          (channel_ / "noarch").string()});
    ASSERT_EQ(graft({"index", channel_.string()}).exit_code, 0);
    const e2e::Run created = verb({"create", "-n", "a", "tool"});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    a_ = root_ / "envs/a";
  }

  static void pack(std::vector<std::string> args) {
    args.insert(args.begin(), "pack");
    const e2e::Run packed = graft(args);
    ASSERT_EQ(packed.exit_code, 0) << packed.err;
  }

  // graft WORDS with --root-prefix after the verb, without the channel.
  e2e::Run bare(std::vector<std::string> words) const {
    words.insert(words.begin() + (words[0] == "env" ? 2 : 1), {"--root-prefix", root_.string()});
    return graft(words, dir_, {"HOME=" + home_.string()});
  }

  nlohmann::json record(const fs::path& prefix, const std::string& stem) const {
    return nlohmann::json::parse(read(prefix / "conda-meta" / (stem + ".json")));
  }

  // Pip's mark of a distribution it installed, as `pip install` leaves it.
  static void add_pip_package(const fs::path& site, const std::string& name,
                              const std::string& version) {
    const fs::path info = site / (name + "-" + version + ".dist-info");
    write(info / "INSTALLER", "pip\n");
    write(info / "METADATA",
          "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n\n");
  }

  std::string site_packages() const { return "lib/python" + python_ + "/site-packages"; }
  std::string pyc_tag() const { return base::replace_all(python_, ".", ""); }

  std::string python_;
  fs::path a_;
};

// Items 1 and 2: conda runs and names bin/pythonX.Y (the python record's major.minor), records
// the size of the .pyc and entry points it creates, takes arch/platform from the repodata's
// info only, and compiles no .pyc for a package without info/link.json.
TEST_F(CondaParityTest, NoarchPythonUsesBinPythonXYAndRecordsAsConda) {
  const std::string script = read(a_ / "bin/tool");
  EXPECT_THAT(script, StartsWith("#!" + (a_ / ("bin/python" + python_)).string() + "\n"));
  const e2e::Run ran = bare({"run", "-n", "a", "--", "tool"});
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "tool ran\n");
  const std::string pyc =
      site_packages() + "/tool/__pycache__/__init__.cpython-" + pyc_tag() + ".pyc";
  ASSERT_TRUE(fs::exists(a_ / pyc)) << "compiled by bin/python" << python_;

  const nlohmann::json tool = record(a_, "tool-1.0-py_0");
  for (const auto& entry : tool["paths_data"]["paths"]) {
    const std::string path = entry["_path"];
    if (path == pyc || path == "bin/tool") {
      EXPECT_EQ(entry["size_in_bytes"], fs::file_size(a_ / path)) << path;
      EXPECT_FALSE(entry.contains("sha256")) << path;
    }
  }
  const nlohmann::json python = record(a_, "python-" + python_ + ".1-0");
  EXPECT_FALSE(python.contains("arch")) << "index.json has it; the repodata's info does not";
  EXPECT_FALSE(python.contains("platform"));
}

// Item 11: two clones of one environment (same-length paths) diff as identical, entry
// points included; item 12: a clone keeps the source's requested specs and history specs
// (conda writes the full explicit specs instead: kept on purpose, see README) and the .pyc
// files of the source.
TEST_F(CondaParityTest, ClonesDiffAsIdenticalAndKeepTheSourcesSpecs) {
  ASSERT_EQ(bare({"create", "-n", "b", "--clone", "a", "-y"}).exit_code, 0);
  ASSERT_EQ(bare({"create", "-n", "c", "--clone", "a", "-y"}).exit_code, 0);
  const fs::path b = root_ / "envs/b";
  const std::string pyc =
      site_packages() + "/tool/__pycache__/__init__.cpython-" + pyc_tag() + ".pyc";
  EXPECT_TRUE(fs::exists(b / pyc));
  EXPECT_THAT(read(b / "bin/tool"), StartsWith("#!" + (b / ("bin/python" + python_)).string()));
  const e2e::Run same = bare({"diff", "b", "c"});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_THAT(same.out, Not(HasSubstr("bin/tool")));
  EXPECT_EQ(bare({"diff", "a", "b"}).exit_code, 0);

  EXPECT_EQ(record(b, "tool-1.0-py_0")["requested_spec"], "tool");
  EXPECT_THAT(read(b / "conda-meta/history"), HasSubstr("# update specs: ['tool']\n"));
  const e2e::Run from_history = bare({"env", "export", "-n", "b", "--from-history"});
  EXPECT_THAT(from_history.out, HasSubstr("dependencies:\n  - tool\n"));
}

// Item 6: conda 26 lists pip-installed distributions as "name version pypi_0 pypi", names
// normalized ("foo_bar" -> "foo-bar"); item 7: an explicit export of such an environment
// is an error.
TEST_F(CondaParityTest, PipPackagesAreListedAndRefuseExplicitExport) {
  add_pip_package(a_ / site_packages(), "Foo_Bar", "1.2.3");
  const e2e::Run listed = bare({"list", "-n", "a"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("\nfoo-bar                    1.2.3            pypi_0"
                                    "           pypi\n"));
  const e2e::Run json = bare({"list", "-n", "a", "--json"});
  const auto packages = nlohmann::json::parse(json.out);
  const auto pip = std::find_if(packages.begin(), packages.end(),
                                [](const auto& p) { return p["name"] == "foo-bar"; });
  ASSERT_NE(pip, packages.end()) << json.out;
  EXPECT_EQ(*pip, nlohmann::json::parse(R"({"base_url": "https://conda.anaconda.org/pypi",
      "build_number": 0, "build_string": "pypi_0", "channel": "pypi",
      "dist_name": "foo-bar-1.2.3-pypi_0", "name": "foo-bar", "platform": "pypi",
      "version": "1.2.3"})"));
  EXPECT_THAT(bare({"list", "-n", "a", "--explicit"}).out, Not(HasSubstr("pypi")));

  const e2e::Run refused = bare({"env", "export", "-n", "a", "--format", "explicit"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err, "graft: error: environment '" + a_.string() +
                             "' has packages installed by pip ('Foo_Bar==1.2.3'): an explicit "
                             "file cannot list them\nhint: export it with --format "
                             "environment-yaml, which lists them under 'pip:'\n");
  EXPECT_EQ(refused.out, "");
}

// Item 8: conda names an environment outside every envs dir by its full path.
TEST_F(CondaParityTest, ExportOfAPathEnvironmentIsNamedByItsPath) {
  const fs::path elsewhere = dir_ / "projects/env";
  ASSERT_EQ(verb({"create", "-p", elsewhere.string(), "pip"}).exit_code, 0);
  EXPECT_THAT(bare({"env", "export", "-p", elsewhere.string()}).out,
              StartsWith("name: " + elsewhere.string() + "\n"));
  EXPECT_THAT(bare({"env", "export", "-p", a_.string()}).out, StartsWith("name: a\n"));
  EXPECT_THAT(bare({"env", "export", "-p", root_.string() + "/envs/../envs/a"}).out,
              StartsWith("name: a\n"));
}

// Item 10: the requirements format (conda 26's `env export --format requirements`) names
// each package's channel, and graft recreates an environment from it with no -c: each
// `channel::` spec brings its channel, as conda's solver adds it.
TEST_F(CondaParityTest, RequirementsRoundTripThroughChannelSpecs) {
  const e2e::Run exported = bare({"env", "export", "-n", "a", "--format", "requirements"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const std::string channel = "file://" + channel_.string();
  EXPECT_THAT(exported.out,
              HasSubstr("# Note: This is a conda requirements file (MatchSpec format)\n"
                        "# Contains conda package specifications, not pip requirements\n\n" +
                        channel + "::pip==1.0=0\n" + channel + "::python==" + python_ + ".1=0\n" +
                        channel + "::tool==1.0=py_0\n"));
  write(dir_ / "requirements.txt", exported.out);
  const e2e::Run created = bare({"create", "-n", "r", "--file", "requirements.txt", "-y"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(bare({"list", "-n", "r", "--explicit"}).out,
            bare({"list", "-n", "a", "--explicit"}).out);

  const e2e::Run installed = bare({"create", "-n", "s", channel + "::pip", "-y"});
  ASSERT_EQ(installed.exit_code, 0) << installed.err;
  EXPECT_TRUE(fs::exists(root_ / "envs/s/share/pip.txt"));
  const e2e::Run unknown = bare({"create", "-n", "t", "file:///nonexistent/chan::pip", "-y"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_THAT(unknown.err, HasSubstr("/nonexistent/chan"));
}

}  // namespace
}  // namespace graft::e2e
