#include "solve/virtual_packages.h"

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

const HostFacts kHost{.kernel_release = "6.1.0-13-amd64",
                      .glibc_version = "2.36",
                      .machine = "x86_64",
                      .cuda_version = ""};

TEST(VirtualPackagesTest, LinuxFromHostFactsAndOverrides) {
  struct Case {
    std::map<std::string, std::string> environment;
    std::vector<std::string> dists;
  };
  const std::vector<Case> cases = {
      {{}, {"__archspec-1-x86_64", "__glibc-2.36-0", "__linux-6.1.0-0", "__unix-0-0"}},
      {{{"CONDA_OVERRIDE_GLIBC", "2.17"}, {"CONDA_OVERRIDE_CUDA", "12.2"}},
       {"__archspec-1-x86_64", "__cuda-12.2-0", "__glibc-2.17-0", "__linux-6.1.0-0", "__unix-0-0"}},
      {{{"CONDA_OVERRIDE_GLIBC", ""},
        {"CONDA_OVERRIDE_LINUX", "5.4"},
        {"CONDA_OVERRIDE_ARCHSPEC", "skylake"}},
       {"__archspec-1-skylake", "__linux-5.4-0", "__unix-0-0"}},
  };
  for (const auto& c : cases) {
    auto packages = virtual_packages("linux-64", kHost, c.environment);
    EXPECT_EQ(dists(packages), c.dists);
    for (const auto& p : packages) EXPECT_EQ(p.package_type, "virtual_system");
  }
}

TEST(VirtualPackagesTest, OtherPlatforms) {
  EXPECT_THAT(dists(virtual_packages("osx-arm64", kHost, {{"CONDA_OVERRIDE_OSX", "14.1"}})),
              ElementsAre("__archspec-1-x86_64", "__osx-14.1-0", "__unix-0-0"));
  EXPECT_THAT(dists(virtual_packages("win-64", kHost, {})),
              ElementsAre("__archspec-1-x86_64", "__win-0-0"));
  EXPECT_TRUE(virtual_packages("noarch", kHost, {}).empty());
}

TEST(VirtualPackagesTest, ProbeHostReadsThisMachine) {
  HostFacts facts = probe_host();
  EXPECT_FALSE(facts.machine.empty());
  EXPECT_FALSE(facts.kernel_release.empty());
}

TEST(VirtualPackagesTest, SolverUsesThemButNeverLinksThem) {
  Request request;
  request.channels = {{.name = "c",
                       .records = {record("torch", "2.0", {"__cuda >=12", "__glibc >=2.17"}),
                                   record("torch", "1.0", {"__glibc >=2.17"})}}};
  request.install = specs({"torch"});
  request.virtual_packages = virtual_packages("linux-64", kHost, {});
  auto cpu = solve(request);
  ASSERT_TRUE(cpu) << cpu.error().message();
  EXPECT_THAT(dists(cpu->link), ElementsAre("torch-1.0-0"));

  request.virtual_packages = virtual_packages("linux-64", kHost, {{"CONDA_OVERRIDE_CUDA", "12.2"}});
  auto gpu = solve(request);
  ASSERT_TRUE(gpu) << gpu.error().message();
  EXPECT_THAT(dists(gpu->link), ElementsAre("torch-2.0-0"));

  request.install = specs({"torch=2.0"});
  request.virtual_packages = virtual_packages("linux-64", kHost, {});
  auto missing = solve(request);
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(),
              HasSubstr("torch-2.0-0 requires '__cuda >=12', but nothing matches it: the virtual "
                        "package '__cuda' is not present on this machine (CONDA_OVERRIDE_CUDA "
                        "sets it)"));

  request.install = specs({"torch"});
  request.channels[0].records = {record("torch", "1.0", {"__glibc >=2.40"})};
  auto old_glibc = solve(request);
  ASSERT_FALSE(old_glibc);
  EXPECT_THAT(old_glibc.error().message(),
              HasSubstr("torch-1.0-0 requires '__glibc >=2.40', but nothing matches it: "
                        "'__glibc' versions available: 2.36"));
}

}  // namespace
}  // namespace graft::solve
