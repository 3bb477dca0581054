// SPDX-License-Identifier: Apache-2.0
#include "model/mutelist.hpp"

#include <fnmatch.h>

namespace complyd {

std::string mutelist_actor(const MuteRule& rule) { return std::string(kMutelistActorPrefix) + rule.id; }

std::optional<std::string> mutelist_rule_id(std::string_view muted_by) {
  if (!muted_by.starts_with(kMutelistActorPrefix)) return std::nullopt;
  return std::string(muted_by.substr(kMutelistActorPrefix.size()));
}

bool glob_match(const std::string& pattern, const std::string& text) {
  // fnmatch is pure (no file system access); without FNM_PATHNAME '*' also
  // crosses '/', as subjects such as storage paths need.
  return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

bool rule_matches(const MuteRule& rule, const std::string& check_id, const std::string& customer_id,
                  const std::string& subject) {
  return (rule.check == "*" || rule.check == check_id) && glob_match(rule.customer, customer_id) &&
         glob_match(rule.subject, subject);
}

const MuteRule* matching_rule(const Mutelist& rules, const std::string& check_id, const std::string& customer_id,
                              const std::string& subject, Time now) {
  for (const auto& r : rules) {
    if (now < r.expires && rule_matches(r, check_id, customer_id, subject)) return &r;
  }
  return nullptr;
}

const MuteRule* find_rule(const Mutelist& rules, std::string_view id) {
  for (const auto& r : rules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

}  // namespace complyd
