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

// Everything recorded at or before `as_of` that the report shows; cycles and
// signature rates from `period_start` on (plus the last cycle before it).
report::History load_report_history(sql::Db& db, Time as_of, Time period_start);

}  // namespace complyd
