#include "env/operation.h"

#include <algorithm>
#include <system_error>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "env/channel_records.h"
#include "env/frozen.h"
#include "env/linker.h"
#include "env/locations.h"
#include "env/package_info.h"
#include "env/pinned.h"
#include "env/prefix_data.h"
#include "solve/virtual_packages.h"
#include "store/fetch.h"

namespace graft::env {
namespace {
namespace fs = std::filesystem;

Result<fs::path> target_prefix(const ChangeRequest& request, const Settings& settings) {
  if (request.action != Action::kCreate) {
    return resolve_existing_prefix({.name = request.name,
                                    .path = request.path,
                                    .root_prefix_flag = request.root_prefix,
                                    .envs_dirs = settings.envs_dirs},
                                   settings.environment);
  }
  if (request.name.empty() == request.path.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "give the new environment a name with -n or a path with -p");
  }
  fs::path prefix =
      request.path.empty() ? fs::path() : fs::absolute(request.path).lexically_normal();
  if (!request.name.empty()) {
    GRAFT_ASSIGN_OR_RETURN(prefix,
                           named_prefix(settings.root_prefix, settings.envs_dirs, request.name));
  }
  std::error_code error;
  if (fs::exists(prefix, error) && !fs::is_empty(prefix, error)) {
    std::string label = request.name.empty() ? prefix.string() : request.name;
    return fail(
        Error(ErrorCode::kAlreadyExists,
              fmt::format("environment '{}' already exists at {}", label, prefix.string()))
            .with_hint("remove it first ('graft env remove -n NAME') or pick another name"));
  }
  return prefix;
}

Result<std::vector<conda::MatchSpec>> parse_specs(const std::vector<std::string>& texts) {
  std::vector<conda::MatchSpec> specs;
  for (const std::string& text : texts) {
    GRAFT_ASSIGN_OR_RETURN(conda::MatchSpec spec, conda::MatchSpec::parse(text));
    specs.push_back(std::move(spec));
  }
  return specs;
}

Result<std::vector<conda::MatchSpec>> pin_specs(const fs::path& prefix) {
  GRAFT_ASSIGN_OR_RETURN(std::vector<Pin> pins, read_pins(prefix));
  std::vector<conda::MatchSpec> specs;
  for (Pin& pin : pins) specs.push_back(std::move(pin.spec));
  return specs;
}

Status check_update_targets(const ChangeRequest& request, const Context& context) {
  if (request.action != Action::kUpdate) return ok();
  for (const auto& spec : context.specs) {
    bool installed = false;
    for (const auto& record : context.installed)
      installed = installed || record.name == spec.name();
    if (!installed) {
      return fail(Error(ErrorCode::kNotFound, fmt::format("package '{}' is not installed in '{}'",
                                                          spec.name(), context.prefix.string()))
                      .with_hint("install it with 'graft install' instead"));
    }
  }
  return ok();
}

// The channels specs name exactly ("conda-forge::numpy"; not globs or regexes).
std::vector<std::string> spec_channels(const std::vector<conda::MatchSpec>& specs) {
  std::vector<std::string> out;
  for (const conda::MatchSpec& spec : specs) {
    const auto channel = spec.get(conda::MatchSpecField::kChannel);
    if (!channel || channel->empty() || channel->find_first_of("*^$") != std::string_view::npos)
      continue;
    out.emplace_back(*channel);
  }
  return out;
}

Result<solve::Request> build_request(const ChangeRequest& change_request, const Context& context,
                                     const store::PackageCache& cache) {
  solve::Request request;
  for (const auto& record : context.installed) request.installed.push_back(record);
  request.options.channel_priority = context.settings.channel_priority;
  request.options.subdir = context.settings.platform;
  GRAFT_ASSIGN_OR_RETURN(request.pins, pin_specs(context.prefix));
  request.virtual_packages = solve::virtual_packages(context.settings.platform, solve::probe_host(),
                                                     context.settings.environment);
  if (change_request.action == Action::kRemove) {
    request.remove = context.specs;
    if (change_request.all) {
      for (const auto& record : context.installed) {
        GRAFT_ASSIGN_OR_RETURN(auto spec, conda::MatchSpec::parse(record.name));
        request.remove.push_back(std::move(spec));
      }
    }
    return request;
  }
  GRAFT_ASSIGN_OR_RETURN(
      auto channels,
      effective_channels(context.settings, change_request.channels, spec_channels(context.specs)));
  if (change_request.action == Action::kUpdate) {
    request.update = context.specs;
    request.update_all = change_request.all;
  } else {
    request.install = context.specs;
  }
  GRAFT_RETURN_IF_ERROR(load_reachable_records(context.settings, cache, channels, request));
  return request;
}

// --force-reinstall, as conda's: each named package that stays installed as it is gets
// unlinked and linked again from the package cache (or its channel).
void add_reinstalls(const Context& context, solve::Transaction& transaction) {
  auto named = [&](const std::vector<conda::PackageRecord>& records, const std::string& name) {
    return std::any_of(records.begin(), records.end(),
                       [&](const auto& record) { return record.name == name; });
  };
  for (const conda::MatchSpec& spec : context.specs) {
    if (named(transaction.link, spec.name()) || named(transaction.unlink, spec.name())) continue;
    for (const conda::PrefixRecord& record : context.installed) {
      if (record.name != spec.name()) continue;
      transaction.unlink.push_back(record);
      transaction.link.push_back(record);
    }
  }
}

// Links the fetched packages; unlinks the installed records the transaction replaces.
Result<TransactionResult> link_fetched(const Context& context, const Change& change,
                                       const std::vector<fs::path>& extracted) {
  std::vector<PackageToLink> link;
  for (const fs::path& directory : extracted) {
    GRAFT_ASSIGN_OR_RETURN(PackageInfo info, read_package_info(directory));
    auto spec = change.requested_specs.find(info.record.name);
    std::string requested = spec == change.requested_specs.end() ? std::string() : spec->second;
    link.push_back({.info = std::move(info), .requested_spec = std::move(requested)});
  }
  std::vector<conda::PrefixRecord> unlink;
  for (const auto& old : change.transaction.unlink) {
    for (const auto& record : context.installed) {
      if (record.name == old.name && record.version == old.version && record.build == old.build) {
        unlink.push_back(record);
      }
    }
  }
  return apply(context.prefix, unlink, link, change.options);
}

// Offline, every package must be in the cache already (or on a local channel): name all
// that are not, not just the first.
Status check_clone_offline(const Context& context, const store::PackageCache& cache,
                           const CloneSource& source, const std::string& label) {
  if (context.settings.network != store::NetworkMode::kOffline) return ok();
  std::vector<std::string> missing;
  for (const auto& record : source.records) {
    if (cache.find_extracted(record) || record.url.starts_with("file://")) continue;
    bool archived = false;
    std::error_code error;
    for (const fs::path& dir : cache.dirs()) {
      archived = archived || fs::is_regular_file(dir / store::package_file_name(record), error);
    }
    if (!archived) {
      missing.push_back(fmt::format("  {} ({})", package_label(record),
                                    record.url.empty() ? "no url recorded" : record.url));
    }
  }
  if (missing.empty()) return ok();
  std::string message =
      fmt::format("cannot clone '{}' offline: {} package{} not in the package cache:", label,
                  missing.size(), missing.size() == 1 ? " is" : "s are");
  for (const std::string& line : missing) message += "\n" + line;
  return fail(Error(ErrorCode::kNotFound, message)
                  .with_hint("run without --offline to download them by their recorded URLs"));
}

}  // namespace

Result<Context> gather(const ChangeRequest& request) {
  Context context;
  GRAFT_ASSIGN_OR_RETURN(context.settings, load_settings(request.root_prefix));
  if (request.channels.offline) context.settings.network = store::NetworkMode::kOffline;
  if (request.channels.strict_channel_priority)
    context.settings.channel_priority = solve::ChannelPriority::kStrict;
  GRAFT_ASSIGN_OR_RETURN(context.prefix, target_prefix(request, context.settings));
  if (request.action != Action::kCreate) {
    GRAFT_ASSIGN_OR_RETURN(EnvLock lock, EnvLock::acquire(context.prefix));
    context.lock = std::make_shared<EnvLock>(std::move(lock));
    GRAFT_ASSIGN_OR_RETURN(context.recovery, recover_journal(context.prefix));
    GRAFT_RETURN_IF_ERROR(check_not_frozen(context.prefix, request.override_frozen));
    GRAFT_ASSIGN_OR_RETURN(context.installed, load_records(context.prefix));
  }
  GRAFT_ASSIGN_OR_RETURN(context.specs, parse_specs(request.specs));
  return context;
}

Result<Change> solve_change(const ChangeRequest& request, const Context& context,
                            const store::PackageCache& cache) {
  bool needs_specs = !(request.action == Action::kUpdate && request.all) &&
                     !(request.action == Action::kRemove && request.all);
  if (needs_specs && context.specs.empty()) {
    return fail(ErrorCode::kInvalidArgument, "no package specs given: name at least one package");
  }
  GRAFT_RETURN_IF_ERROR(check_update_targets(request, context));
  GRAFT_ASSIGN_OR_RETURN(solve::Request solver_request, build_request(request, context, cache));
  Change change;
  GRAFT_ASSIGN_OR_RETURN(change.transaction, solve::solve(solver_request));
  for (const auto& line : change.transaction.choices) spdlog::debug("{}", line);
  if (request.force_reinstall) add_reinstalls(context, change.transaction);
  change.options = default_options(request, context);
  for (std::size_t s = 0; s < context.specs.size(); ++s) {
    change.requested_specs[context.specs[s].name()] = request.specs[s];
  }
  (request.action == Action::kRemove ? change.removed_specs : change.added_specs) = request.specs;
  return change;
}

TransactionOptions default_options(const ChangeRequest& request, const Context& context) {
  TransactionOptions options{
      .mode = request.copy || context.settings.always_copy ? LinkMode::kCopy : LinkMode::kHardLink,
      .command = request.command_line,
      .root_prefix = context.settings.root_prefix,
      .allow_softlinks = context.settings.allow_softlinks};
  (request.action == Action::kRemove ? options.remove_specs : options.update_specs) = request.specs;
  options.lock = context.lock.get();
  if (request.action == Action::kCreate) options.target = Target::kNewOnly;
  auto registry = environments_registry(context.settings.environment);
  if (registry) options.registry = *registry;
  return options;
}

Result<fs::path> clone_source_prefix(const ChangeRequest& request, const Context& context) {
  PrefixChoice choice{.root_prefix_flag = request.root_prefix,
                      .envs_dirs = context.settings.envs_dirs};
  if (request.clone.find('/') != std::string::npos) {
    choice.path = request.clone;
  } else {
    choice.name = request.clone;
  }
  GRAFT_ASSIGN_OR_RETURN(fs::path source,
                         resolve_existing_prefix(choice, context.settings.environment));
  const fs::path target = fs::absolute(context.prefix).lexically_normal();
  if (std::mismatch(source.begin(), source.end(), target.begin(), target.end()).first ==
      source.end()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("cannot clone '{}' into '{}': the new environment would be inside "
                            "the source",
                            request.clone, target.string()));
  }
  return source;
}

Result<Change> clone_change(const ChangeRequest& request, const Context& context,
                            const store::PackageCache& cache, const CloneSource& source) {
  GRAFT_RETURN_IF_ERROR(check_clone_offline(context, cache, source, request.clone));
  Change change;
  std::vector<conda::PackageRecord> packages(source.records.begin(), source.records.end());
  change.transaction.link = solve::dependency_order(std::move(packages));
  for (const auto& record : source.records) {
    std::string spec = clone_requested_spec(record);
    if (!spec.empty()) change.requested_specs[record.name] = std::move(spec);
  }
  change.options = default_options(request, context);
  change.options.update_specs = source.history_specs;
  change.options.before_commit = clone_before_commit(source, context.prefix);
  change.added_specs = source.history_specs;
  return change;
}

Result<Outcome> carry_out(const ChangeRequest& request, const Context& context,
                          store::PackageCache& cache, const Change& change,
                          const CarryOutHooks& hooks) {
  Plan plan{.prefix = context.prefix,
            .added_specs = change.added_specs,
            .removed_specs = change.removed_specs,
            .transaction = &change.transaction};
  for (const auto& record : change.transaction.link) {
    if (!cache.find_extracted(record)) plan.to_fetch.push_back(record);
  }
  plan.nothing_to_do = change.transaction.empty() && request.action != Action::kCreate;
  Verdict verdict = hooks.review ? hooks.review(plan) : Verdict::kProceed;
  if (plan.nothing_to_do || verdict == Verdict::kStop) return Outcome{};
  if (verdict == Verdict::kCancel) {
    return fail(ErrorCode::kConflict, "cancelled: nothing was changed");
  }
  store::FetchOptions fetch_options{.network = context.settings.network};
  fetch_options.download.progress = hooks.progress;
  GRAFT_ASSIGN_OR_RETURN(auto extracted,
                         store::fetch_packages(cache, change.transaction.link, fetch_options));
  Outcome outcome{.applied = true};
  GRAFT_ASSIGN_OR_RETURN(outcome.result, link_fetched(context, change, extracted));
  if (change.after_apply) GRAFT_RETURN_IF_ERROR(change.after_apply());
  return outcome;
}

}  // namespace graft::env
