#include "checks/check.hpp"

#include <array>

namespace complyd {

const char* to_string(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::low: return "low";
    case Severity::medium: return "medium";
    case Severity::high: return "high";
    case Severity::critical: return "critical";
  }
  return "unknown";
}

std::optional<Severity> severity_from(std::string_view s) {
  for (auto v : {Severity::info, Severity::low, Severity::medium, Severity::high, Severity::critical}) {
    if (s == to_string(v)) return v;
  }
  return std::nullopt;
}

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

std::string format_duration(Duration d) {
  auto s = d.count();
  std::string sign;
  if (s < 0) {
    sign = "-";
    s = -s;
  }
  struct Unit { std::int64_t secs; const char* name; };
  static constexpr std::array<Unit, 4> units{{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}};
  if (s == 0) return "0s";
  for (const auto& u : units) {
    if (s % u.secs == 0) return sign + std::to_string(s / u.secs) + u.name;
  }
  return sign + std::to_string(s) + "s";
}

}  // namespace complyd
