// SPDX-License-Identifier: Apache-2.0
#include "daemon/util/sqlite.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "daemon/util/bounded_file.hpp"

namespace complyd::sql {
namespace {
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view context) {
  throw SqliteError(fmt::format("{}: {}", context, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)), rc);
}
}  // namespace

Db::Db(const std::filesystem::path& path, OpenMode mode, int busy_timeout_ms) : path_(path) {
  // SQLite would block on a FIFO and read a device without end.
  if (auto why = not_a_regular_file(path); !why.empty()) throw SqliteError(why, SQLITE_CANTOPEN);
  const int flags = mode == OpenMode::read_only ? SQLITE_OPEN_READONLY
                                                : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(fmt::format("cannot open {}: {}", path.string(), msg), rc);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
}

Db::~Db() { sqlite3_close_v2(db_); }

std::string Db::read_head(std::size_t n) const {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || file == nullptr ||
      file->pMethods == nullptr) {
    throw SqliteError(fmt::format("{}: cannot reach the database file", path_.string()), SQLITE_IOERR);
  }
  sqlite3_int64 size = 0;
  if (const int rc = file->pMethods->xFileSize(file, &size); rc != SQLITE_OK) {
    throw SqliteError(fmt::format("{}: cannot read its size: {}", path_.string(), sqlite3_errstr(rc)), rc);
  }
  std::string out(static_cast<std::size_t>(std::min<sqlite3_int64>(size, static_cast<sqlite3_int64>(n))), '\0');
  if (out.empty()) return out;
  if (const int rc = file->pMethods->xRead(file, out.data(), static_cast<int>(out.size()), 0); rc != SQLITE_OK) {
    throw SqliteError(fmt::format("{}: cannot read it: {}", path_.string(), sqlite3_errstr(rc)), rc);
  }
  return out;
}

void Db::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string s(sql);
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqliteError(fmt::format("{}: {}", path_.string(), msg), rc);
  }
}

Stmt::Stmt(Db& db, std::string_view sql) : db_(db) {
  const int rc = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &s_, nullptr);
  if (rc != SQLITE_OK) fail(db.handle(), rc, fmt::format("{}: prepare", db.path().string()));
}

Stmt::~Stmt() { sqlite3_finalize(s_); }

Stmt& Stmt::bind(int i, std::int64_t v) {
  if (int rc = sqlite3_bind_int64(s_, i, v); rc != SQLITE_OK) fail(db_.handle(), rc, "bind");
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  if (int rc = sqlite3_bind_double(s_, i, v); rc != SQLITE_OK) fail(db_.handle(), rc, "bind");
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  if (int rc = sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); rc != SQLITE_OK)
    fail(db_.handle(), rc, "bind");
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  if (int rc = sqlite3_bind_null(s_, i); rc != SQLITE_OK) fail(db_.handle(), rc, "bind");
  return *this;
}

bool Stmt::step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_.handle(), rc, fmt::format("{}: step", db_.path().string()));
}

void Stmt::run() {
  while (step()) {
  }
}

void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

std::string Stmt::text(int col) const { return std::string(text_view(col)); }

std::string_view Stmt::text_view(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  if (p == nullptr) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))};
}

std::optional<std::string> Stmt::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

std::optional<std::int64_t> Stmt::opt_i64(int col) const {
  if (is_null(col)) return std::nullopt;
  return i64(col);
}

Transaction::Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {  // nothing more to do in a destructor
    }
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace complyd::sql
