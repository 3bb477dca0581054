// SPDX-License-Identifier: Apache-2.0
// One audit cycle over the state database, with every stage that rides along
// (the report history, the outbox): the wiring the daemon, `complyd audit`
// and the tests share.
#pragma once

#include <functional>

#include "daemon/config/config.hpp"
#include "daemon/engine/cycle.hpp"
#include "daemon/store/state_store.hpp"
#include "model/time.hpp"

namespace complyd {

// `keep_going` is asked just before commit; false rolls the cycle back.
CycleOutcome run_cycle(const Config& config, StateStore& store, const Clock& clock,
                       const std::function<bool()>& keep_going = {});

}  // namespace complyd
