// Test helpers for the env module (header-only; included by *_test.cc files only): build
// small real packages with conda::pack_package and extract them like a package cache.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "conda/archive.h"
#include "conda/package_builder.h"
#include "conda/prefix_record.h"
#include "env/package_info.h"

namespace graft::env::testing {

namespace fs = std::filesystem;

struct TestPackage {
  std::string name;
  std::string version = "1.0";
  std::map<std::string, std::string> files;     // path -> content
  std::map<std::string, std::string> symlinks;  // path -> target
  std::vector<std::string> executables;         // paths given mode 0755
  std::string placeholder;                      // detected as has_prefix when set
  conda::NoarchKind noarch = conda::NoarchKind::kNone;
  std::vector<std::string> entry_points;
  std::vector<std::string> depends;
};

inline void write_text(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

inline std::string read_text(const fs::path& path) {
  auto text = base::read_file(path);
  return text ? *text : std::string("<missing: " + path.string() + ">");
}

// Packs `package` into <pkgs>/ and extracts it to <pkgs>/<dist>/; returns that directory.
inline fs::path make_package(const fs::path& pkgs, const TestPackage& package) {
  const fs::path source = pkgs / ("src-" + package.name + "-" + package.version);
  fs::create_directories(source);
  for (const auto& [path, content] : package.files) write_text(source / path, content);
  for (const auto& path : package.executables) {
    fs::permissions(source / path, fs::perms(0755));
  }
  for (const auto& [path, target] : package.symlinks) {
    fs::create_directories((source / path).parent_path());
    fs::create_symlink(target, source / path);
  }
  conda::PackOptions options{.source_dir = source,
                             .name = package.name,
                             .version = package.version,
                             .depends = package.depends,
                             .noarch = package.noarch,
                             .entry_points = package.entry_points,
                             .prefix_placeholder = package.placeholder,
                             .output_dir = pkgs,
                             .timestamp_ms = 1700000000000};
  auto packed = conda::pack_package(options);
  EXPECT_TRUE(packed) << (packed ? "" : packed.error().message());
  if (!packed) return {};
  const fs::path extracted = pkgs / conda::archive_stem(packed->output);
  auto extracted_ok = conda::extract_archive(packed->output, extracted);
  EXPECT_TRUE(extracted_ok) << (extracted_ok ? "" : extracted_ok.error().message());
  fs::remove_all(source);
  return extracted;
}

inline PackageInfo load(const fs::path& directory) {
  auto info = read_package_info(directory);
  EXPECT_TRUE(info) << (info ? "" : info.error().message());
  return info ? *info : PackageInfo{};
}

// An installed record of "<name>-1-0" listing `files`, as conda-meta holds it.
inline conda::PrefixRecord installed_record(const std::string& name,
                                            std::vector<std::string> files) {
  conda::PackageRecord package;
  package.name = name;
  package.version = "1";
  package.build = "0";
  conda::PrefixRecord record = conda::make_prefix_record(package);
  record.files = std::move(files);
  return record;
}

// A fixture with a scratch directory (removed after the test) and an empty package cache
// `pkgs_` inside it.
class ScratchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = base::TempDir::create("graft-env-test-");
    ASSERT_TRUE(dir);
    dir_ = std::make_unique<base::TempDir>(std::move(*dir));
    pkgs_ = dir_->path() / "pkgs";
    fs::create_directories(pkgs_);
  }

  std::unique_ptr<base::TempDir> dir_;
  fs::path pkgs_;
};

}  // namespace graft::env::testing
