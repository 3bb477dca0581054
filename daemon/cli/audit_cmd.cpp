#include <iostream>
#include <memory>

#include "daemon/cli/cli.hpp"
#include "daemon/app/cycle.hpp"
#include "daemon/log/log.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/report/findings_doc.hpp"
#include "daemon/util/phase_clock.hpp"

namespace complyd::cli {

namespace {
struct AuditOpts {
  std::string format = "text", now;
  bool no_notify = false;
};

int audit(const State& st, const AuditOpts& o) {
  if (!valid_time_option(o.now)) return kUsage;
  auto config = load_or_report(st.config_path);
  if (!config) return kUsage;
  try {
    StateStore store(config->state_db);
    PhaseClock phases;
    auto out = run_cycle(*config, store, clock_from(o.now));
    phases.lap("cycle");
    if (!o.no_notify && !config->smtp.url.empty() && out.committed) {
      // Before exiting, deliver what this cycle enqueued (and anything due).
      const auto rep = notify::deliver_due(*config, store.db(), clock_from(o.now));
      if (!rep.error.empty()) CLOG(error) << "e-mail delivery stopped: " << rep.error << "; the messages stay queued";
    }
    if (o.format == "json") {
      write_findings_document(std::cout, out.current, out.record,
                              out.record.finished_at.value_or(out.record.started_at));
    } else {
      std::cout << cycle_summary_text(out.record, out.current, config->fail_on);
    }
    phases.lap("output");
    CLOG(debug) << "audit: " << phases.summary();
    return count_failing(out.current, config->fail_on) > 0 ? kFindings : kOk;
  } catch (const StateError& e) {  // e.g. an emptied state file: no retry can fix it
    std::cerr << "complyd: " << e.what() << '\n';
    return kUsage;
  } catch (const std::exception& e) {
    CLOG(error) << "audit failed: " << e.what();
    return kRuntime;
  }
}
}  // namespace

void add_audit_commands(CLI::App& app, State& st) {
  auto o = std::make_shared<AuditOpts>();
  auto* c = app.add_subcommand("audit", "Run one full audit cycle and print the result");
  add_config_option(c, st);
  c->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  c->add_option("--now", o->now, "Evaluate as of this time (RFC 3339), for reproducible runs");
  c->add_flag("--no-notify", o->no_notify, "Do not deliver e-mails enqueued by this cycle");
  c->footer(
      "Exit codes: 0 no open finding at or above audit.fail_on; 3 there are; 2 usage or config error; "
      "1 runtime failure.");
  c->callback([o, &st] { st.exit_code = audit(st, *o); });
}

}  // namespace complyd::cli
