#include "checks/check.hpp"

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

}  // namespace complyd
