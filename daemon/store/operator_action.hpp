// SPDX-License-Identifier: Apache-2.0
// An operator's action on a finding, as `complyd findings mute|unmute|ack`
// and the web console both take it: one entry point, so the two cannot
// check or record differently.
#pragma once

#include <string>

#include "daemon/store/state_store.hpp"
#include "model/actor.hpp"

namespace complyd {

enum class FindingAction { mute, unmute, ack };

struct OperatorAction {
  FindingAction kind = FindingAction::mute;
  std::string finding_id;
  std::string reason;  // mute, ack: required
  std::string until;   // mute: RFC 3339 time or date, required
};

// Validates, applies and records the action (StateStore::mute/unmute/ack:
// the history chain, the actor's label). Throws StateError with a message
// fit to show the operator.
StoredFinding apply_operator_action(StateStore& store, const OperatorAction& action, const Actor& by, Time now);

}  // namespace complyd
