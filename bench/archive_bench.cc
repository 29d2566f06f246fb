// archive_bench: package writing and extraction (src/conda/archive.h, package_builder.h)
// on a generated tree, against Debian's conda-package-handling (`cph x`, what conda uses
// to extract) on the same files, measured in the same run. Wall times, one machine.
//
//   archive_bench [files] [bytes-per-file]     (default 2000 files of 8 KiB)
//
// Prints, for each zstd level graft may use, the .conda size and pack time (picks the
// default level), then extraction time of graft and cph for both formats and the ratio.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "base/fs.h"
#include "base/subprocess.h"
#include "conda/archive.h"
#include "conda/package_builder.h"

namespace {

namespace fs = std::filesystem;
namespace conda = graft::conda;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Text-like content (words from a small vocabulary) so compression levels differ as they
// do on real packages.
void make_tree(const fs::path& root, int files, std::size_t bytes) {
  static const char* const kWords[] = {"import ", "def ", "return ", "self", ".", "(", ")",
                                       "numpy ", "torch ", "\n", "    ", "value", "=", "0x3f",
                                       "for ", "in ", "range", ":", "# comment ", "data"};
  std::mt19937 random(7);
  for (int i = 0; i < files; ++i) {
    fs::path file = root / ("pkg" + std::to_string(i % 40)) / ("module" + std::to_string(i) + ".py");
    fs::create_directories(file.parent_path());
    std::string content;
    while (content.size() < bytes) content += kWords[random() % std::size(kWords)];
    std::ofstream(file, std::ios::binary) << content;
  }
}

double pack(const fs::path& source, const fs::path& out, conda::ArchiveFormat format, int level) {
  fs::remove_all(out);
  fs::create_directories(out);
  auto start = Clock::now();
  auto packed = conda::pack_package({.source_dir = source, .name = "bench", .version = "1.0",
                                     .noarch = conda::NoarchKind::kGeneric, .format = format,
                                     .output_dir = out, .compression_level = level});
  double seconds = seconds_since(start);
  if (!packed) {
    std::fprintf(stderr, "pack failed: %s\n", packed.error().message().c_str());
    std::exit(1);
  }
  return seconds;
}

double extract_graft(const fs::path& package, const fs::path& out) {
  fs::remove_all(out);
  auto start = Clock::now();
  auto extracted = conda::extract_archive(package, out);
  double seconds = seconds_since(start);
  if (!extracted) {
    std::fprintf(stderr, "extract failed: %s\n", extracted.error().message().c_str());
    std::exit(1);
  }
  return seconds;
}

// -1 when cph is not installed.
double extract_cph(const fs::path& package, const fs::path& out) {
  fs::remove_all(out);
  graft::base::ProcessOptions options;
  options.argv = {"cph", "x", package.string(), "--dest", out.string()};
  auto start = Clock::now();
  auto run = graft::base::run_process(options);
  double seconds = seconds_since(start);
  return run && run->exit_code == 0 ? seconds : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int files = argc > 1 ? std::atoi(argv[1]) : 2000;
  std::size_t bytes = argc > 2 ? static_cast<std::size_t>(std::atol(argv[2])) : 8192;
  auto scratch = graft::base::TempDir::create("graft-archive-bench-");
  if (!scratch) return 1;
  fs::path source = scratch->path() / "src";
  make_tree(source, files, bytes);
  std::printf("tree: %d files, %.1f MB\n", files, files * bytes / 1e6);

  fs::path out = scratch->path() / "out";
  for (int level : {3, 7, 10, 19}) {
    double seconds = pack(source, out, conda::ArchiveFormat::kConda, level);
    std::printf("pack .conda zstd %2d: %6.3f s, %8.1f KB\n", level, seconds,
                fs::file_size(out / "bench-1.0-0.conda") / 1e3);
  }
  double bz2 = pack(source, scratch->path() / "bz2", conda::ArchiveFormat::kTarBz2, 9);
  std::printf("pack .tar.bz2 bzip2 9: %6.3f s, %8.1f KB\n", bz2,
              fs::file_size(scratch->path() / "bz2/bench-1.0-0.tar.bz2") / 1e3);
  pack(source, out, conda::ArchiveFormat::kConda, 0);  // the default level, for extraction

  for (const fs::path& package :
       {out / "bench-1.0-0.conda", scratch->path() / "bz2/bench-1.0-0.tar.bz2"}) {
    double graft_seconds = extract_graft(package, scratch->path() / "x-graft");
    double cph_seconds = extract_cph(package, scratch->path() / "x-cph");
    std::printf("extract %-9s graft %6.3f s", package.extension() == ".conda" ? ".conda" : ".tar.bz2",
                graft_seconds);
    if (cph_seconds < 0) {
      std::printf("  (cph not installed)\n");
    } else {
      std::printf("  cph %6.3f s  graft/cph %.2fx\n", cph_seconds, graft_seconds / cph_seconds);
    }
  }
  return 0;
}
