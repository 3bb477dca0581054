// SPDX-License-Identifier: Apache-2.0
// One audit cycle: collect facts -> evaluate checks -> apply the lifecycle ->
// hand the results to the state and the participants (cycle_sink.hpp), which
// commit them atomically. daemon/app/cycle.cpp wires it for the scheduler and
// `complyd audit`.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/engine/cycle_sink.hpp"
#include "daemon/engine/lifecycle.hpp"
#include "model/cycle_record.hpp"
#include "model/time.hpp"

namespace complyd {

struct Evaluation {
  std::vector<Observed> observed;
  std::set<std::string> complete_checks;  // ran on complete facts, or disabled
  std::set<std::string> disabled_checks;
  int checks_run = 0;
  int checks_skipped = 0;  // a source they need failed
  std::vector<std::string> errors;
};

// Drops one kind of fact from `f` and frees its memory (`sources` stays).
void release_facts(Facts& f, FactKind k);

struct EvaluateOptions {
  unsigned workers = 1;
  // Drop each kind of fact from the snapshot once every check and reader of
  // it is done (a check reads only the kinds it declares in `needs`).
  bool release_facts = false;
  // Called on the check's thread as soon as a check has run without error,
  // with its findings (which then do not go into Evaluation::observed).
  std::function<void(const std::string& check_id, std::vector<Observed> observed)> on_check_done;
};

// Runs every enabled check whose facts are complete, on up to
// `options.workers` threads, with the `alongside` readers in the same pool.
// A check that throws is logged and treated as incomplete: its findings keep
// their state. Findings come out in catalogue order.
Evaluation evaluate_checks(Facts& facts, Time now, const Config& config, const std::vector<FactsReader>& alongside = {},
                           const EvaluateOptions& options = {});

struct CycleOutcome {
  bool committed = false;
  CycleRecord record;
  LifecycleResult lifecycle;  // counts and transitions; `changed` is moved into `current` after commit
  std::vector<StoredFinding> current;  // open and muted findings after the cycle
};

class CycleRunner {
 public:
  // `participants` run in this order, each beside the checks and in the transaction.
  CycleRunner(const Config& config, CycleState& state, Clock clock, std::vector<CycleParticipant*> participants = {});
  // `keep_going` is asked just before commit; false rolls the cycle back.
  CycleOutcome run(const std::function<bool()>& keep_going = {});

 private:
  const Config& config_;
  CycleState& state_;
  Clock clock_;
  std::vector<CycleParticipant*> participants_;
};

// Open (not muted) findings at or above `threshold`.
int count_failing(const std::vector<StoredFinding>& findings, Severity threshold);
// Whether the cycle fails the audit: open findings at or above `fail_on`, or
// a check that failed (it confirmed nothing: never a pass, whatever fail_on).
bool audit_fails(const CycleOutcome& out, Severity fail_on);

}  // namespace complyd
