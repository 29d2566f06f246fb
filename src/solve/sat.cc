// The one file that includes libsolv. `Solvable` has a member named `requires`, a C++20
// keyword, hence the define around the includes.
#include "solve/sat.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <utility>

extern "C" {
#define requires requires_
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/problems.h>
#include <solv/queue.h>
#include <solv/repo.h>
#include <solv/rules.h>
#include <solv/solver.h>
#undef requires
}

namespace graft::solve::sat {
namespace {

struct PoolDeleter {
  void operator()(Pool* pool) const { pool_free(pool); }
};
struct SolverDeleter {
  void operator()(Solver* solver) const { solver_free(solver); }
};

// RAII for libsolv's Queue.
class OwnedQueue {
 public:
  OwnedQueue() { queue_init(&queue_); }
  // Starts in `buffer` (which must outlive the queue) and moves to the heap when it grows.
  template <int kSize>
  explicit OwnedQueue(Id (&buffer)[kSize]) {
    queue_init_buffer(&queue_, buffer, kSize);
  }
  ~OwnedQueue() { queue_free(&queue_); }
  OwnedQueue(const OwnedQueue&) = delete;
  OwnedQueue& operator=(const OwnedQueue&) = delete;
  Queue* get() { return &queue_; }
  Queue& operator*() { return queue_; }

 private:
  Queue queue_;
};

// Ranks are zero-padded so that libsolv's version comparison orders them numerically.
std::string padded_rank(std::uint32_t rank) {
  char text[16];
  std::snprintf(text, sizeof text, "%010u", rank);
  return text;
}

class SatPool {
 public:
  explicit SatPool(const Problem& problem) : problem_(problem), pool_(pool_create()) {
    namespace_ = pool_str2id(pool_.get(), "graft:matchspec", 1);
    key_ids_.resize(problem.keys.size(), 0);
    pool_->nscallback = &SatPool::namespace_callback;
    pool_->nscallbackdata = this;
    add_packages();
    pool_createwhatprovides(pool_.get());
  }

  Outcome solve();

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};

  static Id namespace_callback(Pool* pool, void* data, Id name, Id evr);
  Id key_dependency(KeyIndex key);
  void add_packages();
  void add_package(::Repo* repo, const Package& package, PackageIndex index);
  void add_jobs(Queue& jobs);
  Outcome collect_solution(Solver* solver) const;
  Outcome collect_problems(Solver* solver);
  Rule describe_rule(Solver* solver, Id rule_id);
  std::optional<PackageIndex> package_of(Id solvable) const;
  std::optional<KeyIndex> key_of(Id dependency) const;
  std::optional<KeyIndex> key_of_text(Id text) const;

  const Problem& problem_;
  std::unique_ptr<Pool, PoolDeleter> pool_;
  Id namespace_ = 0;
  std::vector<Id> key_ids_;               // KeyIndex -> namespace dependency id
  std::vector<KeyIndex> key_of_text_;     // string id of a key -> KeyIndex (kNone: not a key)
  std::vector<Id> solvable_of_;           // PackageIndex -> solvable id
  std::vector<PackageIndex> package_of_;  // solvable id -> PackageIndex (kNone: none)
  std::vector<PackageIndex> matches_;     // scratch for namespace_callback
};

// Answers one namespace dependency; libsolv caches the answer per dependency id.
Id SatPool::namespace_callback(Pool* pool, void* data, Id name, Id evr) {
  auto* self = static_cast<SatPool*>(data);
  if (name != self->namespace_) return 0;
  std::optional<KeyIndex> key = self->key_of_text(evr);
  if (!key) return 0;
  std::vector<PackageIndex>& matches = self->matches_;
  matches.clear();
  self->problem_.resolve(*key, matches);
  if (matches.empty()) return 0;
  Id buffer[64];
  OwnedQueue queue(buffer);
  for (PackageIndex index : matches) queue_push(queue.get(), self->solvable_of_.at(index));
  std::sort((*queue).elements, (*queue).elements + (*queue).count);
  return pool_queuetowhatprovides(pool, queue.get());
}

Id SatPool::key_dependency(KeyIndex key) {
  Id& id = key_ids_.at(key);
  if (id != 0) return id;
  Id text = pool_str2id(pool_.get(), problem_.keys[key].c_str(), 1);
  if (static_cast<std::size_t>(text) >= key_of_text_.size()) key_of_text_.resize(text + 1, kNone);
  if (key_of_text_[text] == kNone) key_of_text_[text] = key;  // the first key of a text
  id = pool_rel2id(pool_.get(), namespace_, text, REL_NAMESPACE, 1);
  return id;
}

// Every package of the installed repo is a libsolv installed solvable. An installed repo
// with no packages is not declared: libsolv would still build choice rules for it.
void SatPool::add_packages() {
  std::vector<::Repo*> repos;
  std::vector<bool> used(problem_.repos.size(), false);
  for (const Package& package : problem_.packages) used.at(package.repo) = true;
  for (std::size_t i = 0; i < problem_.repos.size(); ++i) {
    const Repo& repo = problem_.repos[i];
    ::Repo* created = repo_create(pool_.get(), repo.name.c_str());
    created->priority = repo.priority;
    if (repo.installed && used[i]) pool_set_installed(pool_.get(), created);
    repos.push_back(created);
  }
  solvable_of_.reserve(problem_.packages.size());
  for (PackageIndex index = 0; index < problem_.packages.size(); ++index) {
    const Package& package = problem_.packages[index];
    add_package(repos[package.repo], package, index);
  }
  for (::Repo* repo : repos) repo_internalize(repo);
}

void SatPool::add_package(::Repo* repo, const Package& package, PackageIndex index) {
  Pool* pool = pool_.get();
  Id id = repo_add_solvable(repo);
  Solvable* solvable = pool_id2solvable(pool, id);
  solvable->name = pool_str2id(pool, package.name.c_str(), 1);
  solvable->evr = pool_str2id(pool, padded_rank(package.rank).c_str(), 1);
  solvable->arch = ARCH_NOARCH;
  solvable->provides = repo_addid_dep(
      repo, solvable->provides, pool_rel2id(pool, solvable->name, solvable->evr, REL_EQ, 1), 0);
  for (KeyIndex key : package.depends) {
    solvable->requires_ = repo_addid_dep(repo, solvable->requires_, key_dependency(key), 0);
  }
  for (KeyIndex key : package.conflicts) {
    solvable->conflicts = repo_addid_dep(repo, solvable->conflicts, key_dependency(key), 0);
  }
  for (KeyIndex key : package.recommends) {
    solvable->recommends = repo_addid_dep(repo, solvable->recommends, key_dependency(key), 0);
  }
  solvable_of_.push_back(id);
  if (static_cast<std::size_t>(id) >= package_of_.size()) package_of_.resize(id + 1, kNone);
  package_of_[id] = index;
}

void SatPool::add_jobs(Queue& jobs) {
  for (const Job& job : problem_.jobs) {
    switch (job.kind) {
      case JobKind::kInstall:
        queue_push2(&jobs, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, key_dependency(job.target));
        break;
      case JobKind::kUpdate:
        queue_push2(&jobs, SOLVER_UPDATE | SOLVER_SOLVABLE_PROVIDES, key_dependency(job.target));
        break;
      case JobKind::kUpdateAll: queue_push2(&jobs, SOLVER_UPDATE | SOLVER_SOLVABLE_ALL, 0); break;
      case JobKind::kErase:
        queue_push2(&jobs, SOLVER_ERASE | SOLVER_SOLVABLE, solvable_of_.at(job.target));
        break;
      case JobKind::kLock:
        queue_push2(&jobs, SOLVER_LOCK | SOLVER_SOLVABLE, solvable_of_.at(job.target));
        break;
      case JobKind::kFavor:
        queue_push2(&jobs, SOLVER_FAVOR | SOLVER_SOLVABLE, solvable_of_.at(job.target));
        break;
    }
  }
}

// libsolv ignores an install job whose namespace dependency matches nothing (it treats
// such jobs as optional), so those are reported here, one problem each.
Outcome unmatched_jobs(const Problem& problem) {
  Outcome outcome;
  for (std::uint32_t index = 0; index < problem.jobs.size(); ++index) {
    const Job& job = problem.jobs[index];
    if (job.kind != JobKind::kInstall) continue;
    std::vector<PackageIndex> matches;
    problem.resolve(job.target, matches);
    if (!matches.empty()) continue;
    outcome.problems.push_back(
        {Rule{.kind = RuleKind::kJobNothingMatches, .key = job.target, .job = index}});
  }
  return outcome;
}

Outcome SatPool::solve() {
  if (Outcome unmatched = unmatched_jobs(problem_); !unmatched.problems.empty()) {
    return unmatched;
  }
  OwnedQueue jobs;
  add_jobs(*jobs);
  std::unique_ptr<Solver, SolverDeleter> solver(solver_create(pool_.get()));
  solver_set_flag(solver.get(), SOLVER_FLAG_ALLOW_DOWNGRADE, 1);
  solver_set_flag(solver.get(), SOLVER_FLAG_ALLOW_UNINSTALL, problem_.allow_uninstall ? 1 : 0);
  solver_set_flag(solver.get(), SOLVER_FLAG_STRICT_REPO_PRIORITY,
                  problem_.strict_repo_priority ? 1 : 0);
  if (solver_solve(solver.get(), jobs.get()) == 0) return collect_solution(solver.get());
  return collect_problems(solver.get());
}

Outcome SatPool::collect_solution(Solver* solver) const {
  Outcome outcome;
  outcome.solved = true;
  for (PackageIndex index = 0; index < solvable_of_.size(); ++index) {
    if (solver_get_decisionlevel(solver, solvable_of_[index]) > 0) {
      outcome.installed.push_back(index);
    }
  }
  return outcome;
}

Outcome SatPool::collect_problems(Solver* solver) {
  Outcome outcome;
  const unsigned count = solver_problem_count(solver);
  for (Id problem = 1; problem <= static_cast<Id>(count); ++problem) {
    OwnedQueue rules;
    solver_findallproblemrules(solver, problem, rules.get());
    std::vector<Rule> described;
    std::vector<Id> seen;
    for (int i = 0; i < (*rules).count; ++i) {
      Id rule_id = (*rules).elements[i];
      if (std::find(seen.begin(), seen.end(), rule_id) != seen.end()) continue;
      seen.push_back(rule_id);
      described.push_back(describe_rule(solver, rule_id));
    }
    outcome.problems.push_back(std::move(described));
  }
  return outcome;
}

RuleKind kind_of(SolverRuleinfo info) {
  switch (info) {
    case SOLVER_RULE_JOB: return RuleKind::kJob;
    case SOLVER_RULE_JOB_NOTHING_PROVIDES_DEP: return RuleKind::kJobNothingMatches;
    case SOLVER_RULE_JOB_UNKNOWN_PACKAGE: return RuleKind::kJobNothingMatches;
    case SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP: return RuleKind::kNothingMatches;
    case SOLVER_RULE_PKG_REQUIRES: return RuleKind::kDepends;
    case SOLVER_RULE_PKG_CONFLICTS: return RuleKind::kConflicts;
    case SOLVER_RULE_PKG_SAME_NAME: return RuleKind::kSameName;
    case SOLVER_RULE_PKG_IMPLICIT_OBSOLETES: return RuleKind::kSameName;
    case SOLVER_RULE_PKG_INSTALLED_OBSOLETES: return RuleKind::kSameName;
    case SOLVER_RULE_PKG_NOT_INSTALLABLE: return RuleKind::kNotInstallable;
    case SOLVER_RULE_UPDATE: return RuleKind::kInstalled;
    case SOLVER_RULE_FEATURE: return RuleKind::kInstalled;
    case SOLVER_RULE_STRICT_REPO_PRIORITY: return RuleKind::kStrictPriority;
    default: return RuleKind::kOther;
  }
}

Rule SatPool::describe_rule(Solver* solver, Id rule_id) {
  Id source = 0;
  Id target = 0;
  Id dependency = 0;
  SolverRuleinfo info = solver_ruleinfo(solver, rule_id, &source, &target, &dependency);
  Rule rule;
  rule.kind = kind_of(info);
  rule.key = key_of(dependency);
  if ((info & SOLVER_RULE_TYPEMASK) == SOLVER_RULE_JOB) {
    // For job rules libsolv reports the job's index and flags, not solvables.
    int job_index = solver_rule2jobidx(solver, rule_id);
    if (job_index >= 0) rule.job = static_cast<std::uint32_t>(job_index / 2);
    return rule;
  }
  rule.source = package_of(source);
  rule.target = package_of(target);
  return rule;
}

std::optional<PackageIndex> SatPool::package_of(Id solvable) const {
  if (solvable <= 0 || static_cast<std::size_t>(solvable) >= package_of_.size())
    return std::nullopt;
  if (package_of_[solvable] == kNone) return std::nullopt;
  return package_of_[solvable];
}

std::optional<KeyIndex> SatPool::key_of_text(Id text) const {
  if (text <= 0 || static_cast<std::size_t>(text) >= key_of_text_.size()) return std::nullopt;
  if (key_of_text_[text] == kNone) return std::nullopt;
  return key_of_text_[text];
}

std::optional<KeyIndex> SatPool::key_of(Id dependency) const {
  if (dependency == 0 || !ISRELDEP(dependency)) return std::nullopt;
  const Reldep* relation = GETRELDEP(pool_.get(), dependency);
  if (relation->flags != REL_NAMESPACE || relation->name != namespace_) return std::nullopt;
  return key_of_text(relation->evr);
}

}  // namespace

Outcome solve_sat(const Problem& problem) {
  SatPool pool(problem);
  return pool.solve();
}

}  // namespace graft::solve::sat
