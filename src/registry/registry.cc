#include "registry/registry.h"

#include <chrono>
#include <thread>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/hash.h"
#include "base/strings.h"
#include "registry/schema.h"

namespace graft::registry {
namespace {

constexpr std::string_view kExperimentColumns =
    "id, name, spec, state, step, weights, salt, created_us, updated_us, controller_pid, "
    "admin_address, code_repository, code_commit, code_dirty, dataset";
constexpr std::string_view kVariantColumns =
    "name, env_name, prefix, environment, environment_sha256, lock, lock_sha256, command, "
    "replicas";
constexpr std::string_view kDecisionColumns = "at_us, action, reason, metrics, manual";

std::string encode_weights(const Weights& weights) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [variant, weight] : weights) object[variant] = weight;
  return object.dump();
}

Result<Weights> decode_weights(const std::string& text) {
  const auto object = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  Weights weights;
  if (!object.is_object()) return fail(ErrorCode::kCorrupt, "weights are not a JSON object");
  for (const auto& [variant, weight] : object.items()) {
    if (!weight.is_number_unsigned()) {
      return fail(ErrorCode::kCorrupt, fmt::format("the weight of '{}' is not a number", variant));
    }
    weights[variant] = weight.get<std::uint32_t>();
  }
  return weights;
}

Error damaged_row(const sqlite::Connection& connection, std::string_view what, Error cause) {
  return Error(ErrorCode::kCorrupt, fmt::format("the registry '{}' is damaged: {}: {}",
                                                connection.path().string(), what, cause.message()));
}

Result<Experiment> read_experiment(const sqlite::Connection& connection,
                                   const sqlite::Statement& row) {
  Experiment experiment{.id = row.column_int(0),
                        .name = row.column_text(1),
                        .spec = row.column_text(2),
                        .step = static_cast<std::int32_t>(row.column_int(4)),
                        .salt = row.column_text(6),
                        .created = from_micros(row.column_int(7)),
                        .updated = from_micros(row.column_int(8)),
                        .code = {.repository = row.column_text(11),
                                 .commit = row.column_text(12),
                                 .dirty = row.column_int(13) != 0},
                        .dataset = row.column_text(14)};
  const std::string what = fmt::format("experiment '{}'", experiment.name);
  auto state = parse_state(row.column_text(3));
  if (!state) return fail(damaged_row(connection, what, std::move(state.error())));
  experiment.state = *state;
  auto weights = decode_weights(row.column_text(5));
  if (!weights) return fail(damaged_row(connection, what, std::move(weights.error())));
  experiment.weights = std::move(*weights);
  if (!row.column_is_null(9)) {
    experiment.controller = Controller{row.column_int(9), row.column_text(10)};
  }
  return experiment;
}

Variant read_variant(const sqlite::Statement& row) {
  return {.name = row.column_text(0),
          .env_name = row.column_text(1),
          .prefix = row.column_text(2),
          .environment = row.column_text(3),
          .environment_sha256 = row.column_text(4),
          .lock = row.column_text(5),
          .lock_sha256 = row.column_text(6),
          .command = row.column_text(7),
          .replicas = static_cast<std::uint32_t>(row.column_int(8))};
}

Result<Decision> read_decision(const sqlite::Connection& connection, const sqlite::Statement& row) {
  auto action = parse_action(row.column_text(1));
  if (!action) return fail(damaged_row(connection, "a decision", std::move(action.error())));
  return Decision{
      .at = from_micros(row.column_int(0)),
      .action = *action,
      .reason = row.column_text(2),
      .metrics = row.column_text(3),
      .origin = row.column_int(4) != 0 ? DecisionOrigin::kManual : DecisionOrigin::kController};
}

// Every row of `query`, read by `read` (which returns T or Result<T>).
template <typename T, typename Read>
Result<std::vector<T>> collect(sqlite::Statement& query, Read read) {
  std::vector<T> rows;
  while (true) {
    GRAFT_ASSIGN_OR_RETURN(const bool row, query.step());
    if (!row) return rows;
    if constexpr (std::is_same_v<decltype(read(query)), T>) {
      rows.push_back(read(query));
    } else {
      GRAFT_ASSIGN_OR_RETURN(T value, read(query));
      rows.push_back(std::move(value));
    }
  }
}

Status insert_variant(sqlite::Connection& connection, ExperimentId id, std::int64_t position,
                      const Variant& variant) {
  GRAFT_ASSIGN_OR_RETURN(auto insert, connection.prepare(fmt::format(
                                          "INSERT INTO variants (experiment_id, position, {}) "
                                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                          kVariantColumns)));
  return insert
      .bind_all(id, position, variant.name, variant.env_name, variant.prefix, variant.environment,
                base::sha256_hex(variant.environment), variant.lock, base::sha256_hex(variant.lock),
                variant.command, std::int64_t{variant.replicas})
      .run();
}

Status insert_experiment(sqlite::Connection& connection, const NewExperiment& experiment) {
  GRAFT_ASSIGN_OR_RETURN(
      auto insert, connection.prepare(
                       fmt::format("INSERT INTO experiments ({}) "
                                   "VALUES (NULL, ?, ?, ?, -1, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?)",
                                   kExperimentColumns)));
  const std::int64_t created = to_micros(experiment.created);
  return insert
      .bind_all(experiment.name, experiment.spec, state_name(ExperimentState::kStarting),
                encode_weights(experiment.weights), experiment.salt, created, created,
                experiment.code.repository, experiment.code.commit,
                std::int64_t{experiment.code.dirty}, experiment.dataset)
      .run();
}

// `function(*value)`, or nothing without a value (std::optional::transform is C++23).
template <typename T, typename Function>
auto mapped(const std::optional<T>& value, Function function)
    -> std::optional<std::decay_t<decltype(function(*value))>> {
  if (!value) return std::nullopt;
  return function(*value);
}

bool is_json_object(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false).is_object();
}

Error unknown_id(ExperimentId id) {
  return Error(ErrorCode::kNotFound, fmt::format("no experiment with id {} in the registry", id));
}

}  // namespace

namespace {

// Switches to WAL and brings the schema up to date. While another process makes the same
// registry, SQLite can answer "busy" at once instead of waiting in its busy handler (a
// journal mode change, a read that must become a write): that is retried until
// `busy_timeout` has passed.
Result<int> prepare_schema(sqlite::Connection& connection, std::chrono::milliseconds busy_timeout) {
  const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
  while (true) {
    Result<int> version = [&]() -> Result<int> {
      GRAFT_RETURN_IF_ERROR(connection.execute(
          "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"));
      return migrate(connection, migrations());
    }();
    if (version || version.error().code() != ErrorCode::kUnavailable ||
        std::chrono::steady_clock::now() >= deadline) {
      return version;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

Result<Registry> Registry::open(const std::filesystem::path& path, const RegistryOptions& options) {
  if (path.has_parent_path()) GRAFT_RETURN_IF_ERROR(base::make_directories(path.parent_path()));
  GRAFT_ASSIGN_OR_RETURN(auto connection, sqlite::Connection::open(path, options.busy_timeout));
  GRAFT_ASSIGN_OR_RETURN(const int version, prepare_schema(connection, options.busy_timeout));
  return Registry(std::move(connection), version);
}

Result<Experiment> Registry::create_experiment(const NewExperiment& experiment) {
  if (experiment.variants.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("experiment '{}' has no variants: list at least the baseline",
                            experiment.name));
  }
  GRAFT_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(connection_));
  GRAFT_ASSIGN_OR_RETURN(auto taken,
                         connection_.prepare("SELECT 1 FROM experiments WHERE name = ?"));
  GRAFT_ASSIGN_OR_RETURN(const bool exists, taken.bind_all(experiment.name).step());
  if (exists) {
    return fail(Error(ErrorCode::kAlreadyExists,
                      fmt::format("experiment '{}' already exists", experiment.name))
                    .with_hint(fmt::format("choose another name, or carry it on with "
                                           "'graft exp resume {}'",
                                           experiment.name)));
  }
  GRAFT_RETURN_IF_ERROR(insert_experiment(connection_, experiment));
  const ExperimentId id = connection_.last_insert_id();
  for (std::size_t position = 0; position < experiment.variants.size(); ++position) {
    GRAFT_RETURN_IF_ERROR(insert_variant(connection_, id, static_cast<std::int64_t>(position),
                                         experiment.variants[position]));
  }
  GRAFT_RETURN_IF_ERROR(transaction.commit());
  return Experiment{.id = id,
                    .name = experiment.name,
                    .spec = experiment.spec,
                    .weights = experiment.weights,
                    .salt = experiment.salt,
                    .created = experiment.created,
                    .updated = experiment.created,
                    .code = experiment.code,
                    .dataset = experiment.dataset};
}

Result<std::vector<std::string>> Registry::names() {
  GRAFT_ASSIGN_OR_RETURN(auto query, connection_.prepare("SELECT name FROM experiments"));
  return collect<std::string>(query,
                              [](const sqlite::Statement& row) { return row.column_text(0); });
}

Result<Experiment> Registry::find(std::string_view name) {
  GRAFT_ASSIGN_OR_RETURN(
      auto query, connection_.prepare(fmt::format("SELECT {} FROM experiments WHERE name = ?",
                                                  kExperimentColumns)));
  GRAFT_ASSIGN_OR_RETURN(const bool row, query.bind_all(name).step());
  if (row) return read_experiment(connection_, query);
  GRAFT_ASSIGN_OR_RETURN(const auto candidates, names());
  std::string message = fmt::format("unknown experiment '{}'", name);
  if (auto suggestion = base::closest_match(name, candidates); !suggestion.empty()) {
    message += fmt::format(", did you mean '{}'?", suggestion);
  }
  return fail(Error(ErrorCode::kNotFound, std::move(message))
                  .with_hint("'graft exp list' shows the recorded experiments"));
}

Result<std::vector<Experiment>> Registry::list() {
  GRAFT_ASSIGN_OR_RETURN(
      auto query, connection_.prepare(fmt::format(
                      "SELECT {} FROM experiments ORDER BY created_us, id", kExperimentColumns)));
  return collect<Experiment>(
      query, [this](const sqlite::Statement& row) { return read_experiment(connection_, row); });
}

Result<ExperimentRecord> Registry::load(std::string_view name) {
  GRAFT_ASSIGN_OR_RETURN(auto snapshot,
                         sqlite::Transaction::begin(connection_, sqlite::TransactionKind::kRead));
  ExperimentRecord record;
  GRAFT_ASSIGN_OR_RETURN(record.experiment, find(name));
  const ExperimentId id = record.experiment.id;
  GRAFT_ASSIGN_OR_RETURN(auto variants, connection_.prepare(fmt::format(
                                            "SELECT {} FROM variants WHERE experiment_id = ? "
                                            "ORDER BY position",
                                            kVariantColumns)));
  GRAFT_ASSIGN_OR_RETURN(record.variants, collect<Variant>(variants.bind_all(id), read_variant));
  GRAFT_ASSIGN_OR_RETURN(auto steps,
                         connection_.prepare("SELECT step_index, weight, started_us, ended_us "
                                             "FROM steps WHERE experiment_id = ? ORDER BY id"));
  GRAFT_ASSIGN_OR_RETURN(
      record.steps, collect<Step>(steps.bind_all(id), [](const sqlite::Statement& row) {
        return Step{.index = static_cast<std::int32_t>(row.column_int(0)),
                    .weight = static_cast<std::uint32_t>(row.column_int(1)),
                    .started = from_micros(row.column_int(2)),
                    .ended = row.column_is_null(3) ? std::nullopt
                                                   : std::optional(from_micros(row.column_int(3)))};
      }));
  GRAFT_ASSIGN_OR_RETURN(record.decisions, latest_decisions(id, SIZE_MAX));
  return record;
}

Result<std::vector<Decision>> Registry::latest_decisions(ExperimentId id, std::size_t limit) {
  GRAFT_ASSIGN_OR_RETURN(
      auto query, connection_.prepare(fmt::format(
                      "SELECT {0} FROM (SELECT id, {0} FROM decisions WHERE experiment_id = ? "
                      "ORDER BY id DESC LIMIT ?) ORDER BY id",
                      kDecisionColumns)));
  const auto bounded = static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
  return collect<Decision>(query.bind_all(id, bounded), [this](const sqlite::Statement& row) {
    return read_decision(connection_, row);
  });
}

Status Registry::apply(ExperimentId id, const ExperimentChange& change, Time at) {
  GRAFT_ASSIGN_OR_RETURN(
      auto update, connection_.prepare("UPDATE experiments SET updated_us = ?, "
                                       "state = coalesce(?, state), step = coalesce(?, step), "
                                       "weights = coalesce(?, weights) WHERE id = ?"));
  const auto state = mapped(change.state, state_name);
  const auto step = mapped(change.step, [](StepStart s) { return std::int64_t{s.index}; });
  const auto weights = mapped(change.weights, encode_weights);
  GRAFT_RETURN_IF_ERROR(update.bind_all(to_micros(at), state, step, weights, id).run());
  if (connection_.changes() == 0) return fail(unknown_id(id));
  const bool ends_step = change.step || (change.state && is_final(*change.state));
  if (!ends_step) return ok();
  GRAFT_ASSIGN_OR_RETURN(auto end,
                         connection_.prepare("UPDATE steps SET ended_us = ? "
                                             "WHERE experiment_id = ? AND ended_us IS NULL"));
  GRAFT_RETURN_IF_ERROR(end.bind_all(to_micros(at), id).run());
  if (!change.step) return ok();
  GRAFT_ASSIGN_OR_RETURN(
      auto start, connection_.prepare("INSERT INTO steps (experiment_id, step_index, weight, "
                                      "started_us) VALUES (?, ?, ?, ?)"));
  return start
      .bind_all(id, std::int64_t{change.step->index}, std::int64_t{change.step->weight},
                to_micros(at))
      .run();
}

Status Registry::update(ExperimentId id, const ExperimentChange& change, Time at) {
  GRAFT_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(connection_));
  GRAFT_RETURN_IF_ERROR(apply(id, change, at));
  return transaction.commit();
}

Status Registry::record_decision(ExperimentId id, const Decision& decision,
                                 const ExperimentChange& change) {
  if (!is_json_object(decision.metrics)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the metrics of a '{}' decision are not a JSON object: {}",
                            action_name(decision.action), decision.metrics));
  }
  GRAFT_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(connection_));
  GRAFT_RETURN_IF_ERROR(apply(id, change, decision.at));
  GRAFT_ASSIGN_OR_RETURN(
      auto insert, connection_.prepare(fmt::format("INSERT INTO decisions (experiment_id, {}) "
                                                   "VALUES (?, ?, ?, ?, ?, ?)",
                                                   kDecisionColumns)));
  const std::int64_t manual = decision.origin == DecisionOrigin::kManual ? 1 : 0;
  GRAFT_RETURN_IF_ERROR(insert
                            .bind_all(id, to_micros(decision.at), action_name(decision.action),
                                      decision.reason, decision.metrics, manual)
                            .run());
  return transaction.commit();
}

Status Registry::set_controller(ExperimentId id, const std::optional<Controller>& controller,
                                Time at) {
  GRAFT_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(connection_));
  GRAFT_ASSIGN_OR_RETURN(auto update,
                         connection_.prepare("UPDATE experiments SET controller_pid = ?, "
                                             "admin_address = ?, updated_us = ? WHERE id = ?"));
  const auto pid = mapped(controller, [](const Controller& c) { return c.pid; });
  const auto address = mapped(controller, [](const Controller& c) { return c.admin_address; });
  GRAFT_RETURN_IF_ERROR(update.bind_all(pid, address, to_micros(at), id).run());
  if (connection_.changes() == 0) return fail(unknown_id(id));
  return transaction.commit();
}

Status Registry::replace_variant(ExperimentId id, const Variant& variant, Time at) {
  GRAFT_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(connection_));
  GRAFT_ASSIGN_OR_RETURN(auto position,
                         connection_.prepare("DELETE FROM variants WHERE experiment_id = ? AND "
                                             "name = ? RETURNING position"));
  GRAFT_ASSIGN_OR_RETURN(const bool found, position.bind_all(id, variant.name).step());
  if (!found) {
    return fail(ErrorCode::kNotFound,
                fmt::format("the experiment has no variant '{}'", variant.name));
  }
  const std::int64_t at_position = position.column_int(0);
  GRAFT_RETURN_IF_ERROR(position.run());
  GRAFT_RETURN_IF_ERROR(insert_variant(connection_, id, at_position, variant));
  GRAFT_RETURN_IF_ERROR(apply(id, {}, at));
  return transaction.commit();
}

}  // namespace graft::registry
