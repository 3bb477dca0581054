// SPDX-License-Identifier: Apache-2.0
#include "model/mask.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace complyd {
namespace {

bool scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}
// Ends a URL's authority or a parameter's value.
bool url_end(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '<' || c == '>' || c == ')' ||
         c == ']' || c == ',' || c == ';';
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Parameter names that carry credentials (substrings, case-insensitive).
bool secret_name(std::string_view name) {
  static constexpr std::array<std::string_view, 10> kParts{"token", "key",  "secret", "passw",     "pwd",
                                                           "auth",  "sig",  "credential", "session", "apikey"};
  const auto n = lower(name);
  return std::any_of(kParts.begin(), kParts.end(), [&](std::string_view p) { return n.find(p) != std::string::npos; });
}

// Masks the userinfo of every scheme://userinfo@host in `s`.
std::string mask_userinfo(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t done = 0;
  for (auto pos = s.find("://"); pos != std::string_view::npos; pos = s.find("://", pos + 3)) {
    if (pos == 0 || !scheme_char(s[pos - 1])) continue;
    const std::size_t start = pos + 3;
    std::size_t end = start;
    while (end < s.size() && !url_end(s[end]) && s[end] != '/' && s[end] != '?' && s[end] != '#') ++end;
    const auto authority = s.substr(start, end - start);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos || at == 0) continue;
    const auto userinfo = authority.substr(0, at);
    const auto colon = userinfo.find(':');
    out.append(s.substr(done, start - done));
    // user:password keeps the user (who connects is no secret); a lone
    // userinfo may itself be a token.
    if (colon != std::string_view::npos) out.append(userinfo.substr(0, colon + 1));
    out.append(kMasked);
    done = start + at;  // from the '@' on
  }
  out.append(s.substr(done));
  return out;
}

// Masks the value of every ?name=value / &name=value whose name is secret-like.
std::string mask_query(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t done = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '?' && s[i] != '&') continue;
    const std::size_t name_start = i + 1;
    std::size_t eq = name_start;
    while (eq < s.size() && s[eq] != '=' && s[eq] != '&' && !url_end(s[eq])) ++eq;
    if (eq >= s.size() || s[eq] != '=' || eq == name_start) continue;
    if (!secret_name(s.substr(name_start, eq - name_start))) continue;
    std::size_t end = eq + 1;
    while (end < s.size() && s[end] != '&' && s[end] != '#' && !url_end(s[end])) ++end;
    if (end == eq + 1 || s.substr(eq + 1, end - eq - 1) == kMasked) continue;
    out.append(s.substr(done, eq + 1 - done));
    out.append(kMasked);
    done = end;
    i = end - 1;
  }
  out.append(s.substr(done));
  return out;
}

}  // namespace

std::string mask_url_credentials(std::string_view text) {
  const bool url = text.find("://") != std::string_view::npos;
  const bool query = text.find_first_of("?&") != std::string_view::npos;
  if (!url && !query) return std::string(text);
  std::string out = url ? mask_userinfo(text) : std::string(text);
  return query ? mask_query(out) : out;
}

}  // namespace complyd
