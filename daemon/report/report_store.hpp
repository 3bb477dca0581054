// SPDX-License-Identifier: Apache-2.0
// The report's history in the state database (schema/state/0004): written
// with each cycle, read back as of a time for `complyd report --as-of`.
#pragma once

#include <string>
#include <unordered_map>

#include "daemon/report/history.hpp"
#include "daemon/report/report_model.hpp"
#include "daemon/util/sqlite.hpp"

namespace complyd {

// Inside the cycle's transaction (ReportHistoryParticipant), in parts: states
// as their batches are built, then the rest. Customer state rows are
// versioned: only a changed, new or vanished customer writes a row. Every
// customer not added by add() or finish() is recorded as gone.
class ReportHistoryWriter {
 public:
  ReportHistoryWriter(sql::Db& db, Time at);
  void add(const std::vector<CustomerStateRow>& rows);
  // The cycle's row, `tail`'s states, the end of vanished customers' states
  // and the signature rates.
  void finish(std::int64_t cycle_id, const ReportHistory& tail);

 private:
  sql::Db& db_;
  Time at_;
  std::unordered_map<std::string, std::string> current_;
  sql::Stmt close_, insert_;
};

// The digest of each customer's current state row: states a cycle finds
// unchanged need not be kept in memory until the commit.
std::unordered_map<std::string, std::string> load_state_digests(sql::Db& db);

// How load_report_history reads the events and the customer states: into
// the history, or as cursors the report runs when it needs them (History's
// each_event and each_customer), so that a report at 100k customers never
// holds them all. A streamed history must be used inside a ReportSnapshot.
enum class ReportRead { whole, streamed };

// Everything recorded at or before `as_of` that the report shows; cycles and
// signature rates from `period_start` on (plus the last cycle before it).
// `customer`: a streamed read yields (and counts) only that customer's state.
report::History load_report_history(sql::Db& db, Time as_of, Time period_start,
                                    ReportRead read = ReportRead::whole, const std::string& customer = {});

// One read transaction (BEGIN ... ROLLBACK) around loading and rendering a
// report: its cursors read the snapshot its aggregates were read from, while
// the daemon goes on writing (WAL).
class ReportSnapshot {
 public:
  explicit ReportSnapshot(sql::Db& db);
  ~ReportSnapshot();
  ReportSnapshot(const ReportSnapshot&) = delete;
  ReportSnapshot& operator=(const ReportSnapshot&) = delete;

 private:
  sql::Db& db_;
};

}  // namespace complyd
