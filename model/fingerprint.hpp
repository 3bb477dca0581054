// SPDX-License-Identifier: Apache-2.0
// A credential's fingerprint (a keyed hash of its value, computed by the
// source; never the value itself), held in 32 bytes instead of a 64-digit hex
// string: checks only compare fingerprints and show the first few characters.
// Equal texts give equal Fingerprints; different texts, differing in two
// independent 64-bit hashes, in length or in the first characters.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace complyd {

class Fingerprint {
 public:
  Fingerprint() = default;  // none: not fingerprinted
  Fingerprint(std::string_view text);
  Fingerprint(const std::string& text) : Fingerprint(std::string_view(text)) {}
  Fingerprint(const char* text) : Fingerprint(std::string_view(text)) {}

  bool empty() const { return length_ == 0; }
  // What a finding may show: the first min(8, length / 2) characters.
  std::string_view prefix() const { return {prefix_.data(), prefix_length_}; }

  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;

  struct Hash {
    std::size_t operator()(const Fingerprint& f) const noexcept { return static_cast<std::size_t>(f.h1_); }
  };

 private:
  std::uint64_t h1_ = 0, h2_ = 0;
  std::uint32_t length_ = 0;
  std::uint8_t prefix_length_ = 0;
  std::array<char, 8> prefix_{};
};

}  // namespace complyd
