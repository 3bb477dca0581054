// SPDX-License-Identifier: Apache-2.0
// complyd's own state database: findings, their transitions, cycles.
// One writer connection, WAL, versioned migrations from schema/state/.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "daemon/engine/cycle_sink.hpp"
#include "daemon/store/chain.hpp"
#include "daemon/util/sqlite.hpp"
#include "model/actor.hpp"
#include "model/cycle_record.hpp"
#include "model/file_scan_state.hpp"
#include "model/finding.hpp"

namespace complyd {

class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A cycle the store will not commit (the history only moves forward).
// Thrown before the cycle writes anything.
class CycleRefused : public StateError {
 public:
  using StateError::StateError;
};

// The cycles a store commits: real-clock ones (the daemon, `complyd audit`),
// ones at a chosen time (`complyd audit --now T --state FILE`), or any (the
// throwaway copy of `complyd audit --dry-run`). A database records the first
// two kinds, never both.
enum class StateUse { live, simulated, scratch };

struct FindingFilter {
  std::optional<FindingStatus> status;  // nullopt: all
  std::string customer_id;
  std::string check_id;
};

// One stored finding by id, over any connection to the state database (the
// outbox reads it inside the cycle's transaction); nothing if there is none.
std::optional<StoredFinding> find_stored_finding(sql::Db& db, const std::string& id);

class StateStore : public CycleState {
 public:
  static constexpr int kSchemaVersion = 15;
  // How far from the wall clock a live cycle's time may be.
  static constexpr Duration kClockTolerance{5 * 60};

  // `wall` is the wall clock the live rule compares with (injected in tests).
  explicit StateStore(const std::filesystem::path& path, StateUse use = StateUse::live,
                      Clock wall = system_clock());

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
  // What the database's cycles were: nullopt until its first cycle commits.
  std::optional<StateUse> recorded_use();
  // The one rule every cycle's commit goes through (CycleWrite checks it again
  // under its write lock): throws CycleRefused when a cycle at `at` may not be
  // written here: another kind of cycle than the database records, a time
  // before the last committed cycle's, or (live) more than kClockTolerance
  // from the wall clock. Called as the cycle starts, before its collection.
  void admit(Time at) override;
  // The files source's incremental state (leak-scan).
  FileScanState load_file_scans() override;
  // Per event stream, the last minute a committed cycle judged.
  std::map<std::string, std::int64_t> load_judged_through() override;
  // A cycle's writes (CycleWrite).
  std::unique_ptr<CycleTransaction> begin(Time at) override;

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
  // checks run: findings are written check by check as they are produced, on
  // the thread that owns this store, while other threads evaluate. Events are
  // stamped `at` (the cycle's evaluation time). Destroyed without commit():
  // rolled back.
  class CycleWrite : public CycleTransaction {
   public:
    CycleWrite(StateStore& store, Time at);
    std::int64_t cycle_id() const { return id_; }
    std::unordered_map<std::string, StoredFinding> findings_of(const std::string& check_id) override {
      return store_.load_findings_of(check_id);
    }
    std::set<std::string> checks_with_findings() override { return store_.checks_with_findings(); }
    // Upserts `lr.changed` and records `lr.transitions`. Their texts must be
    // redacted already (CycleRunner's checks are; stored rows were).
    void write(const LifecycleResult& lr) override;
    void record(CycleRecord& cycle, const LifecycleResult& totals, const FileScanState* file_scans) override;
    void advance_judged_through(const std::map<std::string, std::int64_t>& judged) override;
    void commit() override;
    void wrote() override { write_back_wal(); }

   private:
    StateStore& store_;
    sql::Db& db_;
    ForeignKeysOff foreign_keys_off_;  // before tx_: set before BEGIN, restored after it ends
    sql::Transaction tx_;
    Time at_;
    std::int64_t id_ = 0;
    sql::Stmt upsert_, seen_, event_;
    chain::Writer chain_;  // every event and the cycle's row join the history chain
    std::int64_t next_event_id_ = 0;
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

  // Operator actions; they throw StateError with a message for the CLI.
  // `by` is recorded as its label (the events' actor, the finding's muted_by).
  StoredFinding mute(const std::string& id, const std::string& reason, const Actor& by, Time until, Time now);
  StoredFinding unmute(const std::string& id, const Actor& by, Time now);
  // Resolves an open or muted incident-kind finding and records who
  // acknowledged it and why; a state-kind finding is refused (it resolves
  // when fixed). The incident reopens if its check sees it again.
  StoredFinding ack(const std::string& id, const std::string& reason, const Actor& by, Time now);

  sql::Db& db() { return db_; }
  // How far this process has verified the history chain (history_verifier.hpp).
  chain::VerifyState& chain_verified() { return chain_verified_; }

 private:
  void migrate();
  void check_cycle(Time at, bool against_wall);
  // Copies the WAL into the database file on a connection of its own, after
  // a cycle's commit: a cycle at 100k customers writes ~170 MB, and copying
  // it back is I/O the cycle need not wait for. Joined before the next one
  // starts and when the store closes.
  void checkpoint_in_background();
  sql::Db db_;
  StateUse use_;
  Clock wall_;
  std::optional<Time> admitted_;  // checked against the wall clock by admit()
  chain::VerifyState chain_verified_;
  std::jthread checkpointer_;  // after db_: joined before the connection closes
};

// An outbox idempotency key recorded before keys were built from ids and
// hashes may hold a credential (a storage path with `?token=`): such a key
// becomes "<kind>:sha256:<hex of the key>" (migration 8); others are returned
// unchanged.
std::string outbox_key_without_credentials(const std::string& key);

std::string sources_to_json(const std::vector<SourceStatus>& sources);
// The one decoder of a cycle's stored sources. A column that cannot be read
// is logged and read as one failed source, so the cycle never looks clean.
std::vector<SourceStatus> sources_from_json(std::string_view text, std::int64_t cycle_id);

}  // namespace complyd
