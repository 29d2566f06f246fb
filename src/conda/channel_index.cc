#include "conda/channel_index.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <system_error>
#include <thread>

#include "base/fs.h"
#include "base/parallel.h"
#include "base/strings.h"
#include "conda/archive.h"
#include "conda/repodata.h"

namespace graft::conda {
namespace {

namespace fs = std::filesystem;

std::string in_quotes(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// index.json fields conda-index leaves out of repodata.json.
bool is_filtered_field(std::string_view key) {
  static const std::set<std::string, std::less<>> kFiltered = {
      "arch",     "binstar",           "has_prefix",     "machine", "mtime", "operatingsystem",
      "platform", "requires_features", "target-triplet", "ucs"};
  return kFiltered.contains(key);
}

bool is_package_file(const fs::path& path) {
  return archive_format_of(path).has_value() && !archive_stem(path).empty();
}

bool looks_like_subdir(std::string_view name) {
  static const std::regex kPattern("(linux|osx|win|emscripten|wasi|freebsd|zos)-[a-z0-9_]+");
  return name == "noarch" || std::regex_match(name.begin(), name.end(), kPattern);
}

struct PackageFile {
  std::string subdir;
  std::string fn;
  fs::path path;
};

// The channel's subdirs (noarch always among them) and their package files, sorted.
Result<std::map<std::string, std::vector<PackageFile>>> find_packages(const fs::path& channel) {
  std::map<std::string, std::vector<PackageFile>> subdirs = {{"noarch", {}}};
  std::error_code error;
  for (fs::directory_iterator it(channel, error), end; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    if (!it->is_directory(error) || base::starts_with(name, ".")) continue;
    std::vector<PackageFile> files;
    for (fs::directory_iterator file(it->path(), error), file_end; !error && file != file_end;
         file.increment(error)) {
      if (file->is_regular_file(error) && is_package_file(file->path())) {
        files.push_back({name, file->path().filename().string(), file->path()});
      }
    }
    if (files.empty() && !looks_like_subdir(name)) continue;
    std::sort(files.begin(), files.end(),
              [](const PackageFile& a, const PackageFile& b) { return a.fn < b.fn; });
    subdirs[name] = std::move(files);
  }
  if (error) {
    return fail(ErrorCode::kIo,
                "cannot list channel " + in_quotes(channel.string()) + ": " + error.message());
  }
  return subdirs;
}

Result<PackageRecord> read_package(const PackageFile& file) {
  std::string source = file.subdir + "/" + file.fn;
  GRAFT_ASSIGN_OR_RETURN(auto info, read_info_files(file.path, {"info/index.json"}));
  auto found = info.find("info/index.json");
  if (found == info.end()) return fail(ErrorCode::kCorrupt, "it has no info/index.json");
  GRAFT_ASSIGN_OR_RETURN(base::FileDigests digests, base::file_digests(file.path));
  GRAFT_ASSIGN_OR_RETURN(PackageRecord record,
                         repodata_record(found->second, file.fn, digests, "info/index.json"));
  if (record.subdir.empty()) record.subdir = file.subdir;
  if (record.subdir != file.subdir) {
    return fail(ErrorCode::kCorrupt, "its index.json says subdir " + in_quotes(record.subdir));
  }
  return record;
}

// Reads every package on up to `threads` threads (0: one per core); results keep the
// input order.
std::vector<Result<PackageRecord>> read_packages(const std::vector<PackageFile>& files,
                                                 unsigned threads) {
  std::vector<std::optional<Result<PackageRecord>>> slots(files.size());
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  {
    base::WorkerPool pool(std::min<std::size_t>(threads, files.size()));
    for (std::size_t i = 0; i < files.size(); ++i) {
      pool.submit([&slots, &files, i] { slots[i] = read_package(files[i]); });
    }
  }  // every package read

  std::vector<Result<PackageRecord>> results;
  results.reserve(files.size());
  for (auto& slot : slots) results.push_back(std::move(*slot));
  return results;
}

}  // namespace

Result<PackageRecord> repodata_record(std::string_view index_json, std::string_view fn,
                                      const base::FileDigests& digests, std::string_view source) {
  GRAFT_ASSIGN_OR_RETURN(PackageRecord record, parse_package_record(index_json, source));
  std::erase_if(record.extra, [](const JsonField& field) { return is_filtered_field(field.key); });
  record.fn = std::string(fn);
  record.md5 = digests.md5;
  record.sha256 = digests.sha256;
  record.size = digests.size;
  record.url.clear();
  record.channel.clear();
  return record;
}

Result<IndexReport> index_channel(const IndexOptions& options) {
  std::error_code error;
  if (!fs::is_directory(options.channel_dir, error)) {
    return fail(ErrorCode::kNotFound,
                "channel directory " + in_quotes(options.channel_dir.string()) + " does not exist");
  }
  GRAFT_ASSIGN_OR_RETURN(auto subdirs, find_packages(options.channel_dir));
  std::vector<PackageFile> all;
  for (const auto& [name, files] : subdirs) all.insert(all.end(), files.begin(), files.end());
  std::vector<Result<PackageRecord>> records = read_packages(all, options.threads);

  std::map<std::string, RepodataIndex> indexes;
  IndexReport report;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!records[i]) {
      report.skipped.push_back(in_quotes(all[i].subdir + "/" + all[i].fn) + ": " +
                               records[i].error().message());
      continue;
    }
    indexes[all[i].subdir].records.push_back(std::move(*records[i]));
  }
  for (const auto& [name, files] : subdirs) {
    RepodataIndex& index = indexes[name];
    index.subdir = name;
    GRAFT_RETURN_IF_ERROR(base::make_directories(options.channel_dir / name));
    GRAFT_RETURN_IF_ERROR(base::write_file_atomic(options.channel_dir / name / "repodata.json",
                                                  write_repodata(index)));
    SubdirSummary summary{.subdir = name};
    for (const PackageRecord& record : index.records) {
      ++(base::ends_with(record.fn, ".conda") ? summary.conda : summary.tar_bz2);
    }
    report.subdirs.push_back(std::move(summary));
  }
  return report;
}

}  // namespace graft::conda
