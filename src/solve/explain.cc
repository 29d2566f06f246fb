#include "solve/explain.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <string_view>

#include "base/strings.h"
#include "solve/order.h"

namespace graft::solve::detail {
namespace {

constexpr std::size_t kMaxVersionsShown = 8;
constexpr std::size_t kMaxProvidersFollowed = 10;
constexpr std::size_t kMaxNamesListed = 4;

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// "a, b, c and 5 more"
std::string list(const std::vector<std::string>& items) {
  std::size_t shown = std::min(items.size(), kMaxNamesListed);
  std::string text =
      base::join(std::vector<std::string>(items.begin(), items.begin() + shown), ", ");
  if (items.size() > shown) text += " and " + std::to_string(items.size() - shown) + " more";
  return text;
}

bool targets_package(sat::JobKind kind) {
  return kind == sat::JobKind::kErase || kind == sat::JobKind::kLock ||
         kind == sat::JobKind::kFavor;
}

std::string key_name(const Key& key) {
  return key.spec && key.spec->has_exact_name() ? key.spec->name() : std::string();
}

// Renders one problem as an indented tree rooted at the jobs involved.
class Explainer {
 public:
  Explainer(const Model& model, const std::vector<JobNote>& notes,
            const std::vector<sat::Rule>& rules, std::size_t base_depth, std::size_t& budget,
            std::string& out)
      : model_(model),
        notes_(notes),
        rules_(rules),
        base_(base_depth),
        budget_(budget),
        out_(out),
        rendered_(rules.size(), false) {
    for (const sat::Rule& rule : rules) {
      if (rule.source) involved_.insert(*rule.source);
      if (rule.target) involved_.insert(*rule.target);
      if (rule.job && targets_package(model.problem().jobs.at(*rule.job).kind)) {
        involved_.insert(model.problem().jobs[*rule.job].target);
      }
    }
  }

  // Lines the budget ran out for.
  std::size_t suppressed() const { return suppressed_; }

  // Jobs first, in the order they were asked for; then whatever they did not reach.
  void run() {
    std::vector<std::size_t> jobs;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      if (rules_[i].job) jobs.push_back(i);
    }
    std::stable_sort(jobs.begin(), jobs.end(),
                     [this](auto a, auto b) { return *rules_[a].job < *rules_[b].job; });
    for (std::size_t i : jobs) {
      if (!rendered_[i]) render_job(i);
    }
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      if (rendered_[i]) continue;
      if (rules_[i].source && !visited_.contains(*rules_[i].source)) {
        render_package(*rules_[i].source, 0);
      } else {
        render_rule(i, 0);
      }
    }
  }

 private:
  void emit(std::size_t depth, const std::string& text) {
    if (budget_ == 0) {
      ++suppressed_;
      return;
    }
    --budget_;
    out_ += std::string(2 * (base_ + depth), ' ') + "- " + text + "\n";
  }

  std::string job_headline(const sat::Rule& rule) const {
    const JobNote& note = notes_.at(*rule.job);
    const sat::Job& job = model_.problem().jobs.at(*rule.job);
    switch (note.origin) {
      case JobOrigin::kInstall: return "you asked for " + quoted(note.text);
      case JobOrigin::kUpdate: return "you asked to update " + quoted(note.text);
      case JobOrigin::kRemove: return "you asked to remove " + note.text;
      case JobOrigin::kPin:
        return quoted(note.text) + " is pinned, which rules out " + model_.describe(job.target);
      case JobOrigin::kKeep: return note.text + " is installed and kept as it is";
    }
    return note.text;
  }

  void render_job(std::size_t index) {
    const sat::Rule& rule = rules_[index];
    for (std::size_t i = index; i < rules_.size(); ++i) {
      if (rules_[i].job == rule.job) rendered_[i] = true;
    }
    emit(0, job_headline(rule));
    const sat::Job& job = model_.problem().jobs.at(*rule.job);
    if (job.kind != sat::JobKind::kInstall && job.kind != sat::JobKind::kUpdate) return;
    const Key& key = model_.key(job.target);
    if (rule.kind == sat::RuleKind::kJobNothingMatches) {
      emit(1, "nothing matches it: " + describe_available(model_, key_name(key)));
      return;
    }
    for (sat::PackageIndex package : involved_matches(job.target)) render_package(package, 1);
  }

  std::vector<sat::PackageIndex> involved_matches(sat::KeyIndex key) const {
    std::vector<sat::PackageIndex> matches;
    model_.resolve(key, matches);
    std::erase_if(matches, [this](sat::PackageIndex p) { return !involved_.contains(p); });
    std::sort(matches.begin(), matches.end(), [this](auto a, auto b) {
      return model_.problem().packages[a].rank > model_.problem().packages[b].rank;
    });
    return matches;
  }

  void render_package(sat::PackageIndex package, std::size_t depth) {
    if (depth > kMaxChainDepth || !visited_.insert(package).second) return;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      if (rendered_[i] || rules_[i].job) continue;
      if (rules_[i].kind == sat::RuleKind::kSameName) continue;  // grouped, last
      if (rules_[i].source == package) render_rule(i, depth);
    }
  }

  // The package on the other side of same-name rule `i` from `package`, if it is one.
  std::optional<sat::PackageIndex> same_name_partner(std::size_t i,
                                                     sat::PackageIndex package) const {
    const sat::Rule& rule = rules_[i];
    if (rule.kind != sat::RuleKind::kSameName || !rule.source || !rule.target) return {};
    if (rule.source == package) return rule.target;
    if (rule.target == package) return rule.source;
    return {};
  }

  // One line for every same-name rule `package` takes part in.
  void render_same_name(sat::PackageIndex package, std::size_t depth) {
    std::vector<std::string> others;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      if (rendered_[i]) continue;
      if (auto other = same_name_partner(i, package)) {
        rendered_[i] = true;
        others.push_back(model_.describe(*other));
      }
    }
    if (others.empty()) return;
    emit(depth, model_.describe(package) + " rules out " + list(others) + ": only one " +
                    quoted(model_.candidate(package).record->name) + " can be installed");
  }

  // The one package every provider shares a same-name rule with, if there is one: a
  // dependency like 'x !=5' that only fails because x 5 is required elsewhere.
  std::optional<sat::PackageIndex> common_blocker(
      const std::vector<sat::PackageIndex>& providers) const {
    std::optional<sat::PackageIndex> blocker;
    for (sat::PackageIndex provider : providers) {
      std::set<sat::PackageIndex> partners;
      for (std::size_t i = 0; i < rules_.size(); ++i) {
        if (auto other = same_name_partner(i, provider)) partners.insert(*other);
      }
      if (!blocker) {
        if (partners.size() != 1) return {};
        blocker = *partners.begin();
      } else if (!partners.contains(*blocker)) {
        return {};
      }
    }
    return blocker;
  }

  void mark_same_name(const std::vector<sat::PackageIndex>& providers, sat::PackageIndex other) {
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      for (sat::PackageIndex provider : providers) {
        if (same_name_partner(i, provider) == other) rendered_[i] = true;
      }
    }
  }

  void render_depends(const sat::Rule& rule, std::size_t depth) {
    const Key& key = model_.key(*rule.key);
    std::vector<sat::PackageIndex> providers = involved_matches(*rule.key);
    std::string line = model_.describe(*rule.source) + " requires " + quoted(key.text);
    if (auto blocker = providers.empty() ? std::nullopt : common_blocker(providers)) {
      mark_same_name(providers, *blocker);
      emit(depth, line + ", which rules out " + model_.describe(*blocker) + ": only one " +
                      quoted(model_.candidate(*blocker).record->name) + " can be installed");
      render_package(*blocker, depth + 1);
      return;
    }
    if (providers.size() == 1) {
      line += ", which only " + model_.describe(providers[0]) + " provides";
    } else if (!providers.empty()) {
      line += ", provided by " + std::to_string(providers.size()) + " packages, e.g. " +
              model_.describe(providers[0]);
    }
    emit(depth, line);
    if (providers.size() > kMaxProvidersFollowed) providers.resize(kMaxProvidersFollowed);
    for (sat::PackageIndex provider : providers) render_package(provider, depth + 1);
  }

  void render_nothing_matches(const sat::Rule& rule, std::size_t depth) {
    const Key& key = model_.key(*rule.key);
    std::string line = model_.describe(*rule.source) + " requires " + quoted(key.text);
    if (!key.spec) {
      line += ", which is not a valid match spec: " + key.error;
    } else {
      line += ", but nothing matches it: " + describe_available(model_, key_name(key));
    }
    emit(depth, line);
  }

  void render_conflict(const sat::Rule& rule, std::size_t depth) {
    std::string source = model_.describe(*rule.source);
    std::string target = rule.target ? model_.describe(*rule.target) : "another package";
    if (rule.key && model_.key(*rule.key).kind == KeyKind::kExclude) {
      emit(depth, source + " constrains " + quoted(model_.key(*rule.key).text) +
                      ", which rules out " + target);
    } else {
      emit(depth, source + " conflicts with " + target);
    }
  }

  void render_rule(std::size_t index, std::size_t depth) {
    rendered_[index] = true;
    const sat::Rule& rule = rules_[index];
    if (!rule.source) return;
    std::string source = model_.describe(*rule.source);
    switch (rule.kind) {
      case sat::RuleKind::kDepends:
        if (rule.key) render_depends(rule, depth);
        return;
      case sat::RuleKind::kNothingMatches:
        if (rule.key) render_nothing_matches(rule, depth);
        return;
      case sat::RuleKind::kConflicts: render_conflict(rule, depth); return;
      case sat::RuleKind::kSameName:
        rendered_[index] = false;
        render_same_name(*rule.source, depth);
        return;
      case sat::RuleKind::kInstalled:
        emit(depth, source + " is installed and cannot be removed");
        return;
      case sat::RuleKind::kStrictPriority:
        emit(depth, source + " is not considered: strict channel priority takes " +
                        quoted(model_.candidate(*rule.source).record->name) +
                        " from a higher-priority channel");
        return;
      case sat::RuleKind::kNotInstallable: emit(depth, source + " cannot be installed"); return;
      default: return;
    }
  }

  const Model& model_;
  const std::vector<JobNote>& notes_;
  const std::vector<sat::Rule>& rules_;
  const std::size_t base_;
  std::size_t& budget_;
  std::string& out_;
  std::vector<bool> rendered_;
  std::set<sat::PackageIndex> involved_;
  std::set<sat::PackageIndex> visited_;
  std::size_t suppressed_ = 0;
};

}  // namespace

std::string describe_available(const Model& model, const std::string& name) {
  if (name.empty()) return "no package matches its name";
  std::vector<std::string> versions = model.available_versions(name);
  if (versions.empty() && base::starts_with(name, "__")) {
    std::string variable = "CONDA_OVERRIDE_" + upper(name.substr(2));
    return "the virtual package " + quoted(name) + " is not present on this machine (" + variable +
           " sets it)";
  }
  if (versions.empty()) return "no package named " + quoted(name) + " is available";
  std::string text = quoted(name) + " versions available: ";
  std::size_t shown = std::min(versions.size(), kMaxVersionsShown);
  text += base::join(std::vector<std::string>(versions.begin(), versions.begin() + shown), ", ");
  if (versions.size() > shown) {
    text += ", and " + std::to_string(versions.size() - shown) + " more";
  }
  return text;
}

std::string explain_problems(const Model& model, const std::vector<JobNote>& notes,
                             const std::vector<std::vector<sat::Rule>>& problems) {
  std::string out;
  std::size_t budget = kMaxExplanationLines;
  std::size_t suppressed = 0;
  const bool several = problems.size() > 1;
  for (std::size_t i = 0; i < problems.size(); ++i) {
    if (several && budget > 0) {
      --budget;
      out +=
          "- conflict " + std::to_string(i + 1) + " of " + std::to_string(problems.size()) + ":\n";
    }
    Explainer explainer(model, notes, problems[i], several ? 1 : 0, budget, out);
    explainer.run();
    suppressed += explainer.suppressed();
  }
  if (suppressed > 0) {
    out += "- ... and " + std::to_string(suppressed) + " more reasons\n";
  }
  return out;
}

namespace {

// The same version and build number, another build.
bool is_rival(const Candidate& a, const Candidate& b) {
  if (a.record == b.record || a.record->build_number != b.record->build_number) return false;
  if (a.version && b.version) return a.version->compare(*b.version) == 0;
  return !a.version && !b.version && a.record->version == b.record->version;
}

// Why `chosen` ranks above `other`, which ties with it on version and build number.
std::string why_above(Model& model, sat::PackageIndex chosen, sat::PackageIndex other) {
  const auto& a = *model.candidate(chosen).record;
  const auto& b = *model.candidate(other).record;
  if (a.track_features.size() != b.track_features.size()) return "fewer track_features";
  std::vector<std::string> names = model.reaches_further(chosen, other);
  if (!names.empty()) {
    for (auto& name : names) name = quoted(name);
    return "its dependencies reach newer " + list(names);
  }
  if (a.timestamp > b.timestamp && model.reaches_further(other, chosen).empty()) {
    return "its dependencies reach no further, and it is the newer build (timestamp)";
  }
  return "its dependencies reach newer packages, counted over all those builds";
}

}  // namespace

std::string explain_choice(Model& model, sat::PackageIndex chosen) {
  const Candidate& candidate = model.candidate(chosen);
  std::vector<sat::PackageIndex> rivals;
  for (sat::PackageIndex i : model.named(candidate.record->name)) {
    if (model.candidate(i).origin != Origin::kInstalled && is_rival(candidate, model.candidate(i)))
      rivals.push_back(i);
  }
  if (rivals.empty()) return "";
  const auto& packages = model.problem().packages;
  const sat::PackageIndex best = *std::max_element(
      rivals.begin(), rivals.end(),
      [&packages](auto x, auto y) { return packages[x].rank < packages[y].rank; });
  std::string text = "chose " + model.describe(chosen) + " over " + model.describe(best);
  if (rivals.size() > 1) {
    text += " (and " + std::to_string(rivals.size() - 1) +
            " more of the same version and build number)";
  }
  const std::uint32_t rank = packages[chosen].rank;
  if (rank < packages[best].rank) {
    return text + ": the request rules out the builds conda's order prefers";
  }
  if (rank == packages[best].rank) return text + ": they tie in conda's order";
  return text + ": " + why_above(model, chosen, best);
}

}  // namespace graft::solve::detail
