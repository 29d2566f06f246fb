// Package cache throughput: cold fetch (verify + extract + place) of many small packages
// from a file:// channel with 1 and N extraction threads, against the floor of extracting
// the same archives serially with conda::extract_archive; and warm lookups (everything
// already extracted, the "create from lock, warm cache" path of the store).
//
//   ./store_bench [packages=64] [files_per_package=40]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/fs.h"
#include "base/hash.h"
#include "conda/archive.h"
#include "store/fetch.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using graft::conda::PackageRecord;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check(bool condition, const std::string& what) {
  if (!condition) {
    std::fprintf(stderr, "store_bench: %s\n", what.c_str());
    std::exit(1);
  }
}

// Writes one .conda with `files` payload files of 8 KiB and returns its record.
PackageRecord build(const fs::path& channel, int index, int files) {
  const std::string name = "bench" + std::to_string(index);
  auto source = graft::base::TempDir::create("graft-bench-src-");
  check(source.has_value(), "temp dir");
  std::vector<graft::conda::ArchiveMember> members;
  auto add = [&](const std::string& path, const std::string& content) {
    check(graft::base::make_directories((source->path() / path).parent_path()).has_value() &&
              graft::base::write_file_atomic(source->path() / path, content,
                                             graft::base::Durability::kNoFsync)
                  .has_value(),
          "writing " + path);
    members.push_back({path, source->path() / path});
  };
  add("info/index.json", "{\"name\": \"" + name +
                             "\", \"version\": \"1.0\", \"build\": \"0\", \"build_number\": 0, "
                             "\"depends\": [], \"subdir\": \"linux-64\"}");
  for (int f = 0; f < files; ++f) {
    add("lib/" + name + "/file" + std::to_string(f) + ".bin",
        std::string(8192, static_cast<char>('a' + (index + f) % 26)));
  }
  const std::string fn = name + "-1.0-0.conda";
  const fs::path output = channel / "linux-64" / fn;
  check(graft::base::make_directories(output.parent_path()).has_value(), "channel dir");
  auto written = graft::conda::write_archive(members, output, {.zstd_level = 3});
  check(written.has_value(), written ? "" : written.error().message());
  auto digests = graft::base::file_digests(output);
  check(digests.has_value(), "digest");
  return PackageRecord{.name = name, .version = "1.0", .build = "0", .subdir = "linux-64",
                       .md5 = digests->md5, .sha256 = digests->sha256, .size = digests->size,
                       .fn = fn, .url = "file://" + output.string()};
}

double serial_extract_floor(const std::vector<PackageRecord>& records, const fs::path& scratch) {
  check(graft::base::make_directories(scratch).has_value(), "scratch dir");
  const Clock::time_point start = Clock::now();
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto stats = graft::conda::extract_archive(fs::path(records[i].url.substr(7)),
                                               scratch / std::to_string(i));
    check(stats.has_value(), "extract");
  }
  return seconds_since(start);
}

double cold_fetch(const std::vector<PackageRecord>& records, const fs::path& pkgs,
                  std::size_t threads) {
  auto cache = graft::store::PackageCache::open({pkgs});
  check(cache.has_value(), "cache");
  const Clock::time_point start = Clock::now();
  auto dirs = graft::store::fetch_packages(*cache, records, {.extract_threads = threads});
  check(dirs.has_value(), dirs ? "" : dirs.error().message());
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  const int packages = argc > 1 ? std::atoi(argv[1]) : 64;
  const int files = argc > 2 ? std::atoi(argv[2]) : 40;
  auto root = graft::base::TempDir::create("graft-store-bench-");
  check(root.has_value(), "temp dir");
  std::vector<PackageRecord> records;
  for (int i = 0; i < packages; ++i) records.push_back(build(root->path() / "channel", i, files));
  const double mib = packages * files * 8192.0 / (1 << 20);
  std::printf("%d packages x %d files (%.1f MiB payload)\n", packages, files, mib);

  (void)serial_extract_floor(records, root->path() / "warmup");  // page cache, allocator
  const double floor = serial_extract_floor(records, root->path() / "floor");
  std::printf("serial extract_archive (floor): %.3f s\n", floor);
  const std::size_t threads = std::max(2u, std::min(4u, std::thread::hardware_concurrency()));
  const double one = cold_fetch(records, root->path() / "pkgs1", 1);
  std::printf("cold fetch, 1 thread:  %.3f s = %.2fx floor (verify + extract + place)\n", one,
              one / floor);
  const double many = cold_fetch(records, root->path() / "pkgsN", threads);
  std::printf("cold fetch, %zu threads: %.3f s = %.2fx floor, %.1f MiB/s\n", threads, many,
              many / floor, mib / many);

  auto cache = graft::store::PackageCache::open({root->path() / "pkgsN"});
  check(cache.has_value(), "cache");
  int rounds = 0;
  const Clock::time_point start = Clock::now();
  do {
    check(graft::store::fetch_packages(*cache, records).has_value(), "warm fetch");
    ++rounds;
  } while (seconds_since(start) < 1.0);
  const double per_round = seconds_since(start) / rounds;
  std::printf("warm fetch (all cached): %.3f ms for %d packages = %.1f us/package\n",
              per_round * 1e3, packages, per_round * 1e6 / packages);
  return 0;
}
