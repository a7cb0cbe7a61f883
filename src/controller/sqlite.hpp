#pragma once

// Thin RAII over the SQLite C API: a connection, a prepared statement and a
// transaction guard. Every SQLite failure becomes a weft::Error here, so no
// caller sees a result code:
//   SQLITE_BUSY / SQLITE_LOCKED          Error::busy      (another process holds a lock)
//   SQLITE_NOTADB / SQLITE_CORRUPT       Error::malformed (not a database, or damaged)
//   SQLITE_CONSTRAINT                    Error::already_exists
//   SQLITE_CANTOPEN / SQLITE_PERM / RO   Error::permission_denied
//   SQLITE_FULL / SQLITE_IOERR / other   Error::io
// The text of the last failure is kept for logs (Database::last_message).

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace weft::controller {

Error sqlite_error(int rc) noexcept;

class Statement;

class Database {
 public:
  // Opens (creating if absent) the file; busy_timeout_ms bounds how long a
  // statement waits for another connection's lock before Error::busy.
  static Result<Database> open(const std::string& path, int busy_timeout_ms);

  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;

  // Runs one or more statements without results.
  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  [[nodiscard]] std::int64_t changes() const noexcept;
  [[nodiscard]] const std::string& last_message() const noexcept { return last_message_; }
  [[nodiscard]] sqlite3* handle() const noexcept { return db_.get(); }

  Error fail(int rc);

 private:
  struct Closer {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
  };
  explicit Database(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, Closer> db_;
  std::string last_message_;
};

class Statement {
 public:
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  // Binding is by 1-based index, as in SQL's ?1, ?2...
  Statement& bind(int index, std::int64_t v);
  Statement& bind(int index, std::string_view v);
  Statement& bind(int index, ByteSpan v);

  // true: a row is ready (read it with the column accessors); false: done.
  Result<bool> step();
  // Steps until done, for statements without result rows.
  Result<void> run();
  void reset() noexcept;

  [[nodiscard]] std::int64_t int64(int column) const noexcept;
  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] Bytes blob(int column) const;
  [[nodiscard]] bool is_null(int column) const noexcept;

 private:
  friend class Database;
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
  };
  Statement(Database& db, sqlite3_stmt* s) : db_(&db), stmt_(s) {}
  Database* db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  int bind_rc_{SQLITE_OK};
};

// BEGIN IMMEDIATE on construction (begin()); ROLLBACK on destruction unless
// commit() succeeded. IMMEDIATE takes the write lock up front, so a busy
// database fails at the start instead of halfway through the work.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;
};

}  // namespace weft::controller
