// SPDX-License-Identifier: Apache-2.0
#include "daemon/config/toml_bounds.hpp"

#include <fmt/format.h>

#include <vector>

namespace complyd {

std::optional<TomlTextProblem> toml_text_problem(std::string_view text) {
  if (text.size() > kMaxTomlBytes) {
    return TomlTextProblem{1, 1, fmt::format("the file is larger than {} KiB; is it the right file?", kMaxTomlBytes >> 10)};
  }
  std::size_t line = 1, line_start = 0;
  auto at = [&](std::size_t i, std::string message) {
    return TomlTextProblem{line, i - line_start + 1, std::move(message)};
  };
  // Where a key can start: a line's start at the top level, a table header,
  // and after '{' or ',' in an inline table. Keys end at '=' (or ']').
  bool in_key = true;
  std::size_t parts = 1;
  std::vector<char> open;  // '[' (array value or table header) and '{' (inline table)
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
      if (open.empty()) {
        in_key = true;
        parts = 1;
      }
      continue;
    }
    if (c == '#') {  // a comment, to the end of the line
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {  // a string or a quoted key; multi-line strings may span lines
      const bool multi = text.substr(i, 3) == std::string_view(c == '"' ? "\"\"\"" : "'''");
      const std::string_view close = multi ? text.substr(i, 3) : text.substr(i, 1);
      std::size_t j = i + close.size();
      while (j < text.size()) {
        if (c == '"' && text[j] == '\\') {
          if (j + 1 < text.size() && text[j + 1] == '\n') {  // a line-ending backslash
            ++line;
            line_start = j + 2;
          }
          j += 2;
          continue;
        }
        if (text[j] == '\n') {
          if (!multi) break;  // toml++ reports the unterminated string
          ++line;
          line_start = j + 1;
        }
        if (text.substr(j, close.size()) == close) break;
        ++j;
      }
      // A multi-line string may end with up to two extra quotes ("""a"""").
      i = std::min(j + close.size(), text.size()) - 1;
      while (multi && i + 1 < text.size() && text[i + 1] == c) ++i;
      continue;
    }
    if (in_key) {
      if (c == '.') {
        if (++parts > kMaxTomlKeyParts) {
          return at(i, fmt::format("a key or table name of more than {} dotted parts", kMaxTomlKeyParts));
        }
      } else if (c == '=') {
        in_key = false;
        parts = 1;
      } else if (c == '[' && open.empty()) {  // a table header: [a.b] or [[a.b]]
        parts = 1;
      } else if (c == ']' && open.empty()) {
        parts = 1;
      } else if (c == '}' && !open.empty() && open.back() == '{') {  // an empty inline table: {}
        open.pop_back();
        in_key = false;
      }
      continue;
    }
    if (c == '[' || c == '{') {
      open.push_back(c);
      if (open.size() > kMaxTomlNesting) {
        return at(i, fmt::format("arrays and inline tables nested more than {} deep", kMaxTomlNesting));
      }
      if (c == '{') {
        in_key = true;
        parts = 1;
      }
    } else if ((c == ']' || c == '}') && !open.empty()) {
      open.pop_back();
    } else if (c == ',' && !open.empty() && open.back() == '{') {
      in_key = true;
      parts = 1;
    }
  }
  return std::nullopt;
}

}  // namespace complyd
