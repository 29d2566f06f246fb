// The conda side of the libsolv adapter (internal to module solve): turns a Request's
// records into sat::Packages ranked in conda's order (order.h says which), and MatchSpecs into
// dependency keys that the sat layer resolves through Model::resolve().
//
// A Model borrows the Request it is built from (records are referenced, not copied): the
// Request must outlive it. Not thread-safe (keys are interned and resolved lazily, and
// resolutions are cached); one Model per solve.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conda/match_spec.h"
#include "conda/record.h"
#include "conda/version.h"
#include "solve/sat.h"
#include "solve/solver.h"

namespace graft::solve::detail {

enum class KeyKind {
  kMatch,    // the packages the spec matches
  kExclude,  // the packages of the spec's name that it does not match (constrains, pins)
};

struct Key {
  KeyKind kind = KeyKind::kMatch;
  std::string text;                      // the spec as written
  std::optional<conda::MatchSpec> spec;  // nullopt when `text` does not parse
  std::string error;                     // why it does not parse
};

enum class Origin { kInstalled, kVirtual, kChannel };

struct Candidate {
  const conda::PackageRecord* record = nullptr;
  std::optional<conda::Version> version;  // nullopt when record->version does not parse
  Origin origin = Origin::kChannel;
  std::size_t channel = 0;  // index into Request::channels when origin is kChannel
};

// Repo indices in the sat::Problem.
inline constexpr std::uint32_t kInstalledRepo = 0;
inline constexpr std::uint32_t kVirtualRepo = 1;
inline constexpr std::uint32_t kFirstChannelRepo = 2;

class Model {
 public:
  explicit Model(const Request& request);
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  [[nodiscard]] const Request& request() const { return request_; }
  [[nodiscard]] sat::Problem& problem() { return problem_; }
  [[nodiscard]] const sat::Problem& problem() const { return problem_; }
  [[nodiscard]] const Candidate& candidate(sat::PackageIndex index) const {
    return candidates_[index];
  }
  [[nodiscard]] std::size_t size() const { return candidates_.size(); }
  [[nodiscard]] const Key& key(sat::KeyIndex index) const { return keys_[index]; }

  // Interns a dependency key (same kind and text give the same index).
  sat::KeyIndex intern(KeyKind kind, std::string_view text);
  sat::KeyIndex intern(KeyKind kind, const conda::MatchSpec& spec);

  // The packages `key` matches, in increasing index order. Computed once per key; the
  // span stays valid while the Model lives.
  [[nodiscard]] std::span<const sat::PackageIndex> resolve(sat::KeyIndex key) const;
  // Appends resolve(key) to `out`.
  void resolve(sat::KeyIndex key, std::vector<sat::PackageIndex>& out) const;
  // Every package with this exact name (installed, virtual and channel ones).
  [[nodiscard]] const std::vector<sat::PackageIndex>& named(std::string_view name) const;
  // Every distinct package name, sorted.
  [[nodiscard]] std::vector<std::string> names() const;
  // "name-version-build", plus " (installed)" for installed packages.
  [[nodiscard]] std::string describe(sat::PackageIndex index) const;
  // The dependency names, sorted, that both packages require and for which `a`'s specs
  // allow a better-ranked package than `b`'s (order.h, step 4).
  [[nodiscard]] std::vector<std::string> reaches_further(sat::PackageIndex a, sat::PackageIndex b);
  // The distinct channel and virtual versions of `name`, newest first, e.g. {"2.0", "1.0"}.
  [[nodiscard]] std::vector<std::string> available_versions(std::string_view name) const;

 private:
  void add_candidates();
  void add_candidate(const conda::PackageRecord& record, Origin origin, std::size_t channel);
  void add_dependencies();
  // Ranks every name's packages (after add_dependencies(): ties look at dependencies).
  void assign_ranks();
  // Ranks the packages of one name, first ranking the names its tie groups depend on.
  void rank_name(const std::vector<sat::PackageIndex>& packages);
  // order.h's step 4 for one group tied on steps 1-3: a score per member.
  [[nodiscard]] std::vector<int> tie_scores(std::span<const sat::PackageIndex> group);
  // The best rank among the packages `key` (of exact name `name`) matches; 0 when it
  // matches none or `name` is not ranked yet (a cycle). Cached per key.
  [[nodiscard]] std::uint32_t best_rank(std::string_view name, sat::KeyIndex key);
  // By package: whether the request can reach its name through dependencies (from the
  // specs to install or update, the installed and virtual packages, and pip); every
  // package when a spec names no exact package.
  [[nodiscard]] std::vector<bool> reachable_packages() const;
  [[nodiscard]] bool matches(const conda::MatchSpec& spec, const Candidate& candidate) const;
  [[nodiscard]] std::vector<sat::PackageIndex> compute_matches(const Key& key) const;

  // Hash and equality that also take a std::string_view, so lookups do not copy the text.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  template <typename Value>
  using TextMap = std::unordered_map<std::string, Value, TextHash, std::equal_to<>>;

  const Request& request_;
  sat::Problem problem_;
  std::vector<Candidate> candidates_;
  std::vector<Key> keys_;
  TextMap<sat::KeyIndex> key_index_[2];  // by KeyKind, then the spec text
  TextMap<std::vector<sat::PackageIndex>> by_name_;
  enum class RankState : std::uint8_t { kUnranked, kRanking, kRanked };
  std::vector<RankState> rank_state_;     // by package; all packages of a name share one state
  std::vector<bool> reachable_;           // reachable_packages(), while ranking
  std::vector<std::uint32_t> best_rank_;  // by key: best_rank() + 1, 0 while not computed
  // resolve() results by key; a unique_ptr so that spans survive the vector growing.
  mutable std::vector<std::unique_ptr<const std::vector<sat::PackageIndex>>> resolved_;
};

}  // namespace graft::solve::detail
