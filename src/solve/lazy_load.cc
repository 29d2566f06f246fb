#include "solve/lazy_load.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include "base/mapped_file.h"
#include "base/parallel.h"
#include "conda/match_spec.h"
#include "conda/repodata_map.h"
#include "solve/index_cache.h"

namespace graft::solve {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string display_of(const RepodataInput& input) {
  return input.source.display_name.empty() ? input.source.subdir_url + "/repodata.json"
                                           : input.source.display_name;
}

// One input file, mapped, and the records chosen from it so far; or a sharded subdir and
// the documents of the shards fetched so far.
struct Mapped {
  base::MappedFile file = base::MappedFile::empty();
  conda::RepodataMap map;  // of a sharded subdir: only its names
  std::vector<const conda::MappedRecord*> selected;
  std::vector<std::string> documents;
};

// The key of `input`'s index cache when it describes `file` (the mapped bytes): stat()ed
// before and after the mapping was made, the same both times and of the mapped size; a file
// replaced meanwhile gets no cache (neither read nor written).
std::optional<IndexKey> mapped_key(const RepodataInput& input,
                                   const std::optional<IndexKey>& before,
                                   const base::MappedFile& file) {
  if (input.index_path.empty() || !before || before->size != file.bytes().size())
    return std::nullopt;
  auto after = index_key(input.path, input.etag);
  if (!after || *after != *before) return std::nullopt;
  return before;
}

// The map of `input`: from its index cache when that is usable, else made and cached.
Result<conda::RepodataMap> map_input(const RepodataInput& input, const base::MappedFile& file,
                                     const std::optional<IndexKey>& key, LoadStats& stats) {
  const std::string display = display_of(input);
  if (key) {
    auto cached = read_index_cache(input.index_path, *key);
    if (cached && std::holds_alternative<conda::RepodataMap>(*cached)) {
      ++stats.from_cache;
      return std::get<conda::RepodataMap>(std::move(*cached));
    }
    stats.notes.push_back(
        display + ": " +
        (cached ? describe(std::get<CacheMiss>(*cached)) : cached.error().message()));
  }
  GRAFT_ASSIGN_OR_RETURN(
      conda::RepodataMap map,
      conda::map_repodata(file.bytes(), display,
                          {.release = [&file](std::size_t end) { file.drop_pages_before(end); }}));
  if (key) {
    if (auto written = write_index_cache(input.index_path, *key, map); !written) {
      stats.notes.push_back(display + ": index cache not written: " + written.error().message());
    }
  }
  return map;
}

// The dependency closure of a request over the mapped files.
class Closure {
 public:
  Closure(std::span<const RepodataInput> inputs, std::vector<Mapped>& mapped)
      : inputs_(inputs), mapped_(mapped) {}

  void reach(const std::string& name) {
    if (reached_.insert(name).second) frontier_.push_back(name);
  }
  void reach_spec(const conda::MatchSpec& spec) {
    if (!spec.has_exact_name()) everything_ = true;
    reach(spec.name());
  }
  void reach_text(const std::string& text);
  void roots(const Request& request);
  [[nodiscard]] Status run(LoadStats& stats, Reach reach);
  [[nodiscard]] bool everything() const { return everything_; }
  [[nodiscard]] const std::unordered_set<std::string>& reached() const { return reached_; }

 private:
  [[nodiscard]] Status level(LoadStats& stats);

  std::span<const RepodataInput> inputs_;
  std::vector<Mapped>& mapped_;
  std::unordered_set<std::string> reached_;
  std::vector<std::string> frontier_;
  [[nodiscard]] Result<conda::Repodata> read_level(std::size_t input,
                                                   const std::vector<std::string>& names);
  // Dependency text -> the exact name it is about ("" when it does not parse).
  std::unordered_map<std::string, std::string> names_of_text_;
  bool everything_ = false;
  bool follow_ = true;  // whether loaded records' dependencies are reached
};

void Closure::reach_text(const std::string& text) {
  auto [entry, fresh] = names_of_text_.try_emplace(text);
  if (fresh) {
    auto spec = conda::MatchSpec::parse(text);
    if (!spec) return;  // the solver ignores it for reachability too
    if (!spec->has_exact_name()) everything_ = true;
    entry->second = spec->name();
  }
  if (!entry->second.empty()) reach(entry->second);
}

void Closure::roots(const Request& request) {
  for (const auto* specs : {&request.install, &request.update, &request.remove, &request.pins}) {
    for (const auto& spec : *specs) reach_spec(spec);
  }
  for (const auto* records : {&request.installed, &request.virtual_packages}) {
    for (const auto& record : *records) {
      reach(record.name);
      for (const auto& text : record.depends) reach_text(text);
    }
  }
  reach("pip");
}

// The records of `names` in input `input` (all twins kept), noting what was chosen.
Result<conda::Repodata> Closure::read_level(std::size_t input,
                                            const std::vector<std::string>& names) {
  Mapped& each = mapped_[input];
  conda::RepodataSource source = inputs_[input].source;
  source.duplicates = conda::DuplicateArchives::kKeepBoth;
  if (inputs_[input].shards) {
    std::vector<std::string> held;
    for (const std::string& name : names) {
      if (std::binary_search(each.map.names.begin(), each.map.names.end(), name)) {
        held.push_back(name);
      }
    }
    if (held.empty()) return conda::Repodata{};
    GRAFT_ASSIGN_OR_RETURN(std::string document, inputs_[input].shards->fetch(held));
    each.documents.push_back(std::move(document));
    return conda::parse_repodata(each.documents.back(), source);
  }
  std::vector<const conda::MappedRecord*> chosen;
  for (const std::string& name : names) {
    for (const conda::MappedRecord& record : each.map.named(name)) chosen.push_back(&record);
  }
  if (chosen.empty()) return conda::Repodata{};
  each.selected.insert(each.selected.end(), chosen.begin(), chosen.end());
  return conda::read_mapped_records(each.file.bytes(), each.map, std::move(chosen), source);
}

// Reads the records of the names reached last and reaches what they depend on.
Status Closure::level(LoadStats& stats) {
  const std::vector<std::string> names = std::move(frontier_);
  frontier_.clear();
  stats.names += names.size();
  for (std::size_t i = 0; i < mapped_.size(); ++i) {
    GRAFT_ASSIGN_OR_RETURN(conda::Repodata read, read_level(i, names));
    for (const conda::PackageRecord& record : read.records) {
      if (!follow_) break;
      for (const std::string& text : record.depends) reach_text(text);
    }
  }
  return ok();
}

Status Closure::run(LoadStats& stats, Reach reach) {
  while (!frontier_.empty() && !everything_) {
    if (reach == Reach::kNamesOnly) follow_ = false;
    GRAFT_RETURN_IF_ERROR(level(stats));
    if (reach == Reach::kNamesOnly) break;
  }
  return ok();
}

std::vector<std::string> unreached_names(const std::vector<Mapped>& mapped,
                                         const std::unordered_set<std::string>& reached) {
  std::vector<std::string> names;
  for (const Mapped& each : mapped) {
    for (const std::string& name : each.map.names) {
      if (!reached.contains(name)) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

// Every record of input `input` that the closure chose, as parse_repodata builds them.
Result<std::vector<conda::PackageRecord>> chosen_records(const RepodataInput& input, Mapped& each,
                                                         bool everything) {
  if (input.shards) {
    if (everything) {
      each.documents.clear();
      GRAFT_ASSIGN_OR_RETURN(std::string all, input.shards->fetch(each.map.names));
      each.documents.push_back(std::move(all));
    }
    std::vector<conda::PackageRecord> records;
    for (const std::string& document : each.documents) {
      GRAFT_ASSIGN_OR_RETURN(conda::Repodata read, conda::parse_repodata(document, input.source));
      records.insert(records.end(), std::make_move_iterator(read.records.begin()),
                     std::make_move_iterator(read.records.end()));
    }
    return records;
  }
  if (everything) {
    each.selected.clear();
    for (const conda::MappedRecord& record : each.map.records) each.selected.push_back(&record);
  }
  GRAFT_ASSIGN_OR_RETURN(conda::Repodata read,
                         conda::read_mapped_records(each.file.bytes(), each.map,
                                                    std::move(each.selected), input.source));
  return std::move(read.records);
}

// Maps one input into `out` (a sharded one: only its names).
Status map_one(const RepodataInput& input, Mapped& out, LoadStats& stats) {
  if (input.shards) {
    out.map.names = input.shards->names;
    return ok();
  }
  std::optional<IndexKey> before;
  if (auto key = index_key(input.path, input.etag)) before = std::move(*key);
  GRAFT_ASSIGN_OR_RETURN(out.file, base::MappedFile::open(input.path, base::Populate::kOnDemand));
  GRAFT_ASSIGN_OR_RETURN(out.map,
                         map_input(input, out.file, mapped_key(input, before, out.file), stats));
  return ok();
}

}  // namespace

void add_pip_dependency(std::vector<conda::PackageRecord>& records) {
  for (conda::PackageRecord& record : records) {
    const bool python = record.name == "python" &&
                        (record.version.starts_with("2.") || record.version.starts_with("3."));
    if (python &&
        std::find(record.depends.begin(), record.depends.end(), "pip") == record.depends.end()) {
      record.depends.push_back("pip");
    }
  }
}

Status load_reachable(std::span<const RepodataInput> inputs, Request& request, LoadStats* stats,
                      Reach reach) {
  LoadStats local;
  LoadStats& figures = stats != nullptr ? *stats : local;
  auto start = Clock::now();
  for (const RepodataInput& input : inputs) {
    if (input.channel >= request.channels.size()) {
      return fail(ErrorCode::kInternal, "repodata input for a channel the request does not have");
    }
  }
  // Files are mapped in parallel (a platform subdir and noarch: two passes at once).
  std::vector<Mapped> mapped(inputs.size());
  std::vector<LoadStats> per_input(inputs.size());
  std::vector<Status> mapping(inputs.size());
  {
    // (base::parallel_for runs so few items inline.)
    base::WorkerPool pool(std::min<std::size_t>(inputs.size(), base::default_file_threads()));
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      pool.submit([&, i] { mapping[i] = map_one(inputs[i], mapped[i], per_input[i]); });
    }
  }
  for (Status& each : mapping) GRAFT_RETURN_IF_ERROR(std::move(each));
  for (LoadStats& each : per_input) {
    figures.from_cache += each.from_cache;
    figures.notes.insert(figures.notes.end(), each.notes.begin(), each.notes.end());
  }
  figures.map_ms += ms_since(start);
  start = Clock::now();
  Closure closure(inputs, mapped);
  closure.roots(request);
  GRAFT_RETURN_IF_ERROR(closure.run(figures, reach));
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    GRAFT_ASSIGN_OR_RETURN(std::vector<conda::PackageRecord> read,
                           chosen_records(inputs[i], mapped[i], closure.everything()));
    add_pip_dependency(read);
    figures.records += read.size();
    auto& records = request.channels[inputs[i].channel].records;
    records.insert(records.end(), std::make_move_iterator(read.begin()),
                   std::make_move_iterator(read.end()));
  }
  if (!closure.everything()) request.other_names = unreached_names(mapped, closure.reached());
  figures.read_ms += ms_since(start);
  return ok();
}

}  // namespace graft::solve
