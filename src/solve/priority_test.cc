// Channel priority, track_features and conda's ordering on hand-made channels.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "solve/solver.h"
#include "solve/testing.h"

namespace graft::solve {
namespace {

using testing::dists;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::record;
using testing::specs;

conda::PackageRecord in_channel(conda::PackageRecord r, const std::string& channel) {
  r.channel = channel;
  return r;
}

// "high" has lib 1.0; "low" has lib 2.0 and app, which needs lib >=2.
Request two_channels(ChannelPriority priority, const std::vector<std::string>& install) {
  Request request;
  request.channels = {
      {.name = "high", .records = {in_channel(record("lib", "1.0"), "high")}},
      {.name = "low",
       .records = {in_channel(record("lib", "2.0"), "low"),
                   in_channel(record("app", "1.0", {"lib >=2"}), "low")}},
  };
  request.install = specs(install);
  request.options.channel_priority = priority;
  return request;
}

std::vector<std::string> channels_of(const Transaction& transaction) {
  std::vector<std::string> out;
  for (const auto& r : transaction.link) out.push_back(r.name + "@" + r.channel);
  return out;
}

TEST(ChannelPriorityTest, TableOfOutcomes) {
  struct Case {
    ChannelPriority priority;
    std::string spec;
    std::vector<std::string> link;  // empty: unsatisfiable
  };
  const std::vector<Case> cases = {
      {ChannelPriority::kFlexible, "lib", {"lib@high"}},
      {ChannelPriority::kFlexible, "app", {"lib@low", "app@low"}},
      {ChannelPriority::kStrict, "lib", {"lib@high"}},
      {ChannelPriority::kStrict, "app", {}},
      {ChannelPriority::kDisabled, "lib", {"lib@low"}},
      {ChannelPriority::kDisabled, "app", {"lib@low", "app@low"}},
  };
  for (const auto& c : cases) {
    auto transaction = solve(two_channels(c.priority, {c.spec}));
    SCOPED_TRACE(c.spec + " with priority " + std::to_string(static_cast<int>(c.priority)));
    if (c.link.empty()) {
      ASSERT_FALSE(transaction);
      EXPECT_EQ(transaction.error().code(), ErrorCode::kConflict);
      continue;
    }
    ASSERT_TRUE(transaction) << transaction.error().message();
    EXPECT_EQ(channels_of(*transaction), c.link);
  }
}

TEST(ChannelPriorityTest, StrictPriorityNamesTheHiddenPackage) {
  auto result = solve(two_channels(ChannelPriority::kStrict, {"app"}));
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(),
              HasSubstr("lib-2.0-0 is not considered: strict channel priority takes 'lib' from "
                        "a higher-priority channel"));
  EXPECT_THAT(result.error().message(), HasSubstr("app-1.0-0 requires 'lib >=2'"));
}

TEST(ChannelPriorityTest, StrictPriorityStillUpdatesInstalledPackages) {
  Request request = two_channels(ChannelPriority::kStrict, {});
  request.installed = {in_channel(record("lib", "0.5"), "high")};
  request.update_all = true;
  auto transaction = solve(request);
  ASSERT_TRUE(transaction) << transaction.error().message();
  EXPECT_THAT(channels_of(*transaction), ElementsAre("lib@high"));
  EXPECT_THAT(dists(transaction->unlink), ElementsAre("lib-0.5-0"));
}

TEST(OrderingTest, TrackFeaturesRankBelowEverythingElse) {
  auto featured = record("blas", "2.0", {}, "mkl_0");
  featured.track_features = {"mkl"};
  Request request;
  request.channels = {{.name = "c", .records = {featured, record("blas", "1.0")}}};
  request.install = specs({"blas"});
  auto plain = solve(request);
  ASSERT_TRUE(plain) << plain.error().message();
  EXPECT_THAT(dists(plain->link), ElementsAre("blas-1.0-0"));

  request.install = specs({"blas >=2"});
  auto asked = solve(request);
  ASSERT_TRUE(asked) << asked.error().message();
  EXPECT_THAT(dists(asked->link), ElementsAre("blas-2.0-mkl_0"));
}

TEST(OrderingTest, VersionThenBuildNumberThenTimestamp) {
  auto make = [](std::string version, std::string build, std::int64_t number, std::int64_t ts) {
    auto r = record("pkg", std::move(version), {}, std::move(build));
    r.build_number = number;
    r.timestamp = ts;
    return r;
  };
  struct Case {
    std::vector<conda::PackageRecord> records;
    std::string best;
  };
  const std::vector<Case> cases = {
      {{make("1.10", "a", 0, 0), make("1.9", "b", 5, 9)}, "pkg-1.10-a"},
      {{make("1.0rc1", "a", 0, 0), make("1.0", "b", 0, 0)}, "pkg-1.0-b"},
      {{make("1.0", "a", 1, 5), make("1.0", "b", 2, 1)}, "pkg-1.0-b"},
      {{make("1.0", "a", 1, 5), make("1.0", "b", 1, 7)}, "pkg-1.0-b"},
      {{make("1.0.post1", "a", 0, 0), make("1.0", "b", 3, 0)}, "pkg-1.0.post1-a"},
  };
  for (const auto& c : cases) {
    Request request;
    request.channels = {{.name = "c", .records = c.records}};
    request.install = specs({"pkg"});
    auto transaction = solve(request);
    ASSERT_TRUE(transaction) << transaction.error().message();
    EXPECT_THAT(dists(transaction->link), ElementsAre(c.best));
  }
}

TEST(OrderingTest, SubdirFilterDropsOtherPlatforms) {
  auto linux_lib = record("lib", "1.0");
  linux_lib.subdir = "linux-64";
  auto osx_lib = record("lib", "2.0");
  osx_lib.subdir = "osx-64";
  Request request;
  request.channels = {{.name = "c", .records = {linux_lib, osx_lib}}};
  request.install = specs({"lib"});
  request.options.subdir = "linux-64";
  auto transaction = solve(request);
  ASSERT_TRUE(transaction) << transaction.error().message();
  EXPECT_THAT(dists(transaction->link), ElementsAre("lib-1.0-0"));
}

TEST(OrderingTest, InvalidDependencySpecIsExplained) {
  Request request;
  request.channels = {{.name = "c", .records = {record("app", "1.0", {"lib >=1.0&"})}}};
  request.install = specs({"app"});
  auto result = solve(request);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(),
              HasSubstr("app-1.0-0 requires 'lib >=1.0&', which is not a valid match spec: "));
}

TEST(OrderingTest, DependencyOrderBreaksCyclesDeterministically) {
  std::vector<conda::PackageRecord> records = {record("b", "1", {"a"}), record("a", "1", {"b"}),
                                               record("c", "1", {"a", "zlib"}),
                                               record("zlib", "1")};
  EXPECT_THAT(dists(dependency_order(records)), ElementsAre("zlib-1-0", "a-1-0", "b-1-0", "c-1-0"));
}

}  // namespace
}  // namespace graft::solve
