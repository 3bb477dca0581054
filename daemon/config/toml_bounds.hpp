// SPDX-License-Identifier: Apache-2.0
// Bounds on a TOML text checked before toml++ sees it: its parser recurses
// once per part of a dotted key or table header and per nested array or
// inline table, so a key of 400,000 parts overflowed the stack (SIGSEGV)
// instead of becoming a configuration error. No real configuration comes
// near these limits.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/util/bounded_file.hpp"

namespace complyd {

inline constexpr std::size_t kMaxTomlBytes = kMaxConfigBytes;      // what the loader reads: 1 MiB
inline constexpr std::size_t kMaxTomlKeyParts = 32;                  // a.b.c = 1, [a.b.c]
inline constexpr std::size_t kMaxTomlNesting = 32;                   // [[[...]]], {a = {b = ...}}

struct TomlTextProblem {
  std::size_t line = 1, column = 1;  // 1-based, where the limit is passed
  std::string message;
};

// The first limit `text` passes, or nothing. A cheap single pass that knows
// TOML's strings and comments; whatever else is wrong is toml++'s to report.
std::optional<TomlTextProblem> toml_text_problem(std::string_view text);

}  // namespace complyd
