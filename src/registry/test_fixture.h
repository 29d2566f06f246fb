// Shared by the registry's tests: a scratch root with an open registry, and a sample
// experiment to record in it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "base/fs.h"
#include "registry/registry.h"

namespace graft::registry::testing {

// A time `seconds` after the epoch.
inline Time seconds(std::int64_t seconds) {
  return Time(std::chrono::seconds(seconds));
}

inline NewExperiment sample_experiment(std::string name) {
  return {.name = name,
          .spec = "name: " + name + "\nvariants: {}\n",
          .salt = name,
          .weights = {{"baseline", 100}, {"treatment", 0}},
          .code = {.repository = "/src/recsys", .commit = "0123abcd", .dirty = true},
          .dataset = "s3://recsys/clicks@2024-04-15",
          .variants = {{.name = "baseline",
                        .env_name = "recsys-base",
                        .prefix = "/envs/recsys-base",
                        .environment = "name: recsys-base\n",
                        .lock = "@EXPLICIT\nhttps://x/a.conda#sha256:00\n",
                        .command = "python serve.py --port {port}",
                        .replicas = 2},
                       {.name = "treatment",
                        .env_name = "recsys-v3",
                        .prefix = "/envs/recsys-v3",
                        .environment = "name: recsys-v3\n",
                        .lock = "@EXPLICIT\n",
                        .command = "python serve.py --port {port} --v3"}},
          .created = seconds(1000)};
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = base::TempDir::create("graft-registry-test-");
    ASSERT_TRUE(dir.has_value()) << dir.error().message();
    dir_ = std::move(*dir);
    path_ = dir_->path() / "root" / kFileName;
    auto opened = Registry::open(path_);
    ASSERT_TRUE(opened.has_value()) << opened.error().message();
    registry_ = std::move(*opened);
  }

  // Records sample_experiment(name) and returns its id.
  ExperimentId create(const std::string& name) {
    auto created = registry_->create_experiment(sample_experiment(name));
    EXPECT_TRUE(created.has_value()) << created.error().message();
    return created ? created->id : 0;
  }

  std::optional<base::TempDir> dir_;
  std::filesystem::path path_;
  std::optional<Registry> registry_;
};

}  // namespace graft::registry::testing
