// Builds that tie on version and build number (issue 14), end to end: `create --dry-run -v`
// on a channel of python-variant builds takes the newest python, as conda 26 does, and says
// why on stderr.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e.h"

namespace graft::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string record(const std::string& name, const std::string& version, const std::string& build,
                   const std::string& depends) {
  return "\"" + name + "-" + version + "-" + build + ".tar.bz2\": {\"name\": \"" + name +
         "\", \"version\": \"" + version + "\", \"build\": \"" + build +
         "\", \"build_number\": 0, \"depends\": [" + depends +
         "], \"subdir\": \"noarch\", \"md5\": \"" + std::string(32, '0') + "\", \"sha256\": \"" +
         std::string(64, '0') + "\", \"size\": 1}";
}

TEST(TiesTest, DryRunTakesTheNewestPythonAndSaysWhy) {
  const auto dir = scratch_dir();
  const std::vector<std::string> records = {
      record("pkga", "1.0", "py310_0", R"("python >=3.10,<3.11", "extra1", "extra2", "extra3")"),
      record("pkga", "1.0", "py311_0", R"("python >=3.11,<3.12")"),
      record("pkga", "1.0", "py312_0", R"("python >=3.12,<3.13")"),
      record("python", "3.10.14", "h0", ""),
      record("python", "3.11.9", "h0", ""),
      record("python", "3.12.4", "h0", ""),
      record("pip", "24.0", "0", ""),
      record("extra1", "1.0", "0", ""),
      record("extra2", "1.0", "0", ""),
      record("extra3", "1.0", "0", ""),
  };
  std::string packages;
  for (const auto& r : records) packages += (packages.empty() ? "" : ", ") + r;
  write(dir / "channel/noarch/repodata.json",
        "{\"info\": {\"subdir\": \"noarch\"}, \"packages\": {" + packages +
            "}, \"packages.conda\": {}, \"repodata_version\": 1}");
  write(dir / "channel/linux-64/repodata.json",
        R"({"info": {"subdir": "linux-64"}, "packages": {}, "repodata_version": 1})");

  e2e::Run run = graft({"create", "--dry-run", "-v", "-p", (dir / "env").string(), "-c",
                        "file://" + (dir / "channel").string(), "--override-channels", "pkga"},
                       dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("pkga-1.0-py312_0"));
  EXPECT_THAT(run.out, HasSubstr("python-3.12.4-h0"));
  EXPECT_THAT(run.out, Not(HasSubstr("extra1")));
  EXPECT_THAT(run.err, HasSubstr("graft: debug: chose pkga-1.0-py312_0 over pkga-1.0-py311_0 "
                                 "(and 1 more of the same version and build number): its "
                                 "dependencies reach newer 'python'\n"));
}

}  // namespace
}  // namespace graft::e2e
