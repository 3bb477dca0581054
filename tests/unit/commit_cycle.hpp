// SPDX-License-Identifier: Apache-2.0
// A whole cycle written at once, the way the engine writes one through the
// store's CycleTransaction (and the report history's participant).
#pragma once

#include <cstdint>
#include <functional>

#include "daemon/report/report_store.hpp"
#include "daemon/store/state_store.hpp"

namespace complyd::testing {

// The cycle id, or 0 when `keep_going` says no (rolled back).
inline std::int64_t commit_cycle(StateStore& store, CycleRecord& cycle, const LifecycleResult& lr,
                                 const std::function<bool()>& keep_going = {},
                                 const FileScanState* file_scans = nullptr, const ReportHistory* history = nullptr) {
  StateStore::CycleWrite w(store, cycle.started_at);
  w.write(lr);
  w.record(cycle, lr, file_scans);
  if (history != nullptr) {
    ReportHistoryWriter h(store.db(), cycle.started_at);
    h.add(history->customers);
    h.finish(cycle.id, *history);
  }
  if (keep_going && !keep_going()) return 0;
  w.commit();
  return cycle.id;
}

}  // namespace complyd::testing
