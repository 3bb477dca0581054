// SPDX-License-Identifier: Apache-2.0
#include "daemon/sources/ingest_store.hpp"

#include <fmt/format.h>

#include <limits>

#include "model/time.hpp"

namespace complyd {

namespace embedded {
extern const std::string_view ingest_0001_init;
}

namespace {

int user_version(sql::Db& db) {
  sql::Stmt s(db, "PRAGMA user_version");
  s.step();
  return static_cast<int>(s.i64(0));
}

void refuse_newer(const sql::Db& db, int have) {
  if (have > kIngestSchemaVersion) {
    throw std::runtime_error(fmt::format("{} has schema version {}, newer than this complyd supports ({})",
                                         db.path().string(), have, kIngestSchemaVersion));
  }
}

}  // namespace

IngestWriter::IngestWriter(const std::filesystem::path& path, Time now)
    : db_(path, sql::OpenMode::read_write_create) {
  db_.exec("PRAGMA journal_mode=WAL");
  db_.exec("PRAGMA synchronous=NORMAL");
  const int have = user_version(db_);
  refuse_newer(db_, have);
  if (have < 1) {
    sql::Transaction tx(db_);
    db_.exec(embedded::ingest_0001_init);
    db_.exec("PRAGMA user_version = 1");
    tx.commit();
  }
  sql::Stmt s(db_, "INSERT OR IGNORE INTO meta (key, value) VALUES ('created_at', ?1)");
  s.bind(1, std::to_string(to_unix(now))).run();
}

void IngestWriter::write(const std::string& receiver, const std::string& batch_id,
                         const std::vector<IngestRow>& rows, Time now, Time keep_from) {
  sql::Transaction tx(db_);
  sql::Stmt up(db_,
               "INSERT INTO verification_minutes (receiver, customer_id, minute, ok, fail, unsigned_processed, "
               "received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (receiver, customer_id, minute) DO "
               "UPDATE SET ok = excluded.ok, fail = excluded.fail, unsigned_processed = excluded.unsigned_processed, "
               "received_at = excluded.received_at");
  const std::int64_t at = to_unix(now);
  for (const auto& r : rows) {
    up.bind(1, receiver)
        .bind(2, r.customer_id)
        .bind(3, r.minute)
        .bind(4, std::int64_t{r.ok})
        .bind(5, std::int64_t{r.fail})
        .bind(6, std::int64_t{r.unsigned_processed})
        .bind(7, at);
    up.run();
    up.reset();
  }
  sql::Stmt last(db_,
                 "INSERT INTO receivers (receiver, last_batch_at, last_batch_id, last_rows) VALUES (?1, ?2, ?3, ?4) "
                 "ON CONFLICT (receiver) DO UPDATE SET last_batch_at = excluded.last_batch_at, "
                 "last_batch_id = excluded.last_batch_id, last_rows = excluded.last_rows");
  last.bind(1, receiver).bind(2, at).bind(4, static_cast<std::int64_t>(rows.size()));
  if (batch_id.empty()) last.bind_null(3); else last.bind(3, batch_id);
  last.run();
  sql::Stmt prune(db_, "DELETE FROM verification_minutes WHERE minute < ?1");
  prune.bind(1, to_unix(keep_from)).run();
  tx.commit();
}

IngestSnapshot read_ingest(const std::filesystem::path& path, const std::vector<std::string>& receivers, Time from,
                           Time to, int busy_timeout_ms) {
  IngestSnapshot out;
  sql::Db db(path, sql::OpenMode::read_only, busy_timeout_ms);
  // One read transaction: the counters and the receivers' times agree.
  db.exec("BEGIN");
  const int have = user_version(db);
  refuse_newer(db, have);
  if (have < 1) return out;
  out.initialised = true;
  {
    sql::Stmt s(db, "SELECT value FROM meta WHERE key = 'created_at'");
    if (s.step()) {
      try {
        out.created_at = from_unix(std::stoll(s.text(0)));
      } catch (const std::exception&) {
      }
    }
  }
  if (receivers.empty()) return out;
  std::string in;
  for (std::size_t i = 0; i < receivers.size(); ++i) in += fmt::format("{}?{}", i == 0 ? "" : ", ", i + 3);
  {
    sql::Stmt s(db, fmt::format("SELECT receiver, last_batch_at FROM receivers WHERE receiver IN ({}) "
                                "ORDER BY receiver",
                                in));
    for (std::size_t i = 0; i < receivers.size(); ++i) s.bind(static_cast<int>(i + 3), receivers[i]);
    while (s.step()) out.receivers.push_back({s.text(0), from_unix(s.i64(1))});
  }
  sql::Stmt s(db, fmt::format("SELECT customer_id, minute, sum(ok), sum(fail), sum(unsigned_processed) "
                              "FROM verification_minutes WHERE minute >= ?1 AND minute <= ?2 AND receiver IN ({}) "
                              "GROUP BY customer_id, minute ORDER BY customer_id, minute",
                              in));
  s.bind(1, to_unix(from)).bind(2, to_unix(to));
  for (std::size_t i = 0; i < receivers.size(); ++i) s.bind(static_cast<int>(i + 3), receivers[i]);
  constexpr std::int64_t kMax = std::numeric_limits<std::uint32_t>::max();
  auto clamp = [&](std::int64_t v) {
    if (v > kMax) ++out.clamped;
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(v, 0, kMax));
  };
  std::string cur;
  std::vector<VerificationMinute> buf;
  auto flush = [&] {
    if (!buf.empty()) out.series.push_back(VerificationSeries{cur, PackedMinutes(buf)});
    buf.clear();
  };
  while (s.step()) {
    const std::string_view cust = s.text_view(0);
    if (cust != cur || (cur.empty() && buf.empty())) {
      flush();
      cur.assign(cust);
    }
    // The writer stores minute starts only; floor anyway so a hand-edited row cannot split a minute.
    std::int64_t m = s.i64(1);
    m = (m >= 0 ? m : m - 59) / 60;
    buf.push_back({m, clamp(s.i64(2)), clamp(s.i64(3)), clamp(s.i64(4))});
  }
  flush();
  return out;
}

}  // namespace complyd
