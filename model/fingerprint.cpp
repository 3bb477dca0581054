// SPDX-License-Identifier: Apache-2.0
#include "model/fingerprint.hpp"

#include <algorithm>
#include <functional>

namespace complyd {

Fingerprint::Fingerprint(std::string_view text)
    : length_(static_cast<std::uint32_t>(text.size())),
      prefix_length_(static_cast<std::uint8_t>(std::min<std::size_t>(8, text.size() / 2))) {
  std::copy_n(text.data(), prefix_length_, prefix_.data());
  h1_ = std::hash<std::string_view>()(text);
  // FNV-1a: independent of std::hash's algorithm.
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  h2_ = h;
}

}  // namespace complyd
