// Test helpers for module solve (included by *_test.cc only): conformance channels, specs
// and hand-made records.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "conda/match_spec.h"
#include "conda/record.h"
#include "conda/repodata.h"
#include "solve/solver.h"

namespace graft::solve::testing {

inline std::filesystem::path conformance_path(std::string_view relative) {
  return std::filesystem::path(GRAFT_CONFORMANCE_DIR) / relative;
}

inline bool has_conformance() {
  return std::filesystem::exists(conformance_path("README.md"));
}

// Records of one repodata.json of the corpus, channel named `channel`.
inline std::vector<conda::PackageRecord> load_repodata(std::string_view relative,
                                                       const std::string& channel) {
  auto path = conformance_path(relative);
  auto text = base::read_file(path);
  if (!text) {
    ADD_FAILURE() << text.error().message();
    return {};
  }
  auto repodata = conda::parse_repodata(
      *text, {.subdir_url = "file://" + path.parent_path().string(), .channel = channel});
  if (!repodata) {
    ADD_FAILURE() << repodata.error().message();
    return {};
  }
  return std::move(repodata->records);
}

inline conda::MatchSpec spec(std::string_view text) {
  auto parsed = conda::MatchSpec::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed ? *parsed : conda::MatchSpec();
}

inline std::vector<conda::MatchSpec> specs(const std::vector<std::string>& texts) {
  std::vector<conda::MatchSpec> out;
  for (const auto& text : texts) out.push_back(spec(text));
  return out;
}

inline conda::PackageRecord record(std::string name, std::string version,
                                   std::vector<std::string> depends = {}, std::string build = "0") {
  conda::PackageRecord out;
  out.name = std::move(name);
  out.version = std::move(version);
  out.build = std::move(build);
  out.depends = std::move(depends);
  out.subdir = "noarch";
  return out;
}

// "name-version-build" of each record, in order.
inline std::vector<std::string> dists(const std::vector<conda::PackageRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(conda::dist_name(r));
  return out;
}

}  // namespace graft::solve::testing

#define GRAFT_SOLVE_REQUIRE_CONFORMANCE()                                       \
  do {                                                                          \
    if (!::graft::solve::testing::has_conformance()) {                          \
      GTEST_SKIP() << "conformance corpus not found at " GRAFT_CONFORMANCE_DIR; \
    }                                                                           \
  } while (false)
