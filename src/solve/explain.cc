#include "solve/explain.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>

#include "base/strings.h"

namespace graft::solve::detail {
namespace {

constexpr std::size_t kMaxVersionsShown = 8;
constexpr std::size_t kMaxProvidersFollowed = 4;

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string key_name(const Key& key) {
  return key.spec && key.spec->has_exact_name() ? key.spec->name() : std::string();
}

// Renders one problem as an indented tree rooted at the jobs involved.
class Explainer {
 public:
  Explainer(const Model& model, const std::vector<JobNote>& notes,
            const std::vector<sat::Rule>& rules, std::size_t& budget, std::string& out)
      : model_(model), notes_(notes), rules_(rules), budget_(budget), out_(out),
        rendered_(rules.size(), false) {
    for (const sat::Rule& rule : rules) {
      if (rule.source) involved_.insert(*rule.source);
      if (rule.target) involved_.insert(*rule.target);
    }
  }

  void run() {
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      if (!rendered_[i] && rules_[i].job) render_job(i);
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
    out_ += std::string(2 * depth, ' ') + "- " + text + "\n";
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
      if (!rendered_[i] && !rules_[i].job && rules_[i].source == package) render_rule(i, depth);
    }
  }

  void render_depends(const sat::Rule& rule, std::size_t depth) {
    const Key& key = model_.key(*rule.key);
    std::vector<sat::PackageIndex> providers = involved_matches(*rule.key);
    std::string line = model_.describe(*rule.source) + " requires " + quoted(key.text);
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
        if (rule.target) {
          emit(depth, source + " and " + model_.describe(*rule.target) +
                          " cannot both be installed: only one " +
                          quoted(model_.candidate(*rule.source).record->name) + " at a time");
        }
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

 public:
  std::size_t suppressed() const { return suppressed_; }

 private:
  const Model& model_;
  const std::vector<JobNote>& notes_;
  const std::vector<sat::Rule>& rules_;
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
    return "the virtual package " + quoted(name) + " is not present on this machine (" +
           variable + " sets it)";
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
  for (const auto& rules : problems) {
    Explainer explainer(model, notes, rules, budget, out);
    explainer.run();
    suppressed += explainer.suppressed();
  }
  if (suppressed > 0) {
    out += "- ... and " + std::to_string(suppressed) + " more reasons\n";
  }
  return out;
}

}  // namespace graft::solve::detail
