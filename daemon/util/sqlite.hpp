// SPDX-License-Identifier: Apache-2.0
// A thin RAII layer over the SQLite C API: connections, prepared statements,
// IMMEDIATE transactions. Errors throw SqliteError with the statement context.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace complyd::sql {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

enum class OpenMode { read_only, read_write_create };

class Db {
 public:
  Db(const std::filesystem::path& path, OpenMode mode, int busy_timeout_ms = 5000);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(std::string_view sql);
  sqlite3* handle() const { return db_; }
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  const std::filesystem::path& path() const { return path_; }
  // Up to n bytes from the start of the main database file, read through
  // SQLite's own file handle: opening and closing a second descriptor for a
  // file SQLite has open would drop this process's POSIX locks on it
  // (sqlite.org/howtocorrupt.html, 2.2). Empty for a 0-byte file.
  std::string read_head(std::size_t n) const;

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

class Stmt {
 public:
  Stmt(Db& db, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind_null(int i);
  template <class T>
  Stmt& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  bool step();  // true: a row is ready; false: done
  void run();   // step to completion
  void reset();

  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  int type(int col) const { return sqlite3_column_type(s_, col); }
  std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  double f64(int col) const { return sqlite3_column_double(s_, col); }
  std::string text(int col) const;
  std::string_view text_view(int col) const;  // valid until the next step
  std::optional<std::string> opt_text(int col) const;
  std::optional<std::int64_t> opt_i64(int col) const;
  int column_count() const { return sqlite3_column_count(s_); }
  std::string column_name(int col) const { return sqlite3_column_name(s_, col); }

 private:
  Db& db_;
  sqlite3_stmt* s_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back if destroyed uncommitted.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  void commit();

 private:
  Db& db_;
  bool done_ = false;
};

}  // namespace complyd::sql
