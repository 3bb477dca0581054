// SPDX-License-Identifier: Apache-2.0
#include "checks/check.hpp"

#include <algorithm>
#include <array>

namespace complyd {

const char* to_string(ParamType t) {
  switch (t) {
    case ParamType::boolean: return "boolean";
    case ParamType::integer: return "integer";
    case ParamType::number: return "number";
    case ParamType::duration: return "duration";
    case ParamType::string: return "string";
    case ParamType::string_list: return "string list";
    case ParamType::duration_map: return "table of durations";
  }
  return "unknown";
}

Params default_params(const CheckInfo& info) { return info.binding.defaults; }

FindingKind finding_kind(const CheckInfo& info, std::string_view subject) {
  if (info.kind == FindingKind::state) {
    const auto& ip = info.incident_prefixes;
    return std::any_of(ip.begin(), ip.end(), [&](const std::string& p) { return subject.starts_with(p); })
               ? FindingKind::incident
               : FindingKind::state;
  }
  const auto& st = info.state_subjects;
  return std::find(st.begin(), st.end(), subject) != st.end() ? FindingKind::state : FindingKind::incident;
}

}  // namespace complyd
