// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <system_error>

#include "daemon/cli/cli.hpp"
#include "daemon/app/cycle.hpp"
#include "daemon/log/log.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/report/exports.hpp"
#include "daemon/report/findings_doc.hpp"
#include "daemon/store/state_lock.hpp"
#include "daemon/util/phase_clock.hpp"

namespace complyd::cli {

namespace {
namespace fs = std::filesystem;

struct AuditOpts {
  std::string format = "text", now;
  bool no_notify = false, dry_run = false;
};

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  if (fs::equivalent(a, b, ec)) return true;
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

// Why a run at a chosen time may not write where it was asked to, or empty.
// Checked before anything is opened, so that a refused run writes nothing.
std::string simulated_state_problem(const State& st, const fs::path& configured) {
  if (st.state_path.empty()) {
    return "--now evaluates at a chosen time, and the configured state database records real cycles only: add "
           "--dry-run to print the result without writing anything, or --state FILE to keep it in a database "
           "of its own";
  }
  if (same_file(st.state_path, configured)) {
    return "--state " + st.state_path + " is the configuration's state_db, which records real cycles only";
  }
  if (state_in_use(st.state_path)) return "--state " + st.state_path + " is in use by a running complyd";
  return {};
}

// A dry run's cycle runs on a throwaway copy of the state database, so that
// it continues from the same history and prints what a real run would, while
// the database itself is only read.
class ScratchCopy {
 public:
  explicit ScratchCopy(const fs::path& state_db) {
    std::string tmpl = (fs::temp_directory_path() / "complyd-dry-run-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory");
    dir_ = tmpl;
    path_ = dir_ / "state.db";
    if (fs::exists(state_db)) {
      sql::Db source(state_db, sql::OpenMode::read_write_create);
      sql::Stmt copy(source, "VACUUM INTO ?");
      copy.bind(1, path_.string()).run();
    }
  }
  ~ScratchCopy() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  ScratchCopy(const ScratchCopy&) = delete;
  ScratchCopy& operator=(const ScratchCopy&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path dir_, path_;
};

int audit(const State& st, const AuditOpts& o) {
  if (!valid_time_option(o.now)) return kUsage;
  auto config = load_or_report(st);
  if (!config) return kUsage;
  if (!o.now.empty() && !o.dry_run) {
    const auto configured = load_or_report(State{st.config_path, {}, st.exit_code});
    if (!configured) return kUsage;
    if (auto problem = simulated_state_problem(st, configured->state_db); !problem.empty()) {
      std::cerr << "complyd: " << problem << "; nothing was run\n";
      return kUsage;
    }
  }
  try {
    std::unique_ptr<ScratchCopy> scratch;
    if (o.dry_run) scratch = std::make_unique<ScratchCopy>(config->state_db);
    const StateUse use = o.dry_run ? StateUse::scratch : o.now.empty() ? StateUse::live : StateUse::simulated;
    StateStore store(scratch ? scratch->path() : config->state_db, use);
    PhaseClock phases;
    auto out = run_cycle(*config, store, clock_from(o.now));
    phases.lap("cycle");
    if (o.dry_run) CLOG(notice) << "dry run: the cycle above was evaluated on a copy; nothing was written";
    if (!o.dry_run && !o.no_notify && (!config->smtp.url.empty() || config->notify.any()) && out.committed) {
      // Before exiting, deliver what this cycle enqueued (and anything due).
      const auto rep = notify::deliver_due(*config, store.db(), clock_from(o.now));
      if (!rep.error.empty()) CLOG(error) << "e-mail delivery stopped: " << rep.error << "; the messages stay queued";
      for (const auto& e : rep.channel_errors) CLOG(error) << "delivery to " << e << "; the messages stay queued";
    }
    if (o.format == "json") {
      write_findings_document(std::cout, out.current, out.record,
                              out.record.finished_at.value_or(out.record.started_at));
    } else if (o.format == "ocsf") {
      // The cycle's findings as evaluated at its start, the time they carry.
      write_ocsf_lines(std::cout, out.current, out.record.started_at);
    } else {
      std::cout << cycle_summary_text(out.record, out.current, config->fail_on);
    }
    phases.lap("output");
    CLOG(debug) << "audit: " << phases.summary();
    return audit_fails(out, config->fail_on) ? kFindings : kOk;
  } catch (const CycleRefused& e) {
    std::cerr << "complyd: " << e.what() << "; nothing was written\n";
    return kUsage;
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
  add_state_option(c, st);
  c->add_option("--format", o->format, "text, json or ocsf (OCSF Compliance Finding events, JSON Lines)")
      ->check(CLI::IsMember({"text", "json", "ocsf"}));
  c->add_option("--now", o->now,
                "Evaluate as of this time (RFC 3339); only with --dry-run, or with --state FILE: a new or "
                "simulated database that is not the configured state_db and no daemon uses");
  c->add_flag("--dry-run", o->dry_run,
              "Evaluate and print as a real run would, writing nothing (no state, no outbox, no e-mail)");
  c->add_flag("--no-notify", o->no_notify, "Do not deliver e-mails enqueued by this cycle");
  c->footer(
      "A cycle is never written before the last recorded one, nor, in a live state database, more than 5 "
      "minutes from the wall clock; a database holds real-clock or --now cycles, never both.\n"
      "Exit codes: 0 no open finding at or above audit.fail_on and every check ran; 3 there are, or a check "
      "failed; 2 usage or config error, or a refused cycle (nothing written); 1 runtime failure.");
  c->callback([o, &st] { st.exit_code = audit(st, *o); });
}

}  // namespace complyd::cli
