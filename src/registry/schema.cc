#include "registry/schema.h"

#include <fmt/core.h>

namespace graft::registry {
namespace {

// Version 1: the first schema. Times are microseconds since the epoch; user hashes are
// the 64-bit hash bit-cast to a signed integer.
constexpr std::string_view kSchema1 = R"sql(
CREATE TABLE experiments (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  spec TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('starting', 'running', 'paused', 'rolled_back',
                                       'promoted', 'stopped', 'failed')),
  step INTEGER NOT NULL,
  weights TEXT NOT NULL CHECK (json_valid(weights)),
  salt TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  updated_us INTEGER NOT NULL,
  controller_pid INTEGER,
  admin_address TEXT,
  code_repository TEXT NOT NULL,
  code_commit TEXT NOT NULL,
  code_dirty INTEGER NOT NULL,
  dataset TEXT NOT NULL
);
CREATE TABLE variants (
  experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  env_name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  environment TEXT NOT NULL,
  environment_sha256 TEXT NOT NULL,
  lock TEXT NOT NULL,
  lock_sha256 TEXT NOT NULL,
  command TEXT NOT NULL,
  replicas INTEGER NOT NULL,
  PRIMARY KEY (experiment_id, name)
);
CREATE TABLE steps (
  id INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
  step_index INTEGER NOT NULL,
  weight INTEGER NOT NULL,
  started_us INTEGER NOT NULL,
  ended_us INTEGER
);
CREATE INDEX steps_by_experiment ON steps (experiment_id, id);
CREATE TABLE decisions (
  id INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
  at_us INTEGER NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('hold', 'advance', 'rollback', 'promote', 'pause',
                                         'resume', 'set_weight', 'stop')),
  reason TEXT NOT NULL,
  metrics TEXT NOT NULL CHECK (json_valid(metrics)),
  manual INTEGER NOT NULL
);
CREATE INDEX decisions_by_experiment ON decisions (experiment_id, id);
CREATE TABLE assignments (
  experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
  request_id TEXT NOT NULL,
  variant TEXT NOT NULL,
  user_hash INTEGER,
  at_us INTEGER NOT NULL,
  status INTEGER NOT NULL,
  latency_us INTEGER NOT NULL,
  PRIMARY KEY (experiment_id, request_id)
);
CREATE INDEX assignments_by_time ON assignments (experiment_id, at_us);
CREATE TABLE feedback (
  id INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
  request_id TEXT NOT NULL,
  value REAL NOT NULL,
  at_us INTEGER NOT NULL
);
CREATE INDEX feedback_by_request ON feedback (experiment_id, request_id);
CREATE INDEX feedback_by_time ON feedback (experiment_id, at_us);
)sql";

Status create_schema_1(sqlite::Connection& connection) {
  return connection.execute(kSchema1);
}

constexpr Migration kMigrations[] = {
    {.version = 1, .apply = create_schema_1},
};

Status write_version(sqlite::Connection& connection, int version) {
  GRAFT_RETURN_IF_ERROR(
      connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
                         "DELETE FROM schema_version;"));
  GRAFT_ASSIGN_OR_RETURN(auto insert,
                         connection.prepare("INSERT INTO schema_version (version) VALUES (?)"));
  return insert.bind_all(std::int64_t{version}).run();
}

struct TableCounts {
  int version_tables = 0;  // tables named schema_version: 0 or 1
  int all_tables = 0;
};

// Both counts in one statement, so one snapshot: another process's first migration can not
// commit between them.
Result<TableCounts> count_tables(sqlite::Connection& connection) {
  GRAFT_ASSIGN_OR_RETURN(
      auto query,
      connection.prepare("SELECT count(*) FILTER (WHERE name = 'schema_version'), count(*) "
                         "FROM sqlite_schema WHERE type = 'table'"));
  GRAFT_ASSIGN_OR_RETURN(const bool row, query.step());
  if (!row) return TableCounts{};
  return TableCounts{.version_tables = static_cast<int>(query.column_int(0)),
                     .all_tables = static_cast<int>(query.column_int(1))};
}

Error not_a_registry(const sqlite::Connection& connection, std::string_view why) {
  return Error(ErrorCode::kCorrupt,
               fmt::format("'{}' is not a graft registry: {}", connection.path().string(), why))
      .with_hint("move the file aside; graft starts a new registry in its place");
}

Error newer_than(const sqlite::Connection& connection, int version, int latest) {
  return Error(ErrorCode::kConflict,
               fmt::format("the registry '{}' has schema version {}, newer than this graft "
                           "knows ({}): a newer graft wrote it",
                           connection.path().string(), version, latest))
      .with_hint("use that newer graft, or another root for this one");
}

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

Result<int> schema_version(sqlite::Connection& connection) {
  GRAFT_ASSIGN_OR_RETURN(const TableCounts tables, count_tables(connection));
  if (tables.version_tables == 0) {
    if (tables.all_tables > 0) return fail(not_a_registry(connection, "it has no schema version"));
    return 0;
  }
  GRAFT_ASSIGN_OR_RETURN(auto query, connection.prepare("SELECT version FROM schema_version"));
  GRAFT_ASSIGN_OR_RETURN(const bool row, query.step());
  if (!row) return fail(not_a_registry(connection, "its schema version is missing"));
  return static_cast<int>(query.column_int(0));
}

Result<int> migrate(sqlite::Connection& connection, std::span<const Migration> migrations) {
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  GRAFT_ASSIGN_OR_RETURN(int version, schema_version(connection));
  if (version > latest) return fail(newer_than(connection, version, latest));
  if (version == latest) return version;  // the usual case: no write lock taken
  GRAFT_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(connection));
  // Another process may have migrated while this one waited for the lock.
  GRAFT_ASSIGN_OR_RETURN(version, schema_version(connection));
  if (version > latest) return fail(newer_than(connection, version, latest));
  for (const Migration& migration : migrations) {
    if (migration.version <= version) continue;
    if (auto status = migration.apply(connection); !status) {
      return fail(std::move(status.error())
                      .with_context(fmt::format("migrating to version {}", migration.version)));
    }
    version = migration.version;
  }
  GRAFT_RETURN_IF_ERROR(write_version(connection, version));
  GRAFT_RETURN_IF_ERROR(transaction.commit());
  return version;
}

}  // namespace graft::registry
