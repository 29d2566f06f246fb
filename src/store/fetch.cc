#include "store/fetch.h"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/core.h>

#include "base/disk.h"
#include "base/fs.h"
#include "base/hash.h"
#include "base/parallel.h"
#include "base/progress.h"
#include "conda/archive.h"
#include "store/repodata_record.h"
#include "store/url.h"

namespace graft::store {
namespace {

namespace fs = std::filesystem;

std::size_t extract_threads(const FetchOptions& options) {
  if (options.extract_threads > 0) return options.extract_threads;
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
}

// A failed extraction with what to do about it: a full disk gets a hint.
Error extraction_error(Error error, const PackageCache& cache) {
  if (error.message().find(base::errno_text(ENOSPC)) != std::string::npos) {
    error.with_hint("free space on the disk of '" + cache.writable_dir().string() +
                    "' (`graft clean --all` removes cached archives and packages no "
                    "environment uses) and run the command again");
  }
  return error;
}

// Extracts `archive` into a staging directory and writes the marker of a complete package
// last (see package_cache.h): info/repodata_record.json, once every extracted byte is on
// disk. Then puts the package in place.
Result<fs::path> extract_into_cache(PackageCache& cache, const conda::PackageRecord& record,
                                    const fs::path& archive, const ArchiveFacts& facts,
                                    const std::string& downloaded_url) {
  GRAFT_ASSIGN_OR_RETURN(
      base::TempDir staging,
      base::TempDir::create(std::string(kTempPrefix) + package_stem(record) + "-",
                            cache.writable_dir()));
  std::error_code error;  // mkdtemp made it 0700; extracted packages are world-readable
  fs::permissions(staging.path(), fs::perms(0755), error);
  if (auto extracted = conda::extract_archive(archive, staging.path()); !extracted) {
    return fail(extraction_error(std::move(extracted).error(), cache));
  }
  const fs::path index_path = staging.path() / "info" / "index.json";
  GRAFT_ASSIGN_OR_RETURN(const std::string index_text, base::read_file(index_path));
  GRAFT_ASSIGN_OR_RETURN(const conda::PackageRecord index,
                         conda::parse_package_record(index_text, index_path.string()));
  const conda::PackageRecord merged = make_repodata_record(record, index, facts);
  GRAFT_RETURN_IF_ERROR(base::sync_file_system(staging.path()));
  GRAFT_RETURN_IF_ERROR(base::write_file_atomic(staging.path() / "info" / "repodata_record.json",
                                                conda::write_package_record(merged),
                                                base::Durability::kFsync));
  GRAFT_ASSIGN_OR_RETURN(fs::path placed,
                         cache.install_extracted(staging.path(), record, downloaded_url));
  staging.release();  // renamed into place (or removed as a duplicate)
  return placed;
}

// Hashes a cached archive; extracts it when it matches the record, nullopt otherwise.
std::optional<Result<fs::path>> try_cached_archive(PackageCache& cache,
                                                   const conda::PackageRecord& record,
                                                   const fs::path& archive) {
  auto digests = base::file_digests(archive);
  if (!digests) return std::nullopt;
  const bool matches = !record.sha256.empty() ? digests->sha256 == record.sha256
                       : !record.md5.empty()  ? digests->md5 == record.md5
                                              : true;
  if (!matches) return std::nullopt;
  const ArchiveFacts facts{.fn = archive.filename().string(),
                           .url = record.url,
                           .sha256 = digests->sha256,
                           .md5 = digests->md5,
                           .size = digests->size};
  return extract_into_cache(cache, record, archive, facts, "");
}

// The archive of `record` sitting in some cache directory, unverified.
std::optional<fs::path> archive_candidate(const PackageCache& cache,
                                          const conda::PackageRecord& record) {
  const std::string file_name = package_file_name(record);
  if (file_name.empty()) return std::nullopt;
  std::error_code error;
  for (const fs::path& dir : cache.dirs()) {
    if (fs::is_regular_file(dir / file_name, error)) return dir / file_name;
  }
  return std::nullopt;
}

// Per-call state shared by the steps below.
struct FetchRun {
  PackageCache& cache;
  std::span<const conda::PackageRecord> records;
  const FetchOptions& options;
  std::mutex mutex;
  std::vector<std::optional<Result<fs::path>>> outcomes;
  std::vector<std::size_t> need_download;
  // "N packages ready": one step per package found, extracted or failed (on a terminal).
  base::ProgressTask* ready = nullptr;

  void set(std::size_t index, Result<fs::path> outcome) {
    std::lock_guard lock(mutex);
    outcomes[index] = std::move(outcome);
    if (ready != nullptr) ready->advance(1);
  }
};

// Step 1: reuse extractions, extract valid cached archives (in parallel).
void use_cache(FetchRun& run, const std::vector<std::size_t>& unique) {
  base::WorkerPool pool(extract_threads(run.options));
  for (std::size_t index : unique) {
    const conda::PackageRecord& record = run.records[index];
    if (auto dir = run.cache.find_extracted(record)) {
      run.set(index, *dir);
      continue;
    }
    auto archive = archive_candidate(run.cache, record);
    if (!archive) {
      std::lock_guard lock(run.mutex);
      run.need_download.push_back(index);
      continue;
    }
    pool.submit([&run, index, path = *archive] {
      auto outcome = try_cached_archive(run.cache, run.records[index], path);
      if (outcome) return run.set(index, std::move(*outcome));
      std::lock_guard lock(run.mutex);
      run.need_download.push_back(index);
    });
  }
}

// Why `record` can not be downloaded, if it can not.
std::optional<Error> refuse_download(const conda::PackageRecord& record,
                                     const FetchOptions& options) {
  if (record.url.empty()) {
    return Error(ErrorCode::kInvalidArgument, "it has no url and is not in the package cache");
  }
  if (options.network == NetworkMode::kOffline && is_remote_url(record.url)) {
    return Error(ErrorCode::kNotFound,
                 "it is not in the package cache and offline mode forbids downloading '" +
                     record.url + "'")
        .with_hint("run without --offline, or add a local channel");
  }
  return std::nullopt;
}

// Step 2: download what is missing, extracting each archive as soon as it arrives.
void download_missing(FetchRun& run) {
  std::sort(run.need_download.begin(), run.need_download.end());
  std::vector<std::size_t> missing;
  std::vector<DownloadRequest> requests;
  for (std::size_t index : run.need_download) {
    const conda::PackageRecord& record = run.records[index];
    if (auto refusal = refuse_download(record, run.options)) {
      run.set(index, fail(std::move(*refusal)));
      continue;
    }
    missing.push_back(index);
    requests.push_back(
        DownloadRequest{.url = record.url,
                        .destination = run.cache.writable_dir() / package_file_name(record),
                        .expected_sha256 = record.sha256,
                        .expected_md5 = record.md5,
                        .expected_size = record.size});
  }
  base::WorkerPool pool(extract_threads(run.options));
  auto on_done = [&](std::size_t slot, const Result<DownloadResult>& result) {
    const std::size_t index = missing[slot];
    if (!result) return run.set(index, tl::unexpected(result.error()));
    const DownloadRequest& request = requests[slot];
    const ArchiveFacts facts{.fn = request.destination.filename().string(),
                             .url = request.url,
                             .sha256 = result->sha256,
                             .md5 = result->md5,
                             .size = result->bytes};
    pool.submit([&run, index, facts, path = request.destination, url = request.url] {
      auto placed = extract_into_cache(run.cache, run.records[index], path, facts, url);
      // An archive that matches its digest but will not extract is useless: drop it too.
      if (!placed) (void)base::remove_tree(path);
      run.set(index, std::move(placed));
    });
  };
  (void)download_all(requests, run.options.download, on_done);
}

}  // namespace

namespace {

std::string display_name(const conda::PackageRecord& record) {
  const std::string file_name = package_file_name(record);
  return file_name.empty() ? conda::dist_name(record) : file_name;
}

// The directories in record order, or the first failure (counting the others).
Result<std::vector<fs::path>> collect(const FetchRun& run,
                                      const std::map<std::string, std::size_t>& first_of_stem) {
  std::vector<fs::path> directories;
  std::optional<Error> first_error;
  std::size_t failures = 0;
  for (const conda::PackageRecord& record : run.records) {
    const auto& outcome = run.outcomes[first_of_stem.at(package_stem(record))];
    if (outcome && *outcome) {
      directories.push_back(**outcome);
      continue;
    }
    if (failures++ > 0) continue;
    first_error =
        outcome ? outcome->error() : Error(ErrorCode::kInternal, "the package was not processed");
    first_error->with_context("fetching '" + display_name(record) + "'");
  }
  if (!first_error) return directories;
  if (failures == 1) return fail(std::move(*first_error));
  Error summary(first_error->code(), first_error->message() + " (and " +
                                         std::to_string(failures - 1) + " more packages failed)");
  if (!first_error->hint().empty()) summary.with_hint(first_error->hint());
  return fail(std::move(summary));
}

}  // namespace

Result<std::vector<fs::path>> fetch_packages(PackageCache& cache,
                                             std::span<const conda::PackageRecord> records,
                                             const FetchOptions& options) {
  FetchRun run{.cache = cache, .records = records, .options = options};
  run.outcomes.resize(records.size());
  // A package listed twice is fetched once.
  std::map<std::string, std::size_t> first_of_stem;
  std::vector<std::size_t> unique;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (first_of_stem.emplace(package_stem(records[i]), i).second) unique.push_back(i);
  }
  base::Progress* progress = options.download.progress;
  if (progress != nullptr && progress->enabled() && !unique.empty()) {
    run.ready = progress->add_task(fmt::format("{} packages ready", unique.size()),
                                   base::ProgressUnit::kItems);
    run.ready->set(0, unique.size());
  }
  use_cache(run, unique);
  download_missing(run);
  if (run.ready != nullptr) run.ready->finish();
  return collect(run, first_of_stem);
}

Result<fs::path> fetch_package(PackageCache& cache, const conda::PackageRecord& record,
                               const FetchOptions& options) {
  GRAFT_ASSIGN_OR_RETURN(auto directories, fetch_packages(cache, std::span(&record, 1), options));
  return std::move(directories.front());
}

}  // namespace graft::store
