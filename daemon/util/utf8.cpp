// SPDX-License-Identifier: Apache-2.0
#include "daemon/util/utf8.hpp"

#include <utf8.h>

#include <iterator>

namespace complyd {

bool is_valid_utf8(std::string_view s) { return utf8::is_valid(s.begin(), s.end()); }

std::string to_valid_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 2);
  utf8::replace_invalid(s.begin(), s.end(), std::back_inserter(out));
  return out;
}

bool make_valid_utf8(std::string& s) {
  if (is_valid_utf8(s)) return false;
  s = to_valid_utf8(s);
  return true;
}

}  // namespace complyd
