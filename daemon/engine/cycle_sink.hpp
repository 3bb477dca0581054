// SPDX-License-Identifier: Apache-2.0
// What a cycle hands to the stages after it. The engine knows only these
// interfaces: the store implements CycleState, and the report history and the
// outbox are CycleParticipants. The application wires them together
// (daemon/app/cycle.cpp), so the engine includes nothing above it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/cycle_record.hpp"
#include "model/facts.hpp"
#include "model/file_scan_state.hpp"
#include "model/finding.hpp"

namespace complyd {

// One cycle's writes, in one transaction that opens before the checks run
// and is used only by the thread that runs the cycle. Destroyed without
// commit(): rolled back.
class CycleTransaction {
 public:
  virtual ~CycleTransaction() = default;
  // One check's stored findings (the cycle applies the lifecycle check by check).
  virtual std::unordered_map<std::string, StoredFinding> findings_of(const std::string& check_id) = 0;
  // Check ids with any stored finding.
  virtual std::set<std::string> checks_with_findings() = 0;
  // Upserts `lr.changed` and records `lr.transitions`; their texts are redacted.
  virtual void write(const LifecycleResult& lr) = 0;
  // Completes the cycle's row (sets `record.id`) from `record` and the
  // counts of `totals`, and replaces the file scan state when given.
  virtual void record(CycleRecord& record, const LifecycleResult& totals, const FileScanState* file_scans) = 0;
  // Moves the event streams' watermarks forward (never back) with the commit.
  virtual void advance_judged_through(const std::map<std::string, std::int64_t>& judged) = 0;
  virtual void commit() = 0;
  // After each batch of writes: a hint that they may go to disk.
  virtual void wrote() {}
};

// The state a cycle continues from.
class CycleState {
 public:
  virtual ~CycleState() = default;
  // The files source's incremental state, as the last committed cycle left it.
  virtual FileScanState load_file_scans() = 0;
  // Throws when a cycle evaluated at `at` may not be committed; asked before
  // collection, so that a refused cycle does nothing at all.
  virtual void admit(Time /*at*/) {}
  // Per event stream, the last minute a committed cycle judged (Facts::judged_through).
  virtual std::map<std::string, std::int64_t> load_judged_through() = 0;
  // Opens the cycle's transaction; rows are stamped `at` (the evaluation time).
  virtual std::unique_ptr<CycleTransaction> begin(Time at) = 0;
};

// Another reader of the snapshot that runs beside the checks, and the kinds
// of facts it reads.
struct FactsReader {
  std::string name;  // for the timings in the debug log
  std::vector<FactKind> reads;
  std::function<void()> run;
};

// The cycle's results as the transaction is about to commit.
struct CycleResults {
  std::int64_t cycle_id = 0;
  Time at{};
  const std::set<std::string>& complete_checks;  // ran on complete facts, or disabled
  const std::set<std::string>& disabled_checks;
  const LifecycleResult& lifecycle;
  // Stored findings of the checks that did not run, as they stay.
  const std::unordered_map<std::string, StoredFinding>& untouched;
};

// A later stage that rides along with every cycle and writes into its
// transaction (the report history, the outbox).
class CycleParticipant {
 public:
  // Runs `job` on the cycle's writer thread, inside its transaction; `wait`
  // blocks the caller while the writer's queue is full.
  using Writer = std::function<void(std::function<void()> job, bool wait)>;
  virtual ~CycleParticipant() = default;
  // After collection, before the transaction opens: may add facts of its own.
  virtual void collected(Facts& /*facts*/, Time /*at*/) {}
  // Readers of the snapshot to run beside the checks.
  virtual std::vector<FactsReader> readers(const Facts& /*facts*/, Time /*at*/, const Writer& /*writer*/) { return {}; }
  // The snapshot is about to be dropped: nothing may refer to it after this.
  virtual void facts_released() {}
  // Inside the transaction, after the cycle's row, before the commit.
  virtual void in_transaction(const CycleResults& /*results*/) {}
};

}  // namespace complyd
