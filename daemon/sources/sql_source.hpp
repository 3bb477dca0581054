// SPDX-License-Identifier: Apache-2.0
// [[sources]] type = "sql": the integration's own database (SQLite or
// PostgreSQL), read with operator-written queries that return named columns:
//   data_sets_query      -> DataSet          (retention-window, offboarding-completeness)
//   sync_activity_query  -> CustomerActivity (offboarding-completeness: sync after offboarding)
//   audit_events_query   -> AuditEvent       (offboarding-completeness, audit-coverage)
// Read-only by construction: SQLite opened mode=ro and every statement checked
// with sqlite3_stmt_readonly; PostgreSQL sessions run with
// default_transaction_read_only=on inside a READ ONLY transaction.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/source_config.hpp"
#include "daemon/sources/source.hpp"

namespace complyd {

struct SqlSettings final : SourceSettings {
  std::string driver;                 // "sqlite" | "postgresql"
  std::filesystem::path path;         // sqlite
  std::string conninfo;               // postgresql, without a password
  std::filesystem::path password_file;  // postgresql; empty: .pgpass or peer authentication
  std::string sslmode;                // resolved: conninfo's, else verify-full (prefer for loopback)
  std::string data_sets_query;
  std::string sync_activity_query;
  std::string audit_events_query;
};

// The column contract of one query: every required column, optional ones,
// and nothing else (a typo must not silently become an absent value).
struct SqlColumns {
  std::vector<std::string_view> required;
  std::vector<std::string_view> optional;
};
const SqlColumns& sql_data_sets_columns();
const SqlColumns& sql_sync_activity_columns();
const SqlColumns& sql_audit_events_columns();

// Empty when `got` fits `want`, else a message naming expected and got.
std::string check_sql_columns(std::string_view query_key, const SqlColumns& want, const std::vector<std::string>& got);

// A time column's text: RFC 3339, PostgreSQL's timestamptz output
// ("2026-11-22 10:00:00.123+00", "... +05:30") or timestamp without zone
// (taken as UTC).
std::optional<Time> parse_sql_time(std::string_view text);

// Whether a PostgreSQL host list (host= / hostaddr=) is only loopback or
// Unix sockets; empty means the default socket.
bool pg_hosts_are_local(std::string_view hosts);

}  // namespace complyd
