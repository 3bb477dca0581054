// SPDX-License-Identifier: Apache-2.0
// The mutelist ([mutelist] path): rules that mute known exceptions by
// pattern, each with a reason, an owner and an expiry. Plain data and pure
// matching; the configuration loads it, the lifecycle applies it each cycle.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/time.hpp"

namespace complyd {

struct MuteRule {
  std::string id;              // unique in the file; the mute's actor is "mutelist:<id>"
  std::string check = "*";     // a check id, or "*" for every check
  std::string customer = "*";  // glob on the customer id ("" for integration-wide findings)
  std::string subject = "*";   // glob on the finding's subject
  std::string reason;
  std::string owner;  // an e-mail address: told once when the rule expires
  Time expires{};     // the rule mutes while now < expires
};

using Mutelist = std::vector<MuteRule>;

inline constexpr std::string_view kMutelistActorPrefix = "mutelist:";

// "mutelist:<id>": the actor of the events a rule causes and the muted_by of its mutes.
std::string mutelist_actor(const MuteRule& rule);
// The rule id behind a mute's muted_by, or nullopt for a person's mute.
std::optional<std::string> mutelist_rule_id(std::string_view muted_by);

// Shell-style glob (*, ?, [...]) over the whole text; '/' is an ordinary character.
bool glob_match(const std::string& pattern, const std::string& text);
// Whether the rule's patterns cover the finding (expiry aside).
bool rule_matches(const MuteRule& rule, const std::string& check_id, const std::string& customer_id,
                  const std::string& subject);
// The first rule in file order that covers the finding and has not expired at `now`.
const MuteRule* matching_rule(const Mutelist& rules, const std::string& check_id, const std::string& customer_id,
                              const std::string& subject, Time now);
const MuteRule* find_rule(const Mutelist& rules, std::string_view id);

}  // namespace complyd
