// SPDX-License-Identifier: Apache-2.0
// Finding lifecycle, as a pure function: given what is stored, what this
// cycle observed and which checks ran on complete facts, compute the new
// state and the transitions to record. No I/O.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/finding.hpp"
#include "model/mutelist.hpp"

namespace complyd {

// Stable finding id from check id, customer and subject.
std::string finding_id(const std::string& check_id, const std::string& customer_id, const std::string& subject);

// `complete_checks`: ids of checks that ran on complete facts (or are
// disabled): their stored findings not observed now are resolved. Findings
// of other checks keep their state.
LifecycleResult apply_lifecycle(const std::unordered_map<std::string, StoredFinding>& stored,
                                std::vector<Observed> observed, const std::set<std::string>& complete_checks,
                                const std::set<std::string>& disabled_checks, Time now,
                                const Mutelist& mutelist = {});

// The mutelist applied to one current (open or muted) finding: an open one a
// live rule covers is muted by it; one a rule muted that no rule of that id
// covers any more (removed, narrowed) opens again; a rule's changed reason or
// expiry is taken over. A person's mute is never touched. Appends the
// transitions; returns whether `f` changed. Expired mutes are the caller's.
bool apply_mutelist(StoredFinding& f, const Mutelist& mutelist, Time now, std::vector<Transition>& out);

}  // namespace complyd
