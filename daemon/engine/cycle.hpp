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

// Runs every enabled check whose facts are complete. A check that throws is
// logged and treated as incomplete: its findings keep their state.
Evaluation evaluate_checks(const Facts& facts, Time now, const Config& config);

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
