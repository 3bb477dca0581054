// SPDX-License-Identifier: Apache-2.0
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
// A stored finding's kind; a check no longer in the catalogue has states.
FindingKind finding_kind(std::string_view check_id, std::string_view subject);

}  // namespace complyd
