#include "env/pinned.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "env/testing.h"

namespace graft::env {
namespace {

using ::testing::HasSubstr;

TEST(Pinned, ReadsOneSpecALineSkippingCommentsAndBlankLines) {
  auto dir = base::TempDir::create("graft-pinned-test-").value();
  EXPECT_TRUE(read_pins(dir.path()).value().empty());  // no file: no pins
  testing::write_text(dir.path() / "conda-meta/pinned",
                      "# keep these\n\nzlib 1.2.*\n  python=3.11  \nnumpy>=1.26,<2\n");
  auto pins = read_pins(dir.path());
  ASSERT_TRUE(pins.has_value()) << pins.error().message();
  ASSERT_EQ(pins->size(), 3u);
  EXPECT_EQ((*pins)[0].spec.name(), "zlib");
  EXPECT_EQ((*pins)[0].line, 3);
  EXPECT_EQ((*pins)[1].text, "python=3.11");
  EXPECT_EQ((*pins)[2].spec.name(), "numpy");
}

// Both readers (install's pins and diff's comparison) used to disagree on a bad line: one
// failed, one kept it as text. Now the one parser names the file and line.
TEST(Pinned, ABadLineIsAnErrorNamingFileAndLine) {
  auto dir = base::TempDir::create("graft-pinned-test-").value();
  testing::write_text(dir.path() / "conda-meta/pinned", "zlib 1.2.*\nzlib >=>= 1\n");
  auto pins = read_pins(dir.path());
  ASSERT_FALSE(pins.has_value());
  EXPECT_EQ(pins.error().code(), ErrorCode::kCorrupt);
  EXPECT_THAT(pins.error().message(), HasSubstr("conda-meta/pinned:2: 'zlib >=>= 1' is not a "
                                                "valid pin"));
  EXPECT_THAT(pins.error().hint(), HasSubstr("fix or remove that line"));
}

}  // namespace
}  // namespace graft::env
