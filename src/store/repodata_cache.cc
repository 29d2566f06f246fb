#include "store/repodata_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <optional>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/zstd.h"
#include "store/url.h"

namespace graft::store {
namespace {

namespace fs = std::filesystem;

struct CacheState {
  std::string url;
  std::string etag;
  std::string mod;
  std::string cache_control;
  std::int64_t refresh_ns = 0;
  bool json_exists = false;
  // Whether the server has <fn>.zst (conda's "has_zst"); nullopt = not known yet.
  std::optional<bool> has_zst;
};

// One source on its way through fetch_repodata.
struct Entry {
  const SubdirSource* source = nullptr;
  std::string subdir_url;
  fs::path json_path;
  fs::path info_path;
  fs::path staged;  // download destination, renamed to json_path under the lock
  CacheState state;
  bool zst = false;  // the request is for <fn>.zst (decoded into `staged`)
};

const std::string& channel_display(const SubdirSource& source) {
  return source.channel_name.empty() ? source.channel_url : source.channel_name;
}

std::string display(const SubdirSource& source) {
  return channel_display(source) + "/" + source.subdir;
}

bool stat_file(const fs::path& path, std::int64_t* mtime_ns, std::int64_t* size) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return false;
  *mtime_ns = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec;
  *size = static_cast<std::int64_t>(info.st_size);
  return true;
}

std::string string_field(const nlohmann::json& json, const char* key) {
  const auto it = json.find(key);
  return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Reads <key>.info.json; headers count only while mtime_ns and size match the .json file.
CacheState load_state(const fs::path& json_path, const fs::path& info_path) {
  CacheState state;
  std::int64_t mtime_ns = 0;
  std::int64_t size = 0;
  state.json_exists = stat_file(json_path, &mtime_ns, &size);
  auto text = base::read_file(info_path);
  if (!state.json_exists || !text) return state;
  const nlohmann::json info = nlohmann::json::parse(*text, nullptr, false);
  if (!info.is_object()) return state;
  if (auto zst = info.find("has_zst"); zst != info.end() && zst->is_object()) {
    if (auto value = zst->find("value"); value != zst->end() && value->is_boolean())
      state.has_zst = value->get<bool>();
  }
  state.url = string_field(info, "url");
  state.refresh_ns = info.value("refresh_ns", std::int64_t{0});
  if (info.value("mtime_ns", std::int64_t{-1}) != mtime_ns ||
      info.value("size", std::int64_t{-1}) != size) {
    return state;  // the .json changed behind the state's back: revalidate in full
  }
  state.etag = string_field(info, "etag");
  state.mod = string_field(info, "mod");
  state.cache_control = string_field(info, "cache_control");
  return state;
}

bool is_stale(const CacheState& state, const RepodataOptions& options, std::int64_t now_ns) {
  std::int64_t max_age = 0;
  if (options.local_repodata_ttl > 1) {
    max_age = options.local_repodata_ttl;
  } else if (options.local_repodata_ttl == 1) {
    max_age = cache_control_max_age(state.cache_control).value_or(0);
  }
  if (max_age <= 0) return true;  // no max-age: every use revalidates
  return now_ns - state.refresh_ns > max_age * 1000000000LL;
}

// "2026-11-21T10:00:00+00:00" (Python's datetime.isoformat(), as conda writes it).
std::string iso_time(std::int64_t ns) {
  const std::time_t seconds = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S+00:00", &utc);
  return text;
}

// Writes <key>.info.json in conda's key order, stamped with the .json file's stat.
Status save_state(const Entry& entry, const CacheState& state) {
  std::int64_t mtime_ns = 0;
  std::int64_t size = 0;
  if (!stat_file(entry.json_path, &mtime_ns, &size)) {
    return fail(ErrorCode::kIo, "cannot stat '" + entry.json_path.string() + "'");
  }
  nlohmann::ordered_json info;
  info["url"] = entry.subdir_url;
  if (!state.etag.empty()) info["etag"] = state.etag;
  if (!state.mod.empty()) info["mod"] = state.mod;
  if (!state.cache_control.empty()) info["cache_control"] = state.cache_control;
  info["mtime_ns"] = mtime_ns;
  info["size"] = size;
  info["refresh_ns"] = state.refresh_ns;
  if (state.has_zst) {
    info["has_zst"] = {{"last_checked", iso_time(state.refresh_ns)}, {"value", *state.has_zst}};
  }
  return base::write_file_atomic(entry.info_path, info.dump(2), base::Durability::kNoFsync);
}

fs::path staging_path(const fs::path& cache_dir, const std::string& key) {
  static std::atomic<unsigned> counter{0};
  return cache_dir / (std::string(kTempPrefix) + key + "-" + std::to_string(::getpid()) + "-" +
                      std::to_string(counter++) + ".json");
}

Entry plan_entry(const PackageCache& cache, const SubdirSource& source,
                 const RepodataOptions& options) {
  Entry entry;
  entry.source = &source;
  entry.subdir_url = join_url(source.channel_url, source.subdir);
  const std::string key = repodata_cache_key(entry.subdir_url, options.repodata_fn);
  entry.json_path = cache.repodata_dir() / (key + ".json");
  entry.info_path = cache.repodata_dir() / (key + ".info.json");
  entry.staged = staging_path(cache.repodata_dir(), key);
  entry.state = load_state(entry.json_path, entry.info_path);
  return entry;
}

Error offline_error(const std::vector<std::string>& missing, const fs::path& cache_dir) {
  std::vector<std::string> quoted;
  for (const std::string& name : missing) quoted.push_back("'" + name + "'");
  return Error(ErrorCode::kNotFound, "no cached repodata for " + base::join(quoted, ", ") +
                                         ": offline mode uses only the cache in '" +
                                         cache_dir.string() + "'")
      .with_hint("run once without --offline to fill the cache");
}

// Turns one download outcome into the cached file (called under the cache lock).
Result<RepodataOrigin> apply(Entry& entry, const Result<DownloadResult>& result,
                             std::int64_t now_ns, const RepodataOptions& options) {
  const SubdirSource& source = *entry.source;
  if (!result && result.error().code() == ErrorCode::kNotFound) {
    if (source.subdir == "noarch" && !options.missing_is_empty) {
      return fail(Error(ErrorCode::kNotFound, "channel '" + channel_display(source) +
                                                  "' is not available: " + result.error().message())
                      .with_hint("check the channel name and URL"));
    }
    spdlog::info("'{}' has no repodata: treating the subdir as empty", entry.subdir_url);
    GRAFT_RETURN_IF_ERROR(
        base::write_file_atomic(entry.json_path, "{}", base::Durability::kNoFsync));
    entry.state = CacheState{.refresh_ns = now_ns};
    GRAFT_RETURN_IF_ERROR(save_state(entry, entry.state));
    return RepodataOrigin::kMissingSubdir;
  }
  if (!result) {
    return fail(
        Error(result.error()).with_context("fetching repodata of '" + display(source) + "'"));
  }
  entry.state.refresh_ns = now_ns;
  if (is_remote_url(source.channel_url) && !entry.state.has_zst) entry.state.has_zst = entry.zst;
  if (result->not_modified) {
    GRAFT_RETURN_IF_ERROR(save_state(entry, entry.state));
    return RepodataOrigin::kRevalidated;
  }
  GRAFT_RETURN_IF_ERROR(base::rename_path(entry.staged, entry.json_path));
  entry.state.etag = result->etag;
  entry.state.mod = result->last_modified;
  entry.state.cache_control = result->cache_control;
  GRAFT_RETURN_IF_ERROR(save_state(entry, entry.state));
  return RepodataOrigin::kDownloaded;
}

std::int64_t now_ns_of(const RepodataOptions& options) {
  const auto now = options.now.value_or(std::chrono::system_clock::now());
  return std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
}

}  // namespace

std::string repodata_cache_key(std::string_view subdir_url, std::string_view repodata_fn) {
  std::string url(subdir_url);
  if (url.empty() || url.back() != '/') url += '/';
  if (repodata_fn != "repodata.json") url += repodata_fn;
  return base::md5_hex(url).substr(0, 8);
}

namespace {

// What fetch_repodata will do for each source.
struct Plan {
  std::vector<Entry> entries;
  std::vector<RepodataFile> files;
  std::vector<std::size_t> to_request;  // indices that need a request (or a local check)
  std::vector<std::string> offline_missing;
};

Plan make_plan(const PackageCache& cache, std::span<const SubdirSource> sources,
               const RepodataOptions& options, std::int64_t now_ns) {
  Plan plan;
  const bool offline = options.network == NetworkMode::kOffline;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const Entry& entry = plan.entries.emplace_back(plan_entry(cache, sources[i], options));
    plan.files.push_back(
        RepodataFile{.path = entry.json_path, .url = entry.subdir_url, .etag = entry.state.etag});
    const bool cached = entry.state.json_exists;
    if (!is_remote_url(sources[i].channel_url)) {
      plan.to_request.push_back(i);  // file:// is always re-checked, as in conda
    } else if (offline) {
      if (!cached) plan.offline_missing.push_back(display(sources[i]));
    } else if (!cached || is_stale(entry.state, options, now_ns)) {
      plan.to_request.push_back(i);
    }
  }
  return plan;
}

fs::path zst_path(const Entry& entry) {
  return entry.staged.string() + ".zst";
}

std::vector<DownloadRequest> make_requests(const Plan& plan, std::span<const std::size_t> indices,
                                           const RepodataOptions& options) {
  std::vector<DownloadRequest> requests;
  for (std::size_t i : indices) {
    const Entry& entry = plan.entries[i];
    const bool conditional = entry.state.json_exists;
    const std::string fn = options.repodata_fn + (entry.zst ? ".zst" : "");
    requests.push_back(
        DownloadRequest{.url = join_url(entry.subdir_url, fn),
                        .destination = entry.zst ? zst_path(entry) : entry.staged,
                        .max_bytes = options.max_bytes,
                        .max_expansion = kMaxRepodataExpansion,
                        .if_none_match = conditional ? entry.state.etag : std::string(),
                        .if_modified_since = conditional ? entry.state.mod : std::string(),
                        .label = display(*entry.source),
                        .compute_digests = false,
                        .link_local = true});
  }
  return requests;
}

// Decodes a downloaded <fn>.zst into the entry's staged file, with the limits a
// Content-Encoding gets.
Status decode_zst(const Entry& entry, const RepodataOptions& options) {
  const fs::path compressed_path = zst_path(entry);
  auto compressed = base::read_file(compressed_path);
  (void)base::remove_tree(compressed_path);
  if (!compressed) return fail(std::move(compressed).error());
  GRAFT_ASSIGN_OR_RETURN(
      std::string json,
      base::zstd_decompress(*compressed, join_url(entry.subdir_url, options.repodata_fn + ".zst"),
                            {.max_bytes = options.max_bytes,
                             .max_expansion = kMaxRepodataExpansion,
                             .expansion_floor = kExpansionFloor}));
  return base::write_file_atomic(entry.staged, json, base::Durability::kNoFsync);
}

// Runs the plan's requests: <fn>.zst first where the server may have it, <fn> for those
// it does not have (remembered in has_zst); .zst bodies are decoded into the staged file.
std::vector<Result<DownloadResult>> download_planned(Plan& plan, const RepodataOptions& options) {
  for (std::size_t i : plan.to_request) {
    Entry& entry = plan.entries[i];
    entry.zst = options.repodata_fn == "repodata.json" &&
                is_remote_url(entry.source->channel_url) && entry.state.has_zst.value_or(true);
  }
  auto results = download_all(make_requests(plan, plan.to_request, options), options.download);
  std::vector<std::size_t> plain;  // positions in to_request to ask again without .zst
  for (std::size_t k = 0; k < results.size(); ++k) {
    Entry& entry = plan.entries[plan.to_request[k]];
    if (!entry.zst) continue;
    if (!results[k] && results[k].error().code() == ErrorCode::kNotFound) {
      entry.zst = false;
      entry.state.has_zst = false;
      plain.push_back(k);
    } else if (results[k] && !results[k]->not_modified) {
      if (auto decoded = decode_zst(entry, options); !decoded) results[k] = fail(decoded.error());
    }
  }
  if (plain.empty()) return results;
  std::vector<std::size_t> indices;
  for (std::size_t k : plain) indices.push_back(plan.to_request[k]);
  auto again = download_all(make_requests(plan, indices, options), options.download);
  for (std::size_t j = 0; j < plain.size(); ++j) results[plain[j]] = std::move(again[j]);
  return results;
}

}  // namespace

Result<std::vector<RepodataFile>> fetch_repodata(const PackageCache& cache,
                                                 std::span<const SubdirSource> sources,
                                                 const RepodataOptions& options) {
  const std::int64_t now_ns = now_ns_of(options);
  Plan plan = make_plan(cache, sources, options, now_ns);
  if (!plan.offline_missing.empty()) {
    return fail(offline_error(plan.offline_missing, cache.repodata_dir()));
  }
  if (plan.to_request.empty()) return std::move(plan.files);
  const auto results = download_planned(plan, options);
  GRAFT_ASSIGN_OR_RETURN(base::FileLock lock, cache.lock_exclusive());
  std::optional<Error> first_error;
  for (std::size_t k = 0; k < plan.to_request.size(); ++k) {
    Entry& entry = plan.entries[plan.to_request[k]];
    auto origin = apply(entry, results[k], now_ns, options);
    if (origin) plan.files[plan.to_request[k]].origin = *origin;
    if (origin) plan.files[plan.to_request[k]].etag = entry.state.etag;
    if (!origin && !first_error) first_error = std::move(origin).error();
    (void)base::remove_tree(entry.staged);
    (void)base::remove_tree(zst_path(entry));
  }
  if (first_error) return fail(std::move(*first_error));
  return std::move(plan.files);
}

}  // namespace graft::store
