// SPDX-License-Identifier: Apache-2.0
#include "daemon/store/state_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

#include "checks/registry.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/store/chain.hpp"
#include "daemon/log/log.hpp"
#include "daemon/util/crypto.hpp"
#include "daemon/util/phase_clock.hpp"
#include "daemon/util/utf8.hpp"
#include "model/mask.hpp"
#include "model/time.hpp"

namespace complyd {

namespace embedded {
extern const std::string_view state_0001_init;
extern const std::string_view state_0002_file_scan;
extern const std::string_view state_0003_outbox;
extern const std::string_view state_0004_report_history;
extern const std::string_view state_0005_drop_low_cardinality_indexes;
extern const std::string_view state_0006_findings_by_check;
extern const std::string_view state_0007_drop_events_at_index;
extern const std::string_view state_0008_reminder_ledger;
extern const std::string_view state_0009_file_scan_context;
extern const std::string_view state_0010_state_clock;
extern const std::string_view state_0011_judged_through;
extern const std::string_view state_0012_outbox_lease;
extern const std::string_view state_0013_history_chain;
extern const std::string_view state_0014_findings_by_severity;
extern const std::string_view state_0015_attestation_reviews;
}

namespace {

struct Migration {
  int version;
  std::string_view sql;
};

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> m{{1, embedded::state_0001_init}, {2, embedded::state_0002_file_scan},
                                        {3, embedded::state_0003_outbox},
                                        {4, embedded::state_0004_report_history},
                                        {5, embedded::state_0005_drop_low_cardinality_indexes},
                                        {6, embedded::state_0006_findings_by_check},
                                        {7, embedded::state_0007_drop_events_at_index},
                                        {8, embedded::state_0008_reminder_ledger},
                                        {9, embedded::state_0009_file_scan_context},
                                        {10, embedded::state_0010_state_clock},
                                        {11, embedded::state_0011_judged_through},
                                        {12, embedded::state_0012_outbox_lease},
                                        {13, embedded::state_0013_history_chain},
                                        {14, embedded::state_0014_findings_by_severity},
                                        {15, embedded::state_0015_attestation_reviews}};
  return m;
}


constexpr const char* kFindingColumns =
    "id, check_id, severity, status, customer_id, subject, title, detail, remediation, evidence, first_seen, "
    "last_seen, resolved_at, mute_reason, muted_by, muted_until";

StoredFinding read_finding(const sql::Stmt& s) {
  StoredFinding f;
  f.id = s.text(0);
  f.check_id = s.text(1);
  f.severity = severity_from(s.text_view(2)).value_or(Severity::medium);
  f.status = finding_status_from(s.text_view(3)).value_or(FindingStatus::open);
  f.customer_id = s.text(4);
  f.subject = s.text(5);
  f.title = s.text(6);
  f.detail = s.text(7);
  f.remediation = s.text(8);
  f.evidence_json = s.text(9);
  f.first_seen = from_unix(s.i64(10));
  f.last_seen = from_unix(s.i64(11));
  if (auto v = s.opt_i64(12)) f.resolved_at = from_unix(*v);
  f.mute_reason = s.opt_text(13);
  f.muted_by = s.opt_text(14);
  if (auto v = s.opt_i64(15)) f.muted_until = from_unix(*v);
  return f;
}

void upsert(sql::Stmt& st, const StoredFinding& f) {
  st.reset();
  st.bind(1, f.id)
      .bind(2, f.check_id)
      .bind(3, to_string(f.severity))
      .bind(4, to_string(f.status))
      .bind(5, f.customer_id)
      .bind(6, f.subject)
      .bind(7, f.title)
      .bind(8, f.detail)
      .bind(9, f.remediation)
      .bind(10, f.evidence_json)
      .bind(11, to_unix(f.first_seen))
      .bind(12, to_unix(f.last_seen));
  if (f.resolved_at) st.bind(13, to_unix(*f.resolved_at)); else st.bind_null(13);
  st.bind(14, f.mute_reason).bind(15, f.muted_by);
  if (f.muted_until) st.bind(16, to_unix(*f.muted_until)); else st.bind_null(16);
  st.run();
}

// Every finding_events row outside a cycle goes through here, whatever its
// event: it joins the history chain in the caller's transaction.
void insert_event(sql::Db& db, const FindingEventRecord& e) {
  const auto reason = redact(e.reason);
  chain::Writer chain(db);
  const auto id = chain::next_event_id(db);
  const auto link = chain::append_event(
      chain, {id, e.finding_id, e.cycle_id, to_unix(e.at), e.event,
              e.from_status.empty() ? std::nullopt : std::optional<std::string_view>(e.from_status), e.to_status,
              e.severity, std::string_view(e.actor), std::string_view(reason)});
  sql::Stmt st(db,
               "INSERT INTO finding_events(id, finding_id, cycle_id, at, event, from_status, to_status, severity, "
               "actor, reason, chain_seq, chain_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
  st.bind(1, id).bind(2, e.finding_id).bind(3, e.cycle_id).bind(4, to_unix(e.at)).bind(5, e.event);
  if (e.from_status.empty()) st.bind_null(6); else st.bind(6, e.from_status);
  st.bind(7, e.to_status).bind(8, e.severity).bind(9, e.actor).bind(10, reason);
  st.bind(11, link.seq).bind(12, link.hash);
  st.run();
  chain.save();
}

// Hits as stored: where, what kind, the masked excerpt; never a value.
std::string hits_to_json(const std::vector<LeakHit>& hits) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& h : hits) {
    a.push_back({{"line", h.line},
                 {"kind", to_string(h.kind)},
                 {"excerpt", to_valid_utf8(h.excerpt)},  // from the file's bytes
                 {"value_length", h.value_length},
                 {"occurrences", h.occurrences}});
  }
  return redact(a.dump());
}

// Nullopt when the stored hits cannot be read (or name an unknown kind).
std::optional<std::vector<LeakHit>> hits_from_json(const std::string& path, std::string_view text) {
  std::vector<LeakHit> out;
  try {
    for (const auto& j : nlohmann::json::parse(text)) {
      auto kind = leak_kind_from(j.value("kind", ""));
      if (!kind) return std::nullopt;
      out.push_back({path, j.value("line", std::size_t{0}), *kind, j.value("excerpt", ""),
                     j.value("value_length", std::size_t{0}), j.value("occurrences", std::uint32_t{1})});
    }
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return out;
}

void write_file_scans(sql::Db& db, const FileScanState& scans) {
  db.exec("DELETE FROM file_scans");
  sql::Stmt st(db,
               "INSERT INTO file_scans(path, device, inode, size, mtime_ns, scanned_bytes, scanned_lines, carry, "
               "is_log, is_binary, hits, scanned_at, pending_key, pending_env_entry, gzip_done, gzip_problem) "
               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  for (const auto& [path, r] : scans) {
    st.reset();
    st.bind(1, path)
        .bind(2, static_cast<std::int64_t>(r.device))
        .bind(3, static_cast<std::int64_t>(r.inode))
        .bind(4, r.size)
        .bind(5, r.mtime_ns)
        .bind(6, r.scanned_bytes)
        .bind(7, r.scanned_lines)
        .bind(8, r.carry)
        .bind(9, r.is_log ? 1 : 0)
        .bind(10, r.is_binary ? 1 : 0)
        .bind(11, hits_to_json(r.hits))
        .bind(12, to_unix(r.scanned_at))
        .bind(13, r.pending_key)
        .bind(14, r.pending_env_entry ? 1 : 0)
        .bind(15, r.gzip_done ? 1 : 0)
        .bind(16, r.gzip_problem);
    st.run();
  }
}

}  // namespace

std::vector<SourceStatus> sources_from_json(std::string_view text, std::int64_t cycle_id) {
  std::vector<SourceStatus> out;
  try {
    for (const auto& j : nlohmann::json::parse(text)) {
      SourceStatus st;
      st.name = j.at("name").get<std::string>();
      st.type = j.at("type").get<std::string>();
      st.ok = j.at("ok").get<bool>();
      st.error = j.value("error", "");
      st.rows = j.value("rows", std::int64_t{0});
      if (auto p = j.find("problems"); p != j.end() && p->is_number_unsigned()) {
        st.stored_problems = p->get<std::size_t>();
      }
      for (const auto& k : j.value("provides", nlohmann::json::array())) {
        for (auto kind : kAllFactKinds) {
          if (k.is_string() && k.get<std::string>() == to_string(kind)) st.provides.push_back(kind);
        }
      }
      out.push_back(std::move(st));
    }
  } catch (const nlohmann::json::exception&) {
    CLOG(error) << "state database: the sources of cycle " << cycle_id << " cannot be read";
    SourceStatus st;
    st.name = "(unreadable)";
    st.ok = false;
    st.error = "the stored sources of this cycle cannot be read";
    return {st};
  }
  return out;
}

std::string sources_to_json(const std::vector<SourceStatus>& sources) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& s : sources) {
    nlohmann::json kinds = nlohmann::json::array();
    for (auto k : s.provides) kinds.push_back(to_string(k));
    a.push_back({{"name", s.name}, {"type", s.type}, {"ok", s.ok}, {"error", redact(s.error)}, {"rows", s.rows},
                 {"provides", kinds}, {"problems", s.rejected_rows()}});
  }
  return a.dump();
}

namespace {

namespace fs = std::filesystem;

fs::path marker_of(const fs::path& db) { return fs::path(db.string() + ".marker"); }

// Refuses a state file that SQLite would silently treat as a new database
// (0 bytes), or one that is gone while its marker or WAL says it existed:
// a fresh start there would drop the history and mutes and resend every
// e-mail. A path with no file, no marker and no WAL is a first start.
const fs::path& guard_state_file(const fs::path& path) {
  const auto restore = fmt::format(
      "restore it from a backup (docs/operations.md, \"State file safety\"); to really start with an empty "
      "history, move {} and {} aside first",
      path.string(), marker_of(path).string());
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw StateError(fmt::format("cannot read the state database {}: {}", path.string(), ec.message()));
  }
  const bool marker = fs::exists(marker_of(path), ec);
  const bool wal = fs::exists(fs::path(path.string() + "-wal"), ec);
  if (!fs::exists(st)) {
    if (marker || wal) {
      throw StateError(fmt::format("state database {} is missing, but {} shows one existed; refusing to start a new "
                                   "one: {}",
                                   path.string(), marker ? marker_of(path).string() : path.string() + "-wal",
                                   restore));
    }
    return path;
  }
  if (!fs::is_regular_file(st)) throw StateError(fmt::format("state database {} is not a regular file", path.string()));
  // The size from stat(), never by opening the file: this process may have
  // SQLite connections to it (the daemon's cycle store beside its console's),
  // and closing another descriptor of the file drops their locks; another
  // process then deletes the WAL they still write to. The header is checked
  // through SQLite's own handle (refuse_foreign_file).
  const auto size = fs::file_size(path, ec);
  if (ec) throw StateError(fmt::format("cannot read the state database {}: {}", path.string(), ec.message()));
  // complyd writes the header before anything else, so a 0-byte state file
  // is never one it made: always an error (a truncation, a bad restore).
  if (size == 0) throw StateError(fmt::format("state database {} is empty (0 bytes); {}", path.string(), restore));
  return path;
}

// After the open: a file that existed (guard_state_file refused a 0-byte one)
// must start with SQLite's header, or it is someone else's file.
void refuse_foreign_file(const sql::Db& db) {
  const std::string head = db.read_head(16);
  if (!head.empty() && head != std::string_view("SQLite format 3\0", 16)) {
    throw StateError(fmt::format("state database {} is not an SQLite database; restore it from a backup "
                                 "(docs/operations.md, \"State file safety\")",
                                 db.path().string()));
  }
}

// Written once the database exists and is migrated: from then on its
// absence or emptiness is an error, not a first start.
void write_marker(const fs::path& db) {
  const auto m = marker_of(db);
  std::error_code ec;
  if (fs::exists(m, ec)) return;
  const int fd = ::open(m.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    CLOG(warning) << fmt::format("cannot write the state database marker {}: {}", m.string(), std::strerror(errno));
    return;
  }
  const auto text = fmt::format("complyd state database {} (its absence or emptiness stops complyd)\n", db.string());
  if (::write(fd, text.data(), text.size()) < 0) CLOG(warning) << "cannot write " << m.string();
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

StateStore::StateStore(const std::filesystem::path& path, StateUse use, Clock wall)
    : db_(guard_state_file(path), sql::OpenMode::read_write_create), use_(use), wall_(std::move(wall)) {
  refuse_foreign_file(db_);
  // 16 KiB pages for a new database (an existing one keeps its own): a
  // cycle at 100k customers writes ~190 MB, and larger pages mean fewer
  // b-tree splits and WAL frames (commit -25% in docs/benchmarks.md).
  db_.exec("PRAGMA page_size=16384");
  db_.exec("PRAGMA journal_mode=WAL");
  db_.exec("PRAGMA synchronous=NORMAL");
  db_.exec("PRAGMA foreign_keys=ON");
  // 8 MiB: the cycle's transaction is open while the checks run (the report
  // states are written then), and the cache's dirty pages add to that peak;
  // the findings' index pages (~2 MB at 86k findings) fit.
  db_.exec("PRAGMA cache_size=-8192");
  // Checkpoints run after each cycle (checkpoint_in_background), not inside
  // the commit of whichever write crosses 1,000 pages.
  db_.exec("PRAGMA wal_autocheckpoint=0");
  migrate();
  write_marker(path);
}

void StateStore::checkpoint_in_background() {
  if (checkpointer_.joinable()) checkpointer_.join();
  checkpointer_ = std::jthread([path = db_.path()] {
    try {
      sql::Db db(path, sql::OpenMode::read_write_create);
      // A PASSIVE checkpoint stops at the oldest reader's snapshot: a reader
      // that began while it scanned the read marks can leave the whole cycle
      // in the WAL until the next cycle. Try again while it falls short.
      for (int attempt = 0;; ++attempt) {
        sql::Stmt s(db, "PRAGMA wal_checkpoint(PASSIVE)");  // busy, frames in the WAL, frames copied
        if (!s.step() || s.i64(1) < 0 || s.i64(2) >= s.i64(1) || attempt == 5) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(25 << attempt));  // 25 ms .. 0.4 s
      }
    } catch (const std::exception& e) {
      // The WAL stays and is copied by the next checkpoint; nothing is lost.
      CLOG(warning) << "state database checkpoint failed: " << e.what();
    }
  });
}

int StateStore::schema_version() {
  sql::Stmt s(db_, "PRAGMA user_version");
  s.step();
  return static_cast<int>(s.i64(0));
}

std::string outbox_key_without_credentials(const std::string& key) {
  if (mask_url_credentials(key) == key && redact(key) == key) return key;
  return fmt::format("{}:sha256:{}", key.substr(0, key.find(':')), sha256_hex(key));
}

namespace {

// Migration 8's part that SQL cannot do: keys holding a credential hashed.
void hash_credential_keys(sql::Db& db) {
  std::vector<std::pair<std::int64_t, std::string>> rewrite;
  {
    sql::Stmt s(db, "SELECT id, idempotency_key FROM outbox");
    while (s.step()) {
      auto key = s.text(1);
      auto clean = outbox_key_without_credentials(key);
      if (clean != key) rewrite.emplace_back(s.i64(0), std::move(clean));
    }
  }
  sql::Stmt u(db, "UPDATE outbox SET idempotency_key=? WHERE id=?");
  for (const auto& [id, key] : rewrite) {
    u.reset();
    u.bind(1, key).bind(2, id).run();
  }
  if (!rewrite.empty()) {
    CLOG(warning) << fmt::format("{} outbox idempotency key(s) held a credential and now hold its hash",
                                 rewrite.size());
  }
}

}  // namespace

void StateStore::migrate() {
  const int have = schema_version();
  if (have > kSchemaVersion) {
    throw StateError(fmt::format(
        "state database {} has schema version {}, newer than this complyd supports ({}); downgrade refused: "
        "restore a backup taken before the upgrade or run the newer complyd",
        db_.path().string(), have, kSchemaVersion));
  }
  for (const auto& m : migrations()) {
    if (m.version <= have) continue;
    sql::Transaction tx(db_);
    db_.exec(m.sql);
    // Keys that held a credential's storage path become hashes before the
    // chain starts, so the chain covers only what complyd keeps.
    if (m.version == 12) hash_credential_keys(db_);
    // Rows stored before the chain existed join it at the migration.
    if (m.version == 13) chain::chain_existing(db_);
    db_.exec(fmt::format("PRAGMA user_version = {}", m.version));
    tx.commit();
  }
}

std::unordered_map<std::string, StoredFinding> StateStore::load_findings() {
  std::unordered_map<std::string, StoredFinding> out;
  sql::Stmt s(db_, fmt::format("SELECT {} FROM findings", kFindingColumns));
  while (s.step()) {
    auto f = read_finding(s);
    auto id = f.id;
    out.emplace(std::move(id), std::move(f));
  }
  return out;
}

std::unordered_map<std::string, StoredFinding> StateStore::load_findings_of(const std::string& check_id) {
  std::unordered_map<std::string, StoredFinding> out;
  sql::Stmt s(db_, fmt::format("SELECT {} FROM findings WHERE check_id = ?", kFindingColumns));
  s.bind(1, check_id);
  while (s.step()) {
    auto f = read_finding(s);
    auto id = f.id;
    out.emplace(std::move(id), std::move(f));
  }
  return out;
}

std::set<std::string> StateStore::checks_with_findings() {
  std::set<std::string> out;
  sql::Stmt s(db_, "SELECT DISTINCT check_id FROM findings");
  while (s.step()) out.insert(s.text(0));
  return out;
}

std::vector<StoredFinding> StateStore::list(const FindingFilter& flt) {
  std::string q = fmt::format("SELECT {} FROM findings WHERE 1=1", kFindingColumns);
  if (flt.status) q += " AND status = ?1";
  if (!flt.customer_id.empty()) q += " AND customer_id = ?2";
  if (!flt.check_id.empty()) q += " AND check_id = ?3";
  q += " ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 "
       "ELSE 4 END, check_id, customer_id, subject";
  sql::Stmt s(db_, q);
  if (flt.status) s.bind(1, to_string(*flt.status));
  if (!flt.customer_id.empty()) s.bind(2, flt.customer_id);
  if (!flt.check_id.empty()) s.bind(3, flt.check_id);
  std::vector<StoredFinding> out;
  while (s.step()) out.push_back(read_finding(s));
  return out;
}

std::optional<StoredFinding> find_stored_finding(sql::Db& db, const std::string& id) {
  sql::Stmt s(db, fmt::format("SELECT {} FROM findings WHERE id = ?", kFindingColumns));
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_finding(s);
}

std::optional<StoredFinding> StateStore::get(const std::string& id) { return find_stored_finding(db_, id); }

std::vector<FindingEventRecord> StateStore::history(const std::string& finding_id) {
  sql::Stmt s(db_,
              "SELECT finding_id, cycle_id, at, event, coalesce(from_status,''), to_status, severity, "
              "coalesce(actor,''), coalesce(reason,'') FROM finding_events WHERE finding_id = ? ORDER BY id");
  s.bind(1, finding_id);
  std::vector<FindingEventRecord> out;
  while (s.step()) {
    out.push_back({s.text(0), s.opt_i64(1), from_unix(s.i64(2)), s.text(3), s.text(4), s.text(5), s.text(6),
                   s.text(7), s.text(8)});
  }
  return out;
}

std::optional<CycleRecord> StateStore::last_cycle() {
  sql::Stmt s(db_,
              "SELECT id, started_at, finished_at, status, sources, checks_run, checks_skipped, opened, reopened, "
              "resolved, open_total, coalesce(error,'') FROM cycles ORDER BY id DESC LIMIT 1");
  if (!s.step()) return std::nullopt;
  CycleRecord c;
  c.id = s.i64(0);
  c.started_at = from_unix(s.i64(1));
  if (auto v = s.opt_i64(2)) c.finished_at = from_unix(*v);
  c.status = s.text(3);
  c.sources = sources_from_json(s.text_view(4), c.id);
  c.checks_run = static_cast<int>(s.i64(5));
  c.checks_skipped = static_cast<int>(s.i64(6));
  c.opened = static_cast<int>(s.i64(7));
  c.reopened = static_cast<int>(s.i64(8));
  c.resolved = static_cast<int>(s.i64(9));
  c.open_total = static_cast<int>(s.i64(10));
  c.error = s.text(11);
  return c;
}

std::optional<StateUse> StateStore::recorded_use() {
  sql::Stmt s(db_, "SELECT value FROM state_meta WHERE key = 'clock'");
  if (!s.step()) return std::nullopt;
  return s.text_view(0) == "simulated" ? StateUse::simulated : StateUse::live;
}

void StateStore::admit(Time at) {
  check_cycle(at, true);
  admitted_ = at;
}

void StateStore::check_cycle(Time at, bool against_wall) {
  if (use_ == StateUse::scratch) return;
  const auto where = db_.path().string();
  if (const auto recorded = recorded_use(); recorded && *recorded != use_) {
    throw CycleRefused(
        *recorded == StateUse::live
            ? fmt::format("{} records real-clock cycles; a cycle at a chosen time (--now) is never written to it: "
                          "use --dry-run, or --state with a file of its own",
                          where)
            : fmt::format("{} holds simulated cycles (complyd audit --now); real-clock cycles are not written to "
                          "it: use the configured state_db",
                          where));
  }
  sql::Stmt last(db_, "SELECT max(started_at) FROM cycles");
  if (last.step()) {
    if (const auto v = last.opt_i64(0); v && to_unix(at) < *v) {
      throw CycleRefused(fmt::format(
          "{}: a cycle at {} is earlier than the last committed one ({}); the history only moves forward", where,
          format_time(at), format_time(from_unix(*v))));
    }
  }
  if (against_wall && use_ == StateUse::live) {
    const Time wall = wall_();
    if (at > wall + kClockTolerance || at < wall - kClockTolerance) {
      throw CycleRefused(fmt::format(
          "{}: a cycle at {} is more than {} s from the wall clock ({}); a live state database records only "
          "cycles at the current time: use --dry-run, or --state with a file of its own",
          where, format_time(at), kClockTolerance.count(), format_time(wall)));
    }
  }
}

FileScanState StateStore::load_file_scans() {
  FileScanState out;
  sql::Stmt s(db_,
              "SELECT path, device, inode, size, mtime_ns, scanned_bytes, scanned_lines, carry, is_log, is_binary, "
              "hits, scanned_at, pending_key, pending_env_entry, gzip_done, gzip_problem FROM file_scans");
  while (s.step()) {
    FileScanRecord r;
    r.path = s.text(0);
    r.device = static_cast<std::uint64_t>(s.i64(1));
    r.inode = static_cast<std::uint64_t>(s.i64(2));
    r.size = s.i64(3);
    r.mtime_ns = s.i64(4);
    r.scanned_bytes = s.i64(5);
    r.scanned_lines = s.i64(6);
    r.carry = s.i64(7);
    r.is_log = s.i64(8) != 0;
    r.is_binary = s.i64(9) != 0;
    auto hits = hits_from_json(r.path, s.text_view(10));
    if (!hits) {
      // Without its state the file is scanned again from its start, so its
      // hits are found again rather than lost.
      CLOG(error) << "state database: the stored leak-scan hits of " << r.path
                  << " cannot be read; the file is scanned again from its start";
      continue;
    }
    r.hits = std::move(*hits);
    r.scanned_at = from_unix(s.i64(11));
    r.pending_key = s.text(12);
    r.pending_env_entry = s.i64(13) != 0;
    r.gzip_done = s.i64(14) != 0;
    r.gzip_problem = s.text(15);
    auto path = r.path;
    out.emplace(std::move(path), std::move(r));
  }
  return out;
}

StateStore::ForeignKeysOff::ForeignKeysOff(sql::Db& db) : db_(db) { db_.exec("PRAGMA foreign_keys=OFF"); }

StateStore::ForeignKeysOff::~ForeignKeysOff() {
  try {
    db_.exec("PRAGMA foreign_keys=ON");
  } catch (const std::exception& e) {
    CLOG(error) << "state database: foreign key checks could not be turned back on: " << e.what();
  }
}

StateStore::CycleWrite::CycleWrite(StateStore& store, Time at)
    : store_(store),
      db_(store.db_),
      foreign_keys_off_(db_),
      tx_(db_),
      at_(at),
      upsert_(db_, fmt::format("INSERT INTO findings({}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO "
                               "UPDATE SET check_id=excluded.check_id, severity=excluded.severity, "
                               "status=excluded.status, customer_id=excluded.customer_id, subject=excluded.subject, "
                               "title=excluded.title, detail=excluded.detail, remediation=excluded.remediation, "
                               "evidence=excluded.evidence, last_seen=excluded.last_seen, "
                               "resolved_at=excluded.resolved_at, mute_reason=excluded.mute_reason, "
                               "muted_by=excluded.muted_by, muted_until=excluded.muted_until",
                               kFindingColumns)),
      seen_(db_, "UPDATE findings SET last_seen = ? WHERE id = ?"),
      event_(db_,
             "INSERT INTO finding_events(id, finding_id, cycle_id, at, event, from_status, to_status, severity, "
             "actor, reason, chain_seq, chain_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"),
      chain_(db_) {
  // Under the write lock, before anything is written: another writer may
  // have committed since admit(). A cycle admit() did not check is checked
  // against the wall clock here.
  store_.check_cycle(at, store_.admitted_ != at);
  store_.admitted_.reset();
  if (store_.use_ != StateUse::scratch) {
    sql::Stmt kind(db_, "INSERT OR IGNORE INTO state_meta(key, value) VALUES ('clock', ?)");
    kind.bind(1, store_.use_ == StateUse::simulated ? "simulated" : "live").run();
  }
  // The cycle's row first, so that its id can be referenced; its counts are
  // filled in by finish().
  sql::Stmt st(db_, "INSERT INTO cycles(started_at, status, sources, sources_ok, sources_failed) "
                    "VALUES (?, 'running', '[]', 0, 0)");
  st.bind(1, to_unix(at)).run();
  id_ = db_.last_insert_rowid();
  next_event_id_ = chain::next_event_id(db_);
}

void StateStore::CycleWrite::write(const LifecycleResult& lr) {
  // A finding seen again with nothing new only advances last_seen: one
  // narrow UPDATE instead of rewriting the row and its indexes. The texts
  // arrive redacted: the engine redacts everything a check says before the
  // lifecycle sees it, and stored texts were redacted when first written.
  const bool flagged = lr.only_last_seen.size() == lr.changed.size();
  // In primary-key order: neighbouring keys share index pages (the ids are
  // hashes, so observation order is random).
  std::vector<std::uint32_t> order(lr.changed.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return lr.changed[a].id < lr.changed[b].id; });
  for (const std::uint32_t i : order) {
    const auto& f = lr.changed[i];
    if (flagged && lr.only_last_seen[i] != 0) {
      seen_.reset();
      seen_.bind(1, to_unix(f.last_seen)).bind(2, f.id).run();
    } else {
      upsert(upsert_, f);
    }
  }
  const auto at = to_unix(at_);
  for (const auto& t : lr.transitions) {
    // The chain link from the same values the row gets (chain.hpp).
    const std::int64_t id = next_event_id_++;
    const std::optional<std::string_view> from =
        t.from ? std::optional<std::string_view>(to_string(*t.from)) : std::nullopt;
    const std::string_view to = to_string(t.to), severity = to_string(t.severity);
    // A cycle's events are complyd's, or a mutelist rule's (its mutes and their end).
    const std::string_view actor = t.actor.empty() ? std::string_view("complyd") : std::string_view(t.actor);
    const auto link = chain::append_event(chain_, {id, t.finding_id, id_, at, t.event, from, to, severity, actor,
                                                   std::string_view(t.reason)});
    event_.reset();
    event_.bind(1, id).bind(2, t.finding_id).bind(3, id_).bind(4, at).bind(5, t.event);
    if (from) event_.bind(6, *from); else event_.bind_null(6);
    event_.bind(7, to).bind(8, severity).bind(9, actor).bind(10, t.reason).bind(11, link.seq).bind(12, link.hash);
    event_.run();
  }
  write_back_wal();
}

StateStore::CycleWrite::WalFile::~WalFile() {
  if (fd >= 0) ::close(fd);
}

void StateStore::CycleWrite::write_back_wal() {
  // Starts writing the WAL's dirty pages to disk while the cycle still runs
  // (as RocksDB's wal_bytes_per_sync does), so that the fsync before the
  // checkpoint finds little left: it took ~0.25 s after a first cycle at
  // 100k customers. Only a hint: it never waits, and a failure changes nothing.
  if (wal_.fd < 0) {
    if (wal_.tried) return;
    wal_.tried = true;
    wal_.fd = ::open((db_.path().string() + "-wal").c_str(), O_RDONLY | O_CLOEXEC);
    if (wal_.fd < 0) return;
  }
  ::sync_file_range(wal_.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

void StateStore::CycleWrite::record(CycleRecord& cycle, const LifecycleResult& totals,
                                    const FileScanState* file_scans) {
  int ok = 0, failed = 0;
  for (const auto& s : cycle.sources) (s.ok ? ok : failed)++;
  const auto sources = sources_to_json(cycle.sources);
  const auto error = cycle.error.empty() ? std::nullopt : std::optional<std::string>(redact(cycle.error));
  const std::optional<std::int64_t> finished =
      cycle.finished_at ? std::optional<std::int64_t>(to_unix(*cycle.finished_at)) : std::nullopt;
  using chain::Value;
  // In chain::kCycleColumns' order.
  const Value values[] = {Value::of(std::int64_t{cycle.checks_run}), Value::of(std::int64_t{cycle.checks_skipped}),
                          Value::of(error), Value::of(finished), Value::of(id_),
                          Value::of(std::int64_t{cycle.open_total}), Value::of(std::int64_t{totals.opened}),
                          Value::of(std::int64_t{totals.reopened}), Value::of(std::int64_t{totals.resolved}),
                          Value::of(std::string_view(sources)), Value::of(std::int64_t{failed}),
                          Value::of(std::int64_t{ok}), Value::of(to_unix(cycle.started_at)),
                          Value::of(std::string_view(cycle.status))};
  const auto link = chain_.append("cycles", chain::kCycleColumns, values);
  sql::Stmt st(db_,
               "UPDATE cycles SET started_at=?, finished_at=?, status=?, sources=?, sources_ok=?, "
               "sources_failed=?, checks_run=?, checks_skipped=?, opened=?, reopened=?, resolved=?, "
               "open_total=?, error=?, chain_seq=?, chain_hash=? WHERE id=?");
  st.bind(1, to_unix(cycle.started_at));
  st.bind(2, finished);
  st.bind(3, cycle.status)
      .bind(4, sources)
      .bind(5, ok)
      .bind(6, failed)
      .bind(7, cycle.checks_run)
      .bind(8, cycle.checks_skipped)
      .bind(9, totals.opened)
      .bind(10, totals.reopened)
      .bind(11, totals.resolved)
      .bind(12, cycle.open_total);
  st.bind(13, error);
  st.bind(14, link.seq).bind(15, link.hash);
  st.bind(16, id_);
  st.run();
  chain_.save();
  cycle.id = id_;
  if (file_scans != nullptr) write_file_scans(db_, *file_scans);
}

void StateStore::CycleWrite::commit() {
  PhaseClock phases;
  tx_.commit();
  phases.lap("sqlite commit");
  store_.checkpoint_in_background();
  CLOG(debug) << "commit phases: " << phases.summary();
}

std::unique_ptr<CycleTransaction> StateStore::begin(Time at) { return std::make_unique<CycleWrite>(*this, at); }

std::map<std::string, std::int64_t> StateStore::load_judged_through() {
  std::map<std::string, std::int64_t> out;
  sql::Stmt s(db_, "SELECT stream, minute FROM judged_through");
  while (s.step()) out.emplace(s.text(0), s.i64(1));
  return out;
}

void StateStore::CycleWrite::advance_judged_through(const std::map<std::string, std::int64_t>& judged) {
  // Only forward: a clock set back never makes a cycle judge minutes again.
  sql::Stmt st(db_,
               "INSERT INTO judged_through(stream, minute) VALUES(?, ?) "
               "ON CONFLICT(stream) DO UPDATE SET minute = max(minute, excluded.minute)");
  for (const auto& [stream, minute] : judged) {
    st.bind(1, stream).bind(2, minute).run();
    st.reset();
  }
}

StoredFinding StateStore::mute(const std::string& id, const std::string& reason, const Actor& actor, Time until,
                               Time now) {
  const std::string by = actor.label();
  if (reason.empty()) throw StateError("a mute needs a reason");
  // Nothing un-encodable is stored: every output of the history is JSON.
  if (!is_valid_utf8(reason)) throw StateError("the reason is not valid UTF-8 text");
  if (until <= now) throw StateError("--until must be in the future");
  sql::Transaction tx(db_);
  auto f = get(id);
  if (!f) throw StateError(fmt::format("no finding with id {}", id));
  if (f->status == FindingStatus::resolved) throw StateError(fmt::format("finding {} is resolved", id));
  const auto from = f->status;
  f->status = FindingStatus::muted;
  f->mute_reason = reason;
  f->muted_by = by;
  f->muted_until = until;
  sql::Stmt st(db_, "UPDATE findings SET status='muted', mute_reason=?, muted_by=?, muted_until=? WHERE id=?");
  st.bind(1, redact(reason)).bind(2, by).bind(3, to_unix(until)).bind(4, id).run();
  insert_event(db_, {id, std::nullopt, now, "muted", to_string(from), "muted", to_string(f->severity), by,
                     fmt::format("{} (until {})", reason, format_time(until))});
  tx.commit();
  return *f;
}

StoredFinding StateStore::ack(const std::string& id, const std::string& reason, const Actor& actor, Time now) {
  const std::string by = actor.label();
  if (reason.empty()) throw StateError("an acknowledgement needs a reason");
  if (!is_valid_utf8(reason)) throw StateError("the reason is not valid UTF-8 text");
  sql::Transaction tx(db_);
  auto f = get(id);
  if (!f) throw StateError(fmt::format("no finding with id {}", id));
  if (finding_kind(f->check_id, f->subject) != FindingKind::incident) {
    throw StateError(fmt::format("finding {} is a state ({}), not an incident: it resolves by itself once fixed; "
                                 "mute it to accept it for a time",
                                 id, f->check_id));
  }
  if (f->status == FindingStatus::resolved) throw StateError(fmt::format("finding {} is resolved", id));
  const auto from = f->status;
  f->status = FindingStatus::resolved;
  f->resolved_at = now;
  f->mute_reason.reset();
  f->muted_by.reset();
  f->muted_until.reset();
  sql::Stmt st(db_,
               "UPDATE findings SET status='resolved', resolved_at=?, mute_reason=NULL, muted_by=NULL, "
               "muted_until=NULL WHERE id=?");
  st.bind(1, to_unix(now)).bind(2, id).run();
  insert_event(db_, {id, std::nullopt, now, "acknowledged", to_string(from), "resolved", to_string(f->severity), by,
                     reason});
  tx.commit();
  return *f;
}

StoredFinding StateStore::unmute(const std::string& id, const Actor& actor, Time now) {
  const std::string by = actor.label();
  sql::Transaction tx(db_);
  auto f = get(id);
  if (!f) throw StateError(fmt::format("no finding with id {}", id));
  if (f->status != FindingStatus::muted) throw StateError(fmt::format("finding {} is not muted", id));
  f->status = FindingStatus::open;
  f->mute_reason.reset();
  f->muted_by.reset();
  f->muted_until.reset();
  sql::Stmt st(db_, "UPDATE findings SET status='open', mute_reason=NULL, muted_by=NULL, muted_until=NULL WHERE id=?");
  st.bind(1, id).run();
  insert_event(db_, {id, std::nullopt, now, "unmuted", "muted", "open", to_string(f->severity), by, ""});
  tx.commit();
  return *f;
}

}  // namespace complyd
