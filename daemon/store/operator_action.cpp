// SPDX-License-Identifier: Apache-2.0
#include "daemon/store/operator_action.hpp"

#include <fmt/format.h>

namespace complyd {

StoredFinding apply_operator_action(StateStore& store, const OperatorAction& a, const Actor& by, Time now) {
  switch (a.kind) {
    case FindingAction::mute: {
      if (a.until.empty()) throw StateError("a mute needs an end date");
      const auto until = parse_time(a.until);
      if (!until) throw StateError(fmt::format("'{}' is not a date or time (e.g. 2027-03-31)", a.until));
      return store.mute(a.finding_id, a.reason, by, *until, now);
    }
    case FindingAction::unmute: return store.unmute(a.finding_id, by, now);
    case FindingAction::ack: return store.ack(a.finding_id, a.reason, by, now);
  }
  throw StateError("unknown action");
}

}  // namespace complyd
