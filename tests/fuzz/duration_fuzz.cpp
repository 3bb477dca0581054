// SPDX-License-Identifier: Apache-2.0
// Durations and times as the configuration, the inventory and the CLI give
// them (model/time.hpp): parse, and what parses must format and parse back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/time.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace complyd;
  if (auto d = parse_duration(text)) {
    // Accepted means non-negative and representable: formatting round-trips.
    if (d->count() < 0) std::abort();
    if (parse_duration(format_duration(*d)) != d) std::abort();
    (void)age_text(*d);
  }
  if (auto t = parse_time(text)) {
    const auto s = format_time(*t);
    (void)date_only(*t);
    // Years 1000 to 9999 are written in the canonical form, which parses back.
    if (s.size() == 20 && s[0] != '0' && parse_time(s) != t) std::abort();
  }
  return 0;
}
