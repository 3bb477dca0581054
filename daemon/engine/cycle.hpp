// One audit cycle: collect facts -> evaluate checks -> apply the lifecycle ->
// persist atomically. The scheduler and `complyd audit` both call this.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/engine/lifecycle.hpp"
#include "daemon/sources/source.hpp"
#include "daemon/store/state_store.hpp"
#include "daemon/util/time.hpp"

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

// Another reader of the snapshot that runs beside the checks, and the kinds
// of facts it reads.
struct FactsReader {
  std::string name;  // for the timings in the debug log
  std::vector<FactKind> reads;
  std::function<void()> run;
};

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
  CycleRunner(const Config& config, StateStore& store, Clock clock);
  // `keep_going` is asked just before commit; false rolls the cycle back.
  CycleOutcome run(const std::function<bool()>& keep_going = {});

 private:
  const Config& config_;
  StateStore& store_;
  Clock clock_;
};

// Open (not muted) findings at or above `threshold`.
int count_failing(const std::vector<StoredFinding>& findings, Severity threshold);

}  // namespace complyd
