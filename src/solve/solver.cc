#include "solve/solver.h"

#include <algorithm>
#include <set>
#include <utility>

#include "base/strings.h"
#include "solve/explain.h"
#include "solve/model.h"
#include "solve/order.h"
#include "solve/precheck.h"
#include "solve/sat.h"

namespace graft::solve {
namespace {

using detail::JobNote;
using detail::JobOrigin;
using detail::KeyKind;
using detail::Model;
using detail::Origin;

std::string spec_text(const conda::MatchSpec& spec) {
  return spec.original().empty() ? spec.to_string() : spec.original();
}

// The names the request mentions: installed packages of these names are not favored/locked.
std::set<std::string> requested_names(const Request& request) {
  std::set<std::string> names;
  for (const auto* specs : {&request.install, &request.update, &request.remove}) {
    for (const auto& spec : *specs) names.insert(spec.name());
  }
  return names;
}

Status check_requested_names(const Model& model, const Request& request) {
  std::vector<std::string> missing;
  for (const auto* specs : {&request.install, &request.update}) {
    for (const auto& spec : *specs) {
      if (spec.has_exact_name() && model.named(spec.name()).empty()) missing.push_back(spec.name());
    }
  }
  if (missing.empty()) return ok();
  std::string message = "package '" + missing[0] + "' is not available from the channels";
  if (missing.size() > 1) {
    message = "packages '" + base::join(missing, "', '") + "' are not available from the channels";
  }
  Error error(ErrorCode::kNotFound, message);
  std::vector<std::string> names = model.names();
  if (!request.other_names.empty()) {
    names.insert(names.end(), request.other_names.begin(), request.other_names.end());
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
  }
  if (std::string close = base::closest_match(missing[0], names); !close.empty()) {
    return fail(std::move(error).with_hint("did you mean '" + close + "'?"));
  }
  return fail(std::move(error).with_hint("check the name, or add a channel that has it"));
}

class JobPlan {
 public:
  explicit JobPlan(Model& model) : model_(model) {}

  void add(sat::Job job, JobOrigin origin, std::string text) {
    model_.problem().jobs.push_back(job);
    notes_.push_back({origin, std::move(text)});
  }
  const std::vector<JobNote>& notes() const { return notes_; }

  void add_requests(const Request& request) {
    for (const auto& spec : request.install) {
      add({sat::JobKind::kInstall, model_.intern(KeyKind::kMatch, spec)}, JobOrigin::kInstall,
          spec_text(spec));
    }
    for (const auto& spec : request.update) {
      sat::KeyIndex key = model_.intern(KeyKind::kMatch, spec);
      add({sat::JobKind::kInstall, key}, JobOrigin::kUpdate, spec_text(spec));
      add({sat::JobKind::kUpdate, key}, JobOrigin::kUpdate, spec_text(spec));
    }
    if (request.update_all) add({sat::JobKind::kUpdateAll, 0}, JobOrigin::kUpdate, "--all");
  }

  // A pin keeps every channel package of its name that it does not match out.
  void add_pins(const Request& request) {
    for (const auto& pin : request.pins) {
      std::vector<sat::PackageIndex> excluded;
      model_.resolve(model_.intern(KeyKind::kExclude, pin), excluded);
      for (sat::PackageIndex package : excluded) {
        if (model_.candidate(package).origin != Origin::kChannel) continue;
        add({sat::JobKind::kLock, package}, JobOrigin::kPin, spec_text(pin));
      }
    }
  }

  // Installed packages the request does not name are favored, or locked when frozen (or
  // when removing: conda's remove changes nothing else).
  void keep_installed(const Request& request, const std::set<sat::PackageIndex>& removed) {
    if (request.update_all) return;
    const bool lock =
        request.options.update_scope == UpdateScope::kFreezeInstalled || !request.remove.empty();
    const std::set<std::string> named = requested_names(request);
    for (sat::PackageIndex i = 0; i < model_.size(); ++i) {
      const auto& candidate = model_.candidate(i);
      if (candidate.origin != Origin::kInstalled || removed.contains(i)) continue;
      if (named.contains(candidate.record->name)) continue;
      add({lock ? sat::JobKind::kLock : sat::JobKind::kFavor, i}, JobOrigin::kKeep,
          model_.describe(i));
    }
  }

 private:
  Model& model_;
  std::vector<JobNote> notes_;
};

// True when some installed package outside `removed` satisfies `dependency`.
bool still_met(const Model& model, const std::string& dependency,
               const std::set<sat::PackageIndex>& removed) {
  auto spec = conda::MatchSpec::parse(dependency);
  if (!spec || !spec->has_exact_name()) return true;
  bool any_removed = false;
  for (sat::PackageIndex i : model.named(spec->name())) {
    const auto& candidate = model.candidate(i);
    if (candidate.origin == Origin::kChannel || !spec->matches(*candidate.record)) continue;
    if (!removed.contains(i)) return true;
    any_removed = true;
  }
  return !any_removed;  // a dependency that was already unmet is not ours to enforce
}

// The installed packages `remove` takes: those matched, then whatever depends on them.
Result<std::set<sat::PackageIndex>> removal_set(const Model& model, const Request& request) {
  std::set<sat::PackageIndex> removed;
  for (const auto& spec : request.remove) {
    bool found = false;
    for (sat::PackageIndex i = 0; i < model.size(); ++i) {
      const auto& candidate = model.candidate(i);
      if (candidate.origin != Origin::kInstalled || !spec.matches(*candidate.record)) continue;
      removed.insert(i);
      found = true;
    }
    if (!found) {
      return fail(ErrorCode::kNotFound,
                  "cannot remove '" + spec_text(spec) + "': no installed package matches it");
    }
  }
  for (bool grew = true; grew;) {
    grew = false;
    for (sat::PackageIndex i = 0; i < model.size(); ++i) {
      const auto& candidate = model.candidate(i);
      if (candidate.origin != Origin::kInstalled || removed.contains(i)) continue;
      for (const auto& dependency : candidate.record->depends) {
        if (still_met(model, dependency, removed)) continue;
        removed.insert(i);
        grew = true;
        break;
      }
    }
  }
  return removed;
}

Error unsatisfiable(const Model& model, const std::vector<JobNote>& notes,
                    const sat::Outcome& outcome) {
  bool only_missing =
      std::all_of(outcome.problems.begin(), outcome.problems.end(), [](const auto& rules) {
        return rules.size() == 1 && rules[0].kind == sat::RuleKind::kJobNothingMatches;
      });
  std::string body = detail::explain_problems(model, notes, outcome.problems);
  if (only_missing) {
    return Error(ErrorCode::kNotFound, "no package in the channels matches the request:\n" + body);
  }
  return Error(ErrorCode::kConflict, "cannot satisfy the request:\n" + body);
}

// The records of `packages` in dependency order, naming dependencies from the model's
// parsed keys (package.depends[j] is the key of record.depends[j]).
std::vector<conda::PackageRecord> ordered_records(const Model& model,
                                                  const std::vector<sat::PackageIndex>& packages) {
  std::vector<conda::PackageRecord> records;
  records.reserve(packages.size());
  for (sat::PackageIndex i : packages) records.push_back(*model.candidate(i).record);
  auto name_of = [&](std::size_t record, std::size_t dependency, const std::string&) {
    const detail::Key& key =
        model.key(model.problem().packages[packages[record]].depends[dependency]);
    if (!key.spec || !key.spec->has_exact_name()) return std::string();
    return key.spec->name();
  };
  return detail::dependency_order(std::move(records), name_of);
}

Transaction make_transaction(const Model& model, const std::vector<sat::PackageIndex>& after) {
  std::vector<bool> kept(model.size(), false);
  for (sat::PackageIndex i : after) kept[i] = true;
  std::vector<sat::PackageIndex> link;
  std::vector<sat::PackageIndex> unlink;
  for (sat::PackageIndex i = 0; i < model.size(); ++i) {
    const Origin origin = model.candidate(i).origin;
    if (origin == Origin::kChannel && kept[i]) link.push_back(i);
    if (origin == Origin::kInstalled && !kept[i]) unlink.push_back(i);
  }
  // The same package unlinked and linked again is no change.
  std::erase_if(link, [&model, &unlink](sat::PackageIndex linked) {
    if (unlink.empty()) return false;
    const std::string dist = conda::dist_name(*model.candidate(linked).record);
    auto same = std::find_if(unlink.begin(), unlink.end(), [&](sat::PackageIndex old) {
      return conda::dist_name(*model.candidate(old).record) == dist;
    });
    if (same == unlink.end()) return false;
    unlink.erase(same);
    return true;
  });
  Transaction transaction;
  transaction.link = ordered_records(model, link);
  transaction.unlink = ordered_records(model, unlink);
  std::reverse(transaction.unlink.begin(), transaction.unlink.end());
  return transaction;
}

}  // namespace

Result<Transaction> solve(const Request& request) {
  Model model(request);
  GRAFT_RETURN_IF_ERROR(check_requested_names(model, request));
  GRAFT_ASSIGN_OR_RETURN(std::set<sat::PackageIndex> removed, removal_set(model, request));
  JobPlan plan(model);
  for (sat::PackageIndex package : removed) {
    plan.add({sat::JobKind::kErase, package}, JobOrigin::kRemove, model.describe(package));
  }
  model.problem().allow_uninstall = !removed.empty();
  plan.add_requests(request);
  plan.add_pins(request);
  plan.keep_installed(request, removed);
  if (auto direct = detail::direct_conflicts(model); !direct.empty()) {
    return fail(unsatisfiable(model, plan.notes(), sat::Outcome{.problems = std::move(direct)}));
  }
  sat::Outcome outcome = sat::solve_sat(model.problem());
  if (!outcome.solved) return fail(unsatisfiable(model, plan.notes(), outcome));
  Transaction transaction = make_transaction(model, outcome.installed);
  for (sat::PackageIndex i : outcome.installed) {
    if (model.candidate(i).origin != Origin::kChannel) continue;
    if (std::string line = detail::explain_choice(model, i); !line.empty()) {
      transaction.choices.push_back(std::move(line));
    }
  }
  std::sort(transaction.choices.begin(), transaction.choices.end());
  return transaction;
}

}  // namespace graft::solve
