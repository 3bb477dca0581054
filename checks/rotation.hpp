// SPDX-License-Identifier: Apache-2.0
// Rotation due dates and reminder stages per credential. Shared by the
// credential-age check and (later) the reminder notifier, so both agree.
#pragma once

#include <optional>

#include "checks/check.hpp"

namespace complyd {

enum class RotationStage : std::uint8_t { ok, warning, due, overdue, unknown_age, no_limit };
const char* to_string(RotationStage s);

struct RotationStatus {
  RotationStage stage = RotationStage::unknown_age;
  std::optional<Time> rotated_at;  // the age basis: rotated_at, else created_at
  std::optional<Time> due_at;
  std::optional<Duration> limit;
  Duration age{0};
};

// Stages: ok until due - warn_before; warning until due; due on the due day
// (the 24 hours from due_at); overdue after that.
RotationStatus rotation_status(const Credential& c, const DurationMap& limits, Duration warn_before,
                               Time now);

}  // namespace complyd
