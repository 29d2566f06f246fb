// solve() and dependency_order() on real repodata of the corpus: conda-forge's numpy
// linux-64 slice (mamba) and a large solved set (rattler's topological-sort fixture).
#include <map>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "solve/solver.h"
#include "solve/testing.h"
#include "solve/virtual_packages.h"

namespace graft::solve {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

// Fails the test when a record comes before one of its dependencies, or when a dependency
// is met by nothing in `records` + `extra`.
void expect_complete_and_ordered(const std::vector<conda::PackageRecord>& records,
                                 const std::vector<conda::PackageRecord>& extra) {
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < records.size(); ++i) position[records[i].name] = i;
  for (std::size_t i = 0; i < records.size(); ++i) {
    for (const auto& dependency : records[i].depends) {
      auto spec = testing::spec(dependency);
      bool met = false;
      for (const auto* set : {&records, &extra}) {
        for (const auto& candidate : *set) met = met || spec.matches(candidate);
      }
      EXPECT_TRUE(met) << conda::dist_name(records[i]) << " needs " << dependency;
      auto found = position.find(spec.name());
      if (found != position.end()) {
        EXPECT_LT(found->second, i) << conda::dist_name(records[i]) << " before " << spec.name();
      }
    }
  }
}

TEST(ConformanceTest, SolvesNumpyFromCondaForge) {
  GRAFT_SOLVE_REQUIRE_CONFORMANCE();
  Request request;
  request.channels = {{.name = "conda-forge",
                       .records = testing::load_repodata(
                           "mamba/repodata/conda-forge-numpy-linux-64.json", "conda-forge")}};
  request.install = testing::specs({"numpy"});
  request.options.subdir = "linux-64";
  request.virtual_packages = virtual_packages(
      "linux-64", {.kernel_release = "6.1.0", .glibc_version = "2.36", .machine = "x86_64"}, {});
  auto transaction = solve(request);
  ASSERT_TRUE(transaction) << transaction.error().message();
  auto dists = testing::dists(transaction->link);
  EXPECT_THAT(dists, Contains("numpy-1.26.4-py312head63a1_0"));
  EXPECT_THAT(dists, Contains("python-3.12.1-hab00c5b_1_cpython"));
  EXPECT_THAT(dists, Contains("pip-24.0-pyhd8ed1ab_0"));  // add_pip_as_python_dependency
  EXPECT_THAT(dists, Contains("libopenblas-0.3.26-pthreads_h413a1c8_0"));
  std::set<std::string> names;
  for (const auto& r : transaction->link) {
    EXPECT_TRUE(names.insert(r.name).second) << "two '" << r.name << "' packages";
    // libffi is published as both; the repodata parser keeps the .conda one.
    if (r.name == "libffi") {
      EXPECT_EQ(r.fn, "libffi-3.4.2-h7f98852_5.conda");
    }
  }
  expect_complete_and_ordered(transaction->link, request.virtual_packages);
  // solve() names dependencies from its parsed keys; the order is dependency_order()'s.
  EXPECT_EQ(dependency_order(transaction->link), transaction->link);
}

TEST(ConformanceTest, NumpyWithAnImpossiblePythonIsExplained) {
  GRAFT_SOLVE_REQUIRE_CONFORMANCE();
  Request request;
  request.channels = {{.name = "conda-forge",
                       .records = testing::load_repodata(
                           "mamba/repodata/conda-forge-numpy-linux-64.json", "conda-forge")}};
  request.install = testing::specs({"numpy", "python=3.11"});
  auto result = solve(request);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(result.error().message(),
              HasSubstr("- you asked for 'python=3.11'\n  - nothing matches it: 'python' "
                        "versions available: 3.12.1\n"));
}

TEST(ConformanceTest, OrdersALargeResolutionDependenciesFirst) {
  GRAFT_SOLVE_REQUIRE_CONFORMANCE();
  auto text =
      base::read_file(testing::conformance_path("rattler/topological-sort/big_resolution.json"));
  ASSERT_TRUE(text) << text.error().message();
  std::vector<conda::PackageRecord> records;
  for (const auto& entry : nlohmann::json::parse(*text)) {
    auto record = conda::parse_package_record(entry.dump(), "big_resolution.json");
    ASSERT_TRUE(record) << record.error().message();
    records.push_back(std::move(*record));
  }
  ASSERT_EQ(records.size(), 339u);
  auto ordered = dependency_order(records);
  ASSERT_EQ(ordered.size(), records.size());
  EXPECT_EQ(dependency_order(ordered), ordered) << "not deterministic";
  // python and pip depend on each other in some solutions; every other edge must hold.
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < ordered.size(); ++i) position[ordered[i].name] = i;
  std::size_t violations = 0;
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    for (const auto& dependency : ordered[i].depends) {
      auto found = position.find(testing::spec(dependency).name());
      if (found != position.end() && found->second > i) ++violations;
    }
  }
  EXPECT_LE(violations, 1u);
}

}  // namespace
}  // namespace graft::solve
