// SPDX-License-Identifier: Apache-2.0
// Symbol: an immutable string kept once per process, for fact fields with few
// distinct values over many rows (an audit log's actors, actions and customer
// ids: 650k events at 100k customers, each field otherwise its own string).
// A Symbol is a pointer: copying and comparing two Symbols is free.
#pragma once

#include <fmt/format.h>

#include <compare>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace complyd {

class Symbol {
 public:
  Symbol();  // ""
  Symbol(std::string_view text);
  Symbol(const std::string& text) : Symbol(std::string_view(text)) {}
  Symbol(const char* text) : Symbol(std::string_view(text)) {}

  const std::string& str() const { return *text_; }
  operator const std::string&() const { return *text_; }
  operator std::string_view() const { return *text_; }
  bool empty() const { return text_->empty(); }
  std::size_t size() const { return text_->size(); }
  const char* data() const { return text_->data(); }
  const char* c_str() const { return text_->c_str(); }

  // Equal texts are one entry of the table, so equal Symbols are one pointer.
  friend bool operator==(Symbol a, Symbol b) { return a.text_ == b.text_; }
  friend bool operator==(Symbol a, std::string_view b) { return *a.text_ == b; }
  friend bool operator==(Symbol a, const std::string& b) { return *a.text_ == b; }
  friend bool operator==(Symbol a, const char* b) { return *a.text_ == b; }
  friend std::strong_ordering operator<=>(Symbol a, Symbol b) { return *a.text_ <=> *b.text_; }

  // Distinct texts interned so far (for tests and the debug log).
  static std::size_t table_size();

 private:
  const std::string* text_;
};

}  // namespace complyd

template <>
struct std::hash<complyd::Symbol> {
  std::size_t operator()(complyd::Symbol s) const noexcept { return std::hash<const void*>()(s.data()); }
};

template <>
struct fmt::formatter<complyd::Symbol> : fmt::formatter<std::string_view> {
  auto format(complyd::Symbol s, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(s), ctx);
  }
};
