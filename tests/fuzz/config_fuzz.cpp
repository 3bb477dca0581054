// SPDX-License-Identifier: Apache-2.0
// The configuration loader over arbitrary text: every [[sources]] type known,
// as `complyd config check` runs it. A problem must be a diagnostic with a
// line and column, never a crash; an accepted text must have no problem.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "daemon/sources/registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = complyd::parse_config(text, "fuzz.toml");
  if (r.config.has_value() != r.problems.empty()) std::abort();
  for (const auto& p : r.problems) {
    if (p.line == 0 || p.column == 0 || p.message.empty()) std::abort();
  }
  return 0;
}
