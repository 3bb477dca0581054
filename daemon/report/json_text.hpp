// SPDX-License-Identifier: Apache-2.0
// Writing JSON text directly, byte for byte as nlohmann's dump() writes the
// same values, for the per-finding and per-customer documents that are
// written 100,000 times a cycle (no tree, no allocation per value).
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace complyd::json_text {

inline bool plain(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f && c != '"' && c != '\\';
  });
}

inline void put_string(std::string& out, std::string_view v) {
  if (plain(v)) {
    out += '"';
    out += v;
    out += '"';
  } else {
    out += nlohmann::json(std::string(v)).dump();  // its escaping, and its error on invalid UTF-8
  }
}

inline void put_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// True when `text` is an object of string values with strictly ascending
// plain keys and plain values, without whitespace: exactly what dump()
// gives for it, so parsing and dumping it again would change nothing.
inline bool canonical_string_object(std::string_view text) {
  std::size_t i = 0;
  auto str = [&](std::string_view& s) {
    if (i >= text.size() || text[i] != '"') return false;
    const auto end = text.find('"', i + 1);
    if (end == std::string_view::npos) return false;
    s = text.substr(i + 1, end - i - 1);
    i = end + 1;
    return plain(s);
  };
  if (text.size() < 2 || text[i++] != '{') return false;
  if (text[i] == '}') return text.size() == 2;
  std::string_view prev, key, value;
  bool first = true;
  while (true) {
    if (!str(key) || (!first && !(prev < key)) || i >= text.size() || text[i++] != ':' || !str(value)) return false;
    first = false;
    prev = key;
    if (i >= text.size()) return false;
    const char c = text[i++];
    if (c == '}') return i == text.size();
    if (c != ',') return false;
  }
}

}  // namespace complyd::json_text
