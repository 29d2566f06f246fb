#include "env/repair.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "env/prefix_data.h"
#include "env/testing.h"
#include "env/verify.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using testing::read_text;
using testing::write_text;

class RepairTest : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    prefix_ = dir_->path() / "env";
    tool_ = testing::make_package(
        pkgs_, {.name = "tool", .files = {{"share/tool/a", "a\n"}, {"share/tool/b", "b\n"}}});
    data_ = testing::make_package(pkgs_, {.name = "data", .files = {{"share/data", "d\n"}}});
    options_.transaction = {.mode = LinkMode::kCopy, .script_environment = {{"PATH", "/bin"}}};
    ASSERT_TRUE(apply(
        prefix_, {},
        {{.info = testing::load(tool_), .requested_spec = "tool"}, {.info = testing::load(data_)}},
        options_.transaction));
    options_.extracted = [this](const conda::PrefixRecord& record) -> Result<fs::path> {
      asked_.push_back(conda::dist_name(record));
      return pkgs_ / conda::dist_name(record);
    };
  }

  VerifyReport verify() {
    auto report = verify_prefix(prefix_, {});
    EXPECT_TRUE(report) << report.error().message();
    return report ? *report : VerifyReport{};
  }

  fs::path prefix_, tool_, data_;
  RepairOptions options_;
  std::vector<std::string> asked_;
};

TEST_F(RepairTest, ReinstallsPackagesWithMissingOrModifiedFilesOrABrokenRecord) {
  fs::remove(prefix_ / "share/tool/a");
  write_text(prefix_ / "share/tool/b", "changed\n");
  write_text(prefix_ / "conda-meta/data-1.0-0.json", "{ broken");
  const VerifyReport damaged = verify();
  ASSERT_EQ(damaged_packages(damaged), (std::vector<std::string>{"data-1.0-0", "tool-1.0-0"}));
  auto repaired = repair_packages(prefix_, damaged_packages(damaged), options_);
  ASSERT_TRUE(repaired) << repaired.error().message();
  EXPECT_EQ(repaired->reinstalled, (std::vector<std::string>{"data-1.0-0", "tool-1.0-0"}));
  EXPECT_EQ(asked_, (std::vector<std::string>{"data-1.0-0", "tool-1.0-0"}));
  EXPECT_TRUE(verify().problems.empty()) << format_verify_text(verify());
  EXPECT_EQ(read_text(prefix_ / "share/tool/a"), "a\n");
  EXPECT_EQ(read_text(prefix_ / "share/tool/b"), "b\n");
  auto records = load_records(prefix_);
  ASSERT_TRUE(records) << records.error().message();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[1].requested_spec, "tool") << "the user's spec is kept";
}

TEST_F(RepairTest, APackageNotInTheCacheChangesNothing) {
  fs::remove(prefix_ / "share/tool/a");
  options_.extracted = [](const conda::PrefixRecord&) -> Result<fs::path> {
    return fail(ErrorCode::kNotFound, "'tool-1.0-0.conda' is not in the package cache");
  };
  auto repaired = repair_packages(prefix_, {"tool-1.0-0"}, options_);
  ASSERT_FALSE(repaired);
  EXPECT_EQ(repaired.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(repaired.error().message(), ::testing::HasSubstr("cannot repair 'tool-1.0-0'"));
  EXPECT_EQ(read_text(prefix_ / "share/tool/b"), "b\n");
}

TEST(RecordFromDist, SplitsAtTheLastTwoDashes) {
  auto record = record_from_dist("python-dateutil-2.9.0-pyhd8ed1ab_0");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->name, "python-dateutil");
  EXPECT_EQ(record->version, "2.9.0");
  EXPECT_EQ(record->build, "pyhd8ed1ab_0");
  EXPECT_FALSE(record_from_dist("nodash"));
  EXPECT_FALSE(record_from_dist("one-dash"));
}

}  // namespace
}  // namespace graft::env
