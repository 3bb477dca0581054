// SPDX-License-Identifier: Apache-2.0
// UTF-8 at the edges: text read from a source is checked here before any
// check, JSON document or database sees it (utfcpp).
#pragma once

#include <string>
#include <string_view>

namespace complyd {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

bool is_valid_utf8(std::string_view s);
// `s` with each invalid sequence replaced by U+FFFD (a copy of `s` when valid).
std::string to_valid_utf8(std::string_view s);
// In place; true when something was replaced.
bool make_valid_utf8(std::string& s);

}  // namespace complyd
