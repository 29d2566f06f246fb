#include "solve/model.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "solve/order.h"

namespace graft::solve::detail {
namespace {

const std::vector<sat::PackageIndex> kNoPackages;

bool wanted_subdir(const conda::PackageRecord& record, const std::string& subdir) {
  return subdir.empty() || record.subdir.empty() || record.subdir == subdir ||
         record.subdir == "noarch";
}

// conda adds pip to python 2 and 3 (add_pip_as_python_dependency).
bool python_wants_pip(const conda::PackageRecord& record) {
  return record.name == "python" &&
         (record.version.starts_with("2.") || record.version.starts_with("3."));
}

int channel_priority(const Options& options, std::size_t channel, std::size_t count) {
  if (options.channel_priority == ChannelPriority::kDisabled) return 1;
  return static_cast<int>(count - channel);
}

}  // namespace

Model::Model(const Request& request) : request_(request) {
  const std::size_t channels = request.channels.size();
  const int top = static_cast<int>(channels) + 1;
  // The installed repo ranks lowest: libsolv's strict repo priority would otherwise hide
  // every channel package of an installed name, and installed packages are kept by
  // libsolv's own update rules, not by priority.
  problem_.repos.push_back({.name = "installed", .priority = 0, .installed = true});
  problem_.repos.push_back({.name = "virtual", .priority = top});
  for (std::size_t i = 0; i < channels; ++i) {
    problem_.repos.push_back({.name = request.channels[i].name,
                              .priority = channel_priority(request.options, i, channels)});
  }
  problem_.strict_repo_priority = request.options.channel_priority == ChannelPriority::kStrict;
  problem_.resolve = [this](sat::KeyIndex key, std::vector<sat::PackageIndex>& out) {
    resolve(key, out);
  };
  add_candidates();
  add_dependencies();
  assign_ranks();
}

void Model::add_candidates() {
  for (const auto& record : request_.installed) add_candidate(record, Origin::kInstalled, 0);
  for (const auto& record : request_.virtual_packages) add_candidate(record, Origin::kVirtual, 0);
  for (std::size_t channel = 0; channel < request_.channels.size(); ++channel) {
    for (const auto& record : request_.channels[channel].records) {
      if (!wanted_subdir(record, request_.options.subdir)) continue;
      add_candidate(record, Origin::kChannel, channel);
    }
  }
}

void Model::add_candidate(const conda::PackageRecord& record, Origin origin, std::size_t channel) {
  Candidate candidate{.record = &record, .origin = origin, .channel = channel};
  if (auto version = conda::Version::parse(record.version)) candidate.version = *version;
  std::uint32_t repo = origin == Origin::kInstalled ? kInstalledRepo
                       : origin == Origin::kVirtual ? kVirtualRepo
                                                    : kFirstChannelRepo + channel;
  auto index = static_cast<sat::PackageIndex>(candidates_.size());
  candidates_.push_back(std::move(candidate));
  problem_.packages.push_back({.name = record.name, .repo = repo});
  by_name_[record.name].push_back(index);
}

void Model::assign_ranks() {
  rank_state_.assign(candidates_.size(), RankState::kUnranked);
  reachable_ = reachable_packages();
  for (const auto& entry : by_name_) rank_name(entry.second);
}

void Model::rank_name(const std::vector<sat::PackageIndex>& packages) {
  if (packages.empty() || rank_state_[packages[0]] != RankState::kUnranked) return;
  for (sat::PackageIndex i : packages) rank_state_[i] = RankState::kRanking;
  // One slot per package: its group of ties on steps 1-3, then steps 4 and 5.
  struct Slot {
    sat::PackageIndex package = 0;
    std::size_t group = 0;
    int score = 0;
    std::int64_t timestamp = 0;
    auto key() const { return std::tie(group, score, timestamp); }
  };
  std::vector<sat::PackageIndex> order = packages;
  auto before = [this](sat::PackageIndex a, sat::PackageIndex b) {
    return compare_before_dependencies(candidates_[a], candidates_[b]);
  };
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return before(a, b) < 0; });
  std::vector<Slot> slots;
  slots.reserve(order.size());
  for (std::size_t begin = 0, end = 0, group = 0; begin < order.size(); begin = end, ++group) {
    for (end = begin + 1; end < order.size() && before(order[begin], order[end]) == 0;) ++end;
    std::span<const sat::PackageIndex> tied(order.data() + begin, end - begin);
    // Names the request cannot reach are never installed: their ties need no scores.
    std::vector<int> scores(tied.size(), 0);
    if (tied.size() > 1 && reachable_[tied[0]]) scores = tie_scores(tied);
    for (std::size_t k = 0; k < tied.size(); ++k) {
      slots.push_back({.package = tied[k],
                       .group = group,
                       .score = scores[k],
                       .timestamp = candidates_[tied[k]].record->timestamp});
    }
  }
  std::stable_sort(slots.begin(), slots.end(),
                   [](const Slot& a, const Slot& b) { return a.key() < b.key(); });
  std::uint32_t rank = 0;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (i == 0 || slots[i - 1].key() != slots[i].key()) ++rank;
    problem_.packages[slots[i].package].rank = rank;
  }
  for (sat::PackageIndex i : packages) rank_state_[i] = RankState::kRanked;
}

std::vector<int> Model::tie_scores(std::span<const sat::PackageIndex> group) {
  // Every requirement of an exact name: (name, member, key), grouped by name.
  std::vector<std::tuple<std::string_view, std::size_t, sat::KeyIndex>> uses;
  for (std::size_t member = 0; member < group.size(); ++member) {
    for (sat::KeyIndex key : problem_.packages[group[member]].depends) {
      const Key& dependency = keys_[key];
      if (!dependency.spec || !dependency.spec->has_exact_name()) continue;
      uses.emplace_back(dependency.spec->name(), member, key);
    }
  }
  std::sort(uses.begin(), uses.end());
  std::vector<std::vector<Reach>> reaches;
  for (std::size_t begin = 0, end = 0; begin < uses.size(); begin = end) {
    const std::string_view name = std::get<0>(uses[begin]);
    bool same = true;  // every member that requires it reaches the same packages
    for (end = begin + 1; end < uses.size() && std::get<0>(uses[end]) == name; ++end) {
      same = same && std::get<2>(uses[end]) == std::get<2>(uses[begin]);
    }
    if (same) continue;
    rank_name(named(name));
    std::vector<Reach> list;
    for (std::size_t i = begin; i < end; ++i) {
      const auto [_, member, key] = uses[i];
      const std::uint32_t best = best_rank(name, key);
      if (!list.empty() && list.back().member == member) {
        list.back().best = std::min(list.back().best, best);  // several specs: the tightest
      } else {
        list.push_back({.member = member, .best = best});
      }
    }
    reaches.push_back(std::move(list));
  }
  return dependency_scores(group.size(), reaches);
}

std::uint32_t Model::best_rank(std::string_view name, sat::KeyIndex key) {
  const auto& packages = named(name);
  // Nothing of that name, or a cycle back to a name being ranked: equal for everyone.
  if (packages.empty() || rank_state_[packages[0]] != RankState::kRanked) return 0;
  if (best_rank_.size() <= key) best_rank_.resize(keys_.size(), 0);
  if (best_rank_[key] == 0) {
    std::uint32_t best = 0;
    for (sat::PackageIndex i : resolve(key)) best = std::max(best, problem_.packages[i].rank);
    best_rank_[key] = best + 1;
  }
  return best_rank_[key] - 1;
}

std::vector<bool> Model::reachable_packages() const {
  std::vector<bool> reached(candidates_.size(), false);
  std::vector<std::string_view> queue;
  auto reach = [&](std::string_view name) {
    const auto& packages = named(name);
    if (packages.empty() || reached[packages[0]]) return;
    for (sat::PackageIndex i : packages) reached[i] = true;
    queue.push_back(name);
  };
  bool everything = false;
  for (const auto* specs : {&request_.install, &request_.update}) {
    for (const auto& spec : *specs) {
      if (!spec.has_exact_name()) everything = true;
      reach(spec.name());
    }
  }
  for (const auto* records : {&request_.installed, &request_.virtual_packages}) {
    for (const auto& record : *records) reach(record.name);
  }
  reach("pip");
  while (!queue.empty() && !everything) {
    const std::string_view name = queue.back();
    queue.pop_back();
    for (sat::PackageIndex i : named(name)) {
      for (sat::KeyIndex key : problem_.packages[i].depends) {
        const Key& dependency = keys_[key];
        if (!dependency.spec) continue;
        if (!dependency.spec->has_exact_name()) everything = true;
        reach(dependency.spec->name());
      }
    }
  }
  if (everything) reached.assign(candidates_.size(), true);
  return reached;
}

std::vector<std::string> Model::reaches_further(sat::PackageIndex a, sat::PackageIndex b) {
  auto reach = [this](sat::PackageIndex package) {
    std::map<std::string_view, std::uint32_t> best;  // by dependency name: the tightest
    for (sat::KeyIndex key : problem_.packages[package].depends) {
      const Key& dependency = keys_[key];
      if (!dependency.spec || !dependency.spec->has_exact_name()) continue;
      const std::string& name = dependency.spec->name();
      const std::uint32_t rank = best_rank(name, key);
      auto [entry, fresh] = best.emplace(name, rank);
      if (!fresh) entry->second = std::min(entry->second, rank);
    }
    return best;
  };
  const auto a_reach = reach(a);
  const auto b_reach = reach(b);
  std::vector<std::string> names;
  for (const auto& [name, best] : a_reach) {
    auto other = b_reach.find(name);
    if (other != b_reach.end() && best > other->second) names.emplace_back(name);
  }
  return names;
}

void Model::add_dependencies() {
  const bool pip = request_.options.add_pip_as_python_dependency && by_name_.contains("pip");
  for (sat::PackageIndex i = 0; i < candidates_.size(); ++i) {
    const conda::PackageRecord& record = *candidates_[i].record;
    sat::Package& package = problem_.packages[i];
    for (const auto& text : record.depends)
      package.depends.push_back(intern(KeyKind::kMatch, text));
    for (const auto& text : record.constrains) {
      package.conflicts.push_back(intern(KeyKind::kExclude, text));
    }
    if (pip && python_wants_pip(record))
      package.recommends.push_back(intern(KeyKind::kMatch, "pip"));
  }
}

sat::KeyIndex Model::intern(KeyKind kind, std::string_view text) {
  auto& index_of_text = key_index_[kind == KeyKind::kMatch ? 0 : 1];
  if (auto found = index_of_text.find(text); found != index_of_text.end()) return found->second;
  Key key{.kind = kind, .text = std::string(text)};
  if (auto spec = conda::MatchSpec::parse(text)) {
    key.spec = std::move(*spec);
  } else {
    key.error = spec.error().message();
  }
  auto index = static_cast<sat::KeyIndex>(keys_.size());
  keys_.push_back(std::move(key));
  problem_.keys.push_back((kind == KeyKind::kMatch ? "m:" : "x:") + std::string(text));
  index_of_text.emplace(std::string(text), index);
  return index;
}

sat::KeyIndex Model::intern(KeyKind kind, const conda::MatchSpec& spec) {
  return intern(kind, spec.original().empty() ? spec.to_string() : spec.original());
}

bool Model::matches(const conda::MatchSpec& spec, const Candidate& candidate) const {
  if (candidate.version) return spec.matches(*candidate.record, *candidate.version);
  return spec.matches(*candidate.record);
}

std::span<const sat::PackageIndex> Model::resolve(sat::KeyIndex index) const {
  if (resolved_.size() <= index) resolved_.resize(keys_.size());
  auto& cached = resolved_[index];
  if (!cached) {
    cached = std::make_unique<const std::vector<sat::PackageIndex>>(compute_matches(keys_[index]));
  }
  return *cached;
}

void Model::resolve(sat::KeyIndex index, std::vector<sat::PackageIndex>& out) const {
  std::span<const sat::PackageIndex> matched = resolve(index);
  out.insert(out.end(), matched.begin(), matched.end());
}

std::vector<sat::PackageIndex> Model::compute_matches(const Key& key) const {
  std::vector<sat::PackageIndex> out;
  if (!key.spec) return out;
  const conda::MatchSpec& spec = *key.spec;
  if (key.kind == KeyKind::kExclude) {
    if (!spec.has_exact_name()) return out;
    for (sat::PackageIndex i : named(spec.name())) {
      if (!matches(spec, candidates_[i])) out.push_back(i);
    }
    return out;
  }
  if (spec.has_exact_name()) {
    for (sat::PackageIndex i : named(spec.name())) {
      if (matches(spec, candidates_[i])) out.push_back(i);
    }
    return out;
  }
  for (sat::PackageIndex i = 0; i < candidates_.size(); ++i) {
    if (matches(spec, candidates_[i])) out.push_back(i);
  }
  return out;
}

const std::vector<sat::PackageIndex>& Model::named(std::string_view name) const {
  auto found = by_name_.find(name);
  return found == by_name_.end() ? kNoPackages : found->second;
}

std::vector<std::string> Model::names() const {
  std::vector<std::string> result;
  result.reserve(by_name_.size());
  for (const auto& entry : by_name_) result.push_back(entry.first);
  std::sort(result.begin(), result.end());
  return result;
}

std::string Model::describe(sat::PackageIndex index) const {
  const Candidate& candidate = candidates_[index];
  std::string text = conda::dist_name(*candidate.record);
  if (candidate.origin == Origin::kInstalled) text += " (installed)";
  return text;
}

std::vector<std::string> Model::available_versions(std::string_view name) const {
  std::vector<const Candidate*> found;
  for (sat::PackageIndex i : named(name)) {
    if (candidates_[i].origin != Origin::kInstalled) found.push_back(&candidates_[i]);
  }
  std::stable_sort(found.begin(), found.end(), [](const Candidate* a, const Candidate* b) {
    if (a->version && b->version) return a->version->compare(*b->version) > 0;
    return a->version.has_value() && !b->version.has_value();
  });
  std::vector<std::string> versions;
  for (const Candidate* candidate : found) {
    const std::string& version = candidate->record->version;
    if (std::find(versions.begin(), versions.end(), version) == versions.end()) {
      versions.push_back(version);
    }
  }
  return versions;
}

}  // namespace graft::solve::detail
