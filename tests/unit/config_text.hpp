// SPDX-License-Identifier: Apache-2.0
// Configuration text as the tests parse it: the file is always
// /etc/complyd/complyd.toml, so problems read as an operator sees them.
#pragma once

#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/sources/registry.hpp"

namespace complyd::testing {

inline ConfigResult parse_toml(const std::string& text) { return parse_config(text, "/etc/complyd/complyd.toml"); }

// Each problem as "file:line:column: message".
inline std::vector<std::string> messages(const ConfigResult& r) {
  std::vector<std::string> out;
  for (const auto& p : r.problems) out.push_back(p.to_string());
  return out;
}

}  // namespace complyd::testing
