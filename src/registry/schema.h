// The registry's schema and its migrations. Version N of the schema is what migrations
// 1..N make; a database records its version in the one-row table `schema_version`.
// Opening runs the missing migrations in order, each batch in one write transaction, and
// refuses a database whose version is newer than the last migration this graft knows.
//
// To change the schema, append a migration (version = last + 1) to migrations() in
// schema.cc; never edit a released one.
#pragma once

#include <span>

#include "base/result.h"
#include "registry/sqlite.h"

namespace graft::registry {

struct Migration {
  int version = 0;                                 // 1, 2, ... without gaps
  Status (*apply)(sqlite::Connection&) = nullptr;  // runs inside the write transaction
};

// This graft's migrations, in order.
[[nodiscard]] std::span<const Migration> migrations();

// The version recorded in the database: 0 for an empty one. kCorrupt for an SQLite file
// that is not a registry (tables but no version), and the file errors of sqlite.h.
[[nodiscard]] Result<int> schema_version(sqlite::Connection& connection);

// Brings the database to the last of `migrations` and returns that version. kConflict when
// the database is newer than that: it was written by a newer graft.
[[nodiscard]] Result<int> migrate(sqlite::Connection& connection,
                                  std::span<const Migration> migrations);

}  // namespace graft::registry
