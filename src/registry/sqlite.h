// The one RAII wrapper of the SQLite C API in graft: a connection, its prepared statements
// and a write transaction. Every SQLite error becomes a graft::Error that names the
// database file (busy, damaged, I/O), so no caller sees a raw SQLite code.
//
// Module-internal: only src/registry uses it; the rest of graft talks to the typed
// Registry and TrafficLog APIs.
//
// Thread-safety: a Connection and its Statements are used by one thread at a time.
// Separate connections (threads or processes) may share one file: SQLite serializes their
// writers, and a busy writer makes the others wait up to the busy timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace graft::registry::sqlite {

class Statement;
struct Database;  // the open handle and its path, at a fixed address for Statements

class Connection {
 public:
  // Opens (creating it when missing) the database at `path`, with `busy_timeout` as the
  // longest wait for another writer. Does not read the file yet, so a damaged file shows
  // up on the first statement. Errors: kIo when it can not be opened.
  [[nodiscard]] static Result<Connection> open(const std::filesystem::path& path,
                                               std::chrono::milliseconds busy_timeout);

  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one or more statements that return no rows (schema, pragmas).
  [[nodiscard]] Status execute(std::string_view sql);
  // Compiles one statement. An SQL mistake is kInternal (a bug in graft).
  [[nodiscard]] Result<Statement> prepare(std::string_view sql);

  // The row id of the last INSERT on this connection.
  [[nodiscard]] std::int64_t last_insert_id() const;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  [[nodiscard]] std::int64_t changes() const;
  [[nodiscard]] const std::filesystem::path& path() const;

  // The graft error for SQLite result `code` (its extended code) while `doing` something:
  // kUnavailable for busy, kCorrupt for a damaged or foreign file, kIo for the disk,
  // kConflict for a broken constraint, kInternal otherwise.
  [[nodiscard]] Error error(int code, std::string_view doing) const;

 private:
  explicit Connection(std::unique_ptr<Database> database);

  std::unique_ptr<Database> database_;
};

// A prepared statement. Parameters are numbered from 1, result columns from 0. Binding
// never fails on its own: a bind error is kept and returned by the next step().
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);  // copied by SQLite
  Statement& bind_null(int index);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }
  // Binds `values` to parameters 1, 2, ... in order.
  template <typename... Values>
  Statement& bind_all(const Values&... values) {
    int index = 0;
    (bind(++index, values), ...);
    return *this;
  }

  // Runs to the next row: true when a row is ready, false when done.
  [[nodiscard]] Result<bool> step();
  // Runs a statement that returns no rows (or ignores them) to the end.
  [[nodiscard]] Status run();
  // Makes the statement ready to run again; bindings are kept until rebound.
  void reset();

  [[nodiscard]] std::int64_t column_int(int column) const;
  [[nodiscard]] double column_double(int column) const;
  [[nodiscard]] std::string column_text(int column) const;
  [[nodiscard]] bool column_is_null(int column) const;

 private:
  friend class Connection;
  Statement(sqlite3_stmt* handle, const Database* database)
      : handle_(handle), database_(database) {}
  void remember(int code);

  sqlite3_stmt* handle_ = nullptr;
  const Database* database_ = nullptr;  // owned by the Connection, which must outlive this
  int bind_error_ = 0;                  // first failed bind since the last reset, 0 for none
};

enum class TransactionKind {
  kWrite,  // BEGIN IMMEDIATE: this connection becomes the one writer (after waiting up to
           // the busy timeout), so nothing it read can change before it commits
  kRead,   // BEGIN: every statement until the end reads one snapshot
};

// A transaction, rolled back on destruction unless committed.
class Transaction {
 public:
  [[nodiscard]] static Result<Transaction> begin(Connection& connection,
                                                 TransactionKind kind = TransactionKind::kWrite);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  [[nodiscard]] Status commit();

 private:
  explicit Transaction(Connection* connection) : connection_(connection) {}
  Connection* connection_ = nullptr;  // null once committed or rolled back
};

}  // namespace graft::registry::sqlite
