// read_package_info: what it refuses in a package's manifest.
#include "env/package_info.h"

#include <gtest/gtest.h>

#include "base/strings.h"
#include "env/testing.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using PackageInfoTest = testing::ScratchTest;

// A placeholder of "/" (or a relative one) would match every path in the file: refused
// with the file and path named, in paths.json and in the legacy has_prefix alike.
TEST_F(PackageInfoTest, PlaceholderThatCannotBeReplacedIsRefused) {
  const fs::path extracted =
      testing::make_package(pkgs_, {.name = "bin",
                                    .files = {{"lib/a.so", std::string("/opt/x\0", 7)}},
                                    .placeholder = "/opt/x"});
  const fs::path paths_json = extracted / "info/paths.json";
  const std::string original = testing::read_text(paths_json);
  ASSERT_NE(original.find("\"prefix_placeholder\": \"/opt/x\""), std::string::npos) << original;
  for (const std::string placeholder : {"/", "//", "opt/x"}) {
    testing::write_text(paths_json,
                        base::replace_all(original, "\"prefix_placeholder\": \"/opt/x\"",
                                          "\"prefix_placeholder\": \"" + placeholder + "\""));
    auto info = read_package_info(extracted);
    ASSERT_FALSE(info) << placeholder;
    EXPECT_EQ(info.error().code(), ErrorCode::kCorrupt);
    EXPECT_EQ(info.error().message(),
              "'" + paths_json.string() + "': 'lib/a.so' has prefix placeholder '" + placeholder +
                  "', which cannot be replaced: a placeholder is an absolute path such as "
                  "'/opt/anaconda1anaconda2anaconda3'");
  }
  fs::remove(paths_json);
  testing::write_text(extracted / "info/files", "lib/a.so\n");
  testing::write_text(extracted / "info/has_prefix", "/ binary lib/a.so\n");
  auto legacy = read_package_info(extracted);
  ASSERT_FALSE(legacy);
  EXPECT_EQ(legacy.error().message(),
            "'" + (extracted / "info/has_prefix").string() +
                "': 'lib/a.so' has prefix placeholder '/', which cannot be replaced: a placeholder "
                "is an absolute path such as '/opt/anaconda1anaconda2anaconda3'");
}

}  // namespace
}  // namespace graft::env
