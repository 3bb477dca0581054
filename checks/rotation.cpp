// SPDX-License-Identifier: Apache-2.0
#include "checks/rotation.hpp"

namespace complyd {

const char* to_string(RotationStage s) {
  switch (s) {
    case RotationStage::ok: return "ok";
    case RotationStage::warning: return "warning";
    case RotationStage::due: return "due";
    case RotationStage::overdue: return "overdue";
    case RotationStage::unknown_age: return "unknown_age";
    case RotationStage::no_limit: return "no_limit";
  }
  return "unknown";
}

RotationStatus rotation_status(const Credential& c, const DurationMap& limits, Duration warn_before,
                               Time now) {
  RotationStatus st;
  st.rotated_at = c.rotated_at ? c.rotated_at : c.created_at;
  auto lim = limits.find(c.kind);
  if (lim != limits.end()) st.limit = lim->second;
  if (!st.rotated_at) {
    st.stage = RotationStage::unknown_age;
    return st;
  }
  st.age = now - *st.rotated_at;
  if (!st.limit) {
    st.stage = RotationStage::no_limit;
    return st;
  }
  st.due_at = *st.rotated_at + *st.limit;
  if (now < *st.due_at - warn_before) {
    st.stage = RotationStage::ok;
  } else if (now <= *st.due_at) {
    st.stage = RotationStage::warning;
  } else if (now < *st.due_at + days(1)) {
    st.stage = RotationStage::due;
  } else {
    st.stage = RotationStage::overdue;
  }
  return st;
}

}  // namespace complyd
