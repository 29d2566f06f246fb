#include "registry/sqlite.h"

#include <sqlite3.h>

#include <fmt/core.h>

#include <utility>

namespace graft::registry::sqlite {

struct Database {
  sqlite3* handle = nullptr;
  std::filesystem::path path;

  ~Database() { sqlite3_close_v2(handle); }
};

namespace {

// SQLite's own words for the latest failure on `database`, or for `code` without one.
std::string detail_of(const Database& database, int code) {
  if (database.handle != nullptr &&
      (sqlite3_extended_errcode(database.handle) & 0xff) == (code & 0xff)) {
    return sqlite3_errmsg(database.handle);
  }
  return sqlite3_errstr(code);
}

Error make_error(const Database& database, int code, std::string_view doing) {
  const std::string file = database.path.string();
  const std::string detail = detail_of(database, code);
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error(ErrorCode::kUnavailable,
                   fmt::format("the registry '{}' is busy: another graft process is writing", file))
          .with_hint("wait for the other graft command to finish, then run this one again");
    case SQLITE_NOTADB:
      return Error(ErrorCode::kCorrupt,
                   fmt::format("'{}' is not a graft registry: {}", file, detail))
          .with_hint("move the file aside; graft starts a new registry in its place");
    case SQLITE_CORRUPT:
      return Error(ErrorCode::kCorrupt,
                   fmt::format("the registry '{}' is damaged: {}", file, detail))
          .with_hint("move the file aside; graft starts a new registry in its place");
    case SQLITE_CONSTRAINT:
      return Error(ErrorCode::kConflict,
                   fmt::format("{} in the registry '{}': {}", doing, file, detail));
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Error(ErrorCode::kIo, fmt::format("{} in the registry '{}': {}", doing, file, detail));
    default:
      return Error(ErrorCode::kInternal,
                   fmt::format("{} in the registry '{}': {}", doing, file, detail));
  }
}

}  // namespace

// ---- Connection

Result<Connection> Connection::open(const std::filesystem::path& path,
                                    std::chrono::milliseconds busy_timeout) {
  auto database = std::make_unique<Database>();
  database->path = path;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int code = sqlite3_open_v2(path.c_str(), &database->handle, flags, nullptr);
  if (code != SQLITE_OK) {
    return fail(ErrorCode::kIo, fmt::format("can not open the registry '{}': {}", path.string(),
                                            detail_of(*database, code)));
  }
  sqlite3_extended_result_codes(database->handle, 1);
  sqlite3_busy_timeout(database->handle, static_cast<int>(busy_timeout.count()));
  return Connection(std::move(database));
}

Connection::Connection(std::unique_ptr<Database> database) : database_(std::move(database)) {}
Connection::Connection(Connection&& other) noexcept = default;
Connection& Connection::operator=(Connection&& other) noexcept = default;
Connection::~Connection() = default;

Status Connection::execute(std::string_view sql) {
  const std::string text(sql);
  const int code = sqlite3_exec(database_->handle, text.c_str(), nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) return fail(make_error(*database_, code, "running a statement"));
  return ok();
}

Result<Statement> Connection::prepare(std::string_view sql) {
  sqlite3_stmt* handle = nullptr;
  const int code = sqlite3_prepare_v2(database_->handle, sql.data(), static_cast<int>(sql.size()),
                                      &handle, nullptr);
  if (code != SQLITE_OK) {
    sqlite3_finalize(handle);
    return fail(make_error(*database_, code, "preparing a statement"));
  }
  return Statement(handle, database_.get());
}

std::int64_t Connection::last_insert_id() const {
  return sqlite3_last_insert_rowid(database_->handle);
}

std::int64_t Connection::changes() const {
  return sqlite3_changes64(database_->handle);
}

const std::filesystem::path& Connection::path() const {
  return database_->path;
}

Error Connection::error(int code, std::string_view doing) const {
  return make_error(*database_, code, doing);
}

// ---- Statement

Statement::Statement(Statement&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      database_(other.database_),
      bind_error_(other.bind_error_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
    database_ = other.database_;
    bind_error_ = other.bind_error_;
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(handle_);
}

void Statement::remember(int code) {
  if (code != SQLITE_OK && bind_error_ == 0) bind_error_ = code;
}

Statement& Statement::bind(int index, std::int64_t value) {
  remember(sqlite3_bind_int64(handle_, index, value));
  return *this;
}

Statement& Statement::bind(int index, double value) {
  remember(sqlite3_bind_double(handle_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  remember(sqlite3_bind_text64(handle_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind_null(int index) {
  remember(sqlite3_bind_null(handle_, index));
  return *this;
}

Result<bool> Statement::step() {
  if (bind_error_ != 0) return fail(make_error(*database_, bind_error_, "binding a value"));
  const int code = sqlite3_step(handle_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  return fail(make_error(*database_, code, "running a statement"));
}

Status Statement::run() {
  while (true) {
    GRAFT_ASSIGN_OR_RETURN(const bool row, step());
    if (!row) return ok();
  }
}

void Statement::reset() {
  sqlite3_reset(handle_);
  bind_error_ = 0;
}

std::int64_t Statement::column_int(int column) const {
  return sqlite3_column_int64(handle_, column);
}

double Statement::column_double(int column) const {
  return sqlite3_column_double(handle_, column);
}

std::string Statement::column_text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(handle_, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(handle_, column)));
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(handle_, column) == SQLITE_NULL;
}

// ---- Transaction

Result<Transaction> Transaction::begin(Connection& connection, TransactionKind kind) {
  GRAFT_RETURN_IF_ERROR(
      connection.execute(kind == TransactionKind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"));
  return Transaction(&connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

Transaction::~Transaction() {
  if (connection_ != nullptr) (void)connection_->execute("ROLLBACK");
}

Status Transaction::commit() {
  GRAFT_RETURN_IF_ERROR(connection_->execute("COMMIT"));
  connection_ = nullptr;
  return ok();
}

}  // namespace graft::registry::sqlite
