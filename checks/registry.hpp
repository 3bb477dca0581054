// The explicit list of checks. Adding a check: one file in checks/ that
// defines `const CheckDef& <name>_check()`, and one line in registry.cpp. A
// check with parameters also declares its struct in checks/params.hpp.
#pragma once

#include <span>
#include <string_view>

#include "checks/check.hpp"

namespace complyd {

std::span<const CheckDef* const> all_checks();
const CheckDef* find_check(std::string_view id);

}  // namespace complyd
