// SPDX-License-Identifier: Apache-2.0
// The history chain's part in every cycle: the chain is verified beside
// collection, on a connection of its own, from where the last verification
// of this process ended (all of it the first time: at start-up), and the
// result reaches the checks as a fact (history-integrity). A break stays
// reported for the life of the process; nothing repairs the chain.
#pragma once

#include <thread>

#include "daemon/engine/cycle_sink.hpp"
#include "daemon/store/chain.hpp"
#include "daemon/store/state_store.hpp"

namespace complyd {

// One per cycle.
class HistoryVerifyParticipant : public CycleParticipant {
 public:
  explicit HistoryVerifyParticipant(StateStore& store);
  void collected(Facts& facts, Time at) override;

 private:
  chain::VerifyState& state_;
  HistoryIntegrity result_;
  std::jthread worker_;
};

}  // namespace complyd
