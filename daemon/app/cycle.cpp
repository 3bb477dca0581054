// SPDX-License-Identifier: Apache-2.0
#include "daemon/app/cycle.hpp"

#include "daemon/notify/outbox.hpp"
#include "daemon/report/history_participant.hpp"
#include "daemon/store/history_verifier.hpp"

namespace complyd {

CycleOutcome run_cycle(const Config& config, StateStore& store, const Clock& clock,
                       const std::function<bool()>& keep_going) {
  // Verifies the history chain while the sources are read.
  HistoryVerifyParticipant chain(store);
  // The report history's tail is written before the e-mails, as ever.
  ReportHistoryParticipant history(config, store.db());
  notify::OutboxParticipant outbox(config, store.db());
  CycleRunner runner(config, store, clock, {&chain, &history, &outbox});
  return runner.run(keep_going);
}

}  // namespace complyd
