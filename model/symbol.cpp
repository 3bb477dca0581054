// SPDX-License-Identifier: Apache-2.0
#include "model/symbol.hpp"

#include <mutex>
#include <unordered_set>

namespace complyd {
namespace {

// Never shrinks: the texts are bounded by what the sources ever held (tens of
// distinct actors and actions, one entry per customer id ever seen), and a
// Symbol must stay valid wherever a copy of a fact lives.
struct Table {
  std::mutex mu;
  std::unordered_set<std::string> texts;
};

Table& table() {
  static Table* t = new Table;  // outlives every static destructor that might hold a Symbol
  return *t;
}

const std::string* intern(std::string_view text) {
  auto& t = table();
  std::lock_guard lock(t.mu);
  return &*t.texts.emplace(text).first;
}

}  // namespace

Symbol::Symbol() : Symbol(std::string_view()) {}

Symbol::Symbol(std::string_view text) : text_(intern(text)) {}

std::size_t Symbol::table_size() {
  auto& t = table();
  std::lock_guard lock(t.mu);
  return t.texts.size();
}

}  // namespace complyd
