// complyd's own state database: findings, their transitions, cycles.
// One writer connection, WAL, versioned migrations from schema/state/.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "daemon/engine/lifecycle.hpp"
#include "daemon/sources/file_scan_state.hpp"
#include "daemon/store/report_store.hpp"
#include "daemon/store/sqlite.hpp"

namespace complyd {

class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CycleRecord {
  std::int64_t id = 0;
  Time started_at{};
  std::optional<Time> finished_at;
  std::string status;  // ok | partial | failed
  std::vector<SourceStatus> sources;
  int checks_run = 0, checks_skipped = 0;
  int opened = 0, reopened = 0, resolved = 0, open_total = 0;
  std::string error;
  // What `complyd report --as-of` needs from this cycle (migration 4);
  // written in the cycle's transaction when set.
  std::shared_ptr<const ReportHistory> report_history;
};

struct FindingEventRecord {
  std::string finding_id;
  std::optional<std::int64_t> cycle_id;
  Time at{};
  std::string event;
  std::string from_status;
  std::string to_status;
  std::string severity;
  std::string actor;
  std::string reason;
};

struct FindingFilter {
  std::optional<FindingStatus> status;  // nullopt: all
  std::string customer_id;
  std::string check_id;
};

class StateStore {
 public:
  static constexpr int kSchemaVersion = 7;

  explicit StateStore(const std::filesystem::path& path);

  int schema_version();
  std::unordered_map<std::string, StoredFinding> load_findings();
  // One check's stored findings (by index: the cycle loads them check by check).
  std::unordered_map<std::string, StoredFinding> load_findings_of(const std::string& check_id);
  // Check ids with any stored finding.
  std::set<std::string> checks_with_findings();
  std::vector<StoredFinding> list(const FindingFilter& f);
  std::optional<StoredFinding> get(const std::string& id);
  std::vector<FindingEventRecord> history(const std::string& finding_id);
  std::optional<CycleRecord> last_cycle();
  // The files source's incremental state (leak-scan).
  FileScanState load_file_scans();

  // Foreign key checks off on this connection while it lives. The cycle's
  // writer builds every reference itself (an event right after its finding,
  // every row after its cycle's), and a parent lookup per event cost 0.1 s of
  // the writer at 100k customers; tests check the references after cycles.
  // The pragma only takes effect outside a transaction.
  class ForeignKeysOff {
   public:
    explicit ForeignKeysOff(sql::Db& db);
    ~ForeignKeysOff();
    ForeignKeysOff(const ForeignKeysOff&) = delete;
    ForeignKeysOff& operator=(const ForeignKeysOff&) = delete;

   private:
    sql::Db& db_;
  };

  // One cycle's writes, in one IMMEDIATE transaction that opens before the
  // checks run: findings are written check by check and report states batch
  // by batch as they are produced, on the thread that owns this store, while
  // other threads evaluate. Events and report states are stamped `at` (the
  // cycle's evaluation time). Destroyed without finish(): rolled back.
  class CycleWrite {
   public:
    CycleWrite(StateStore& store, Time at);
    std::int64_t cycle_id() const { return id_; }
    // Upserts `lr.changed` and records `lr.transitions`. Their texts must be
    // redacted already (CycleRunner's checks are; stored rows were).
    void findings(const LifecycleResult& lr);
    void report_states(const ReportHistory& part);
    // Completes the cycle row from `cycle` and `totals`' counts, writes the
    // file scan state and the report history's tail, runs `in_transaction`
    // and, unless `before_commit` says no, commits. The cycle id, or 0 when
    // rolled back.
    std::int64_t finish(CycleRecord& cycle, const LifecycleResult& totals, const ReportHistory* report_tail,
                        const std::function<bool()>& before_commit, const FileScanState* file_scans,
                        const std::function<void(std::int64_t cycle_id)>& in_transaction);

   private:
    StateStore& store_;
    sql::Db& db_;
    ForeignKeysOff foreign_keys_off_;  // before tx_: set before BEGIN, restored after it ends
    sql::Transaction tx_;
    Time at_;
    std::int64_t id_ = 0;
    sql::Stmt upsert_, seen_, event_;
    std::optional<ReportHistoryWriter> report_;
    struct WalFile {
      int fd = -1;
      bool tried = false;
      WalFile() = default;
      WalFile(const WalFile&) = delete;
      WalFile& operator=(const WalFile&) = delete;
      ~WalFile();
    } wal_;
    void write_back_wal();
  };

  // All of a cycle at once (CycleWrite in one go): the cycle row, every
  // changed finding and every transition in one IMMEDIATE transaction.
  // `before_commit` runs inside it; returning false rolls everything back
  // (shutdown requested mid-cycle). `file_scans`, when given, replaces the
  // stored file scan state in the same transaction, so offsets never advance
  // without the findings of the bytes they cover.
  // `in_transaction` runs inside it with the new cycle id (the outbox).
  std::int64_t commit_cycle(CycleRecord& cycle, const LifecycleResult& lr,
                            const std::function<bool()>& before_commit = {},
                            const FileScanState* file_scans = nullptr,
                            const std::function<void(std::int64_t cycle_id)>& in_transaction = {});

  // Operator actions; they throw StateError with a message for the CLI.
  StoredFinding mute(const std::string& id, const std::string& reason, const std::string& by, Time until, Time now);
  StoredFinding unmute(const std::string& id, const std::string& by, Time now);

  sql::Db& db() { return db_; }

 private:
  void migrate();
  // Copies the WAL into the database file on a connection of its own, after
  // a cycle's commit: a cycle at 100k customers writes ~170 MB, and copying
  // it back is I/O the cycle need not wait for. Joined before the next one
  // starts and when the store closes.
  void checkpoint_in_background();
  sql::Db db_;
  std::jthread checkpointer_;  // after db_: joined before the connection closes
};

std::string sources_to_json(const std::vector<SourceStatus>& sources);

}  // namespace complyd
