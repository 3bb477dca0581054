// SPDX-License-Identifier: Apache-2.0
#include "daemon/engine/cycle.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <thread>
#include <tuple>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "checks/params.hpp"
#include "checks/registry.hpp"
#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/sources/source.hpp"
#include "daemon/sources/files_source.hpp"
#include "daemon/util/parallel.hpp"
#include "daemon/util/phase_clock.hpp"
#include "daemon/util/utf8.hpp"
#include "daemon/util/writer_queue.hpp"

namespace complyd {

namespace {

// What a check says is stored, printed and sent: valid UTF-8 first (whatever
// a source let through, e.g. in a URL's host), then redacted.
std::string said(std::string_view text) { return redact(to_valid_utf8(text)); }

std::string evidence_json(const Finding& f) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : f.evidence) j[to_valid_utf8(k)] = to_valid_utf8(v);
  return redact(j.dump());
}

}  // namespace

void release_facts(Facts& f, FactKind k) {
  const auto drop = [](auto& v) { std::decay_t<decltype(v)>().swap(v); };
  switch (k) {
    case FactKind::customers: drop(f.customers); break;
    case FactKind::credentials: drop(f.credentials); break;
    case FactKind::webhooks: drop(f.webhooks); break;
    case FactKind::verifications: drop(f.verifications); break;
    case FactKind::data_sets: drop(f.data_sets); break;
    case FactKind::audit_events:
      drop(f.audit_events);
      drop(f.reader_scopes);
      break;
    case FactKind::attestations: drop(f.attestations); break;
    case FactKind::api_endpoints: drop(f.api_endpoints); break;
    case FactKind::file_scans: drop(f.leak_hits); break;
    case FactKind::outbox: f.outbox = {}; break;
    case FactKind::customer_activity: drop(f.customer_activity); break;
    case FactKind::secret_stores: drop(f.secret_stores); break;
    case FactKind::history: f.history = {}; break;
  }
}


Evaluation evaluate_checks(Facts& facts, Time now, const Config& config, const std::vector<FactsReader>& alongside,
                           const EvaluateOptions& options) {
  Evaluation ev;
  // What each check did, in catalogue order whatever order they finish in.
  struct Run {
    const CheckDef* def;
    CheckConfig cc;
    std::vector<Observed> observed;
    std::string error;
    std::chrono::steady_clock::duration took{};
  };
  std::vector<Run> runs;
  for (const CheckDef* def : all_checks()) {
    const auto& id = def->info.id;
    auto cc_it = config.checks.find(id);
    CheckConfig cc = cc_it != config.checks.end()
                         ? cc_it->second
                         : CheckConfig{true, def->info.default_severity, default_params(def->info)};
    if (!cc.enabled) {
      ev.disabled_checks.insert(id);
      ev.complete_checks.insert(id);
      continue;
    }
    std::vector<std::string> missing;
    for (auto k : def->info.needs) {
      if (!facts.kind_complete(k)) missing.emplace_back(to_string(k));
    }
    if (!missing.empty()) {
      ++ev.checks_skipped;
      CLOG(warning) << "check " << id << " skipped: facts incomplete (" << fmt::format("{}", fmt::join(missing, ", "))
                    << "); its findings keep their state";
      continue;
    }
    runs.push_back(Run{def, std::move(cc), {}, {}, {}});
  }
  // One check's run: its findings, or its error (the check then confirmed
  // nothing, and its stored findings keep their state).
  const auto run_check = [&facts, now, &options](Run& r) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto& id = r.def->info.id;
    try {
      CheckContext ctx{facts, now, r.cc.params, r.cc.severity};
      auto findings = r.def->evaluate(ctx);
      r.observed.reserve(findings.size());
      for (auto& f : findings) {
        f.check_id = id;
        // One redaction point for everything a check says: whatever
        // reaches the store, the outputs and e-mails passes here first.
        f.customer_id = to_valid_utf8(f.customer_id);
        f.subject = said(f.subject);
        f.title = said(f.title);
        f.detail = said(f.detail);
        f.remediation = said(f.remediation);
        Observed o;
        o.id = finding_id(id, f.customer_id, f.subject);
        o.evidence_json = evidence_json(f);
        f.evidence = {};  // kept as evidence_json from here on
        o.finding = std::move(f);
        r.observed.push_back(std::move(o));
      }
      // In the outputs' order (customer, subject), here on a worker
      // rather than over every finding after the commit.
      std::sort(r.observed.begin(), r.observed.end(), [](const Observed& a, const Observed& b) {
        return std::tie(a.finding.customer_id, a.finding.subject, a.id) <
               std::tie(b.finding.customer_id, b.finding.subject, b.id);
      });
    } catch (const std::exception& e) {
      r.observed = {};
      r.error = said(e.what());
      if (r.error.empty()) r.error = "an error without a message";
    } catch (...) {
      r.observed = {};
      r.error = "an unknown error";
    }
    r.took = std::chrono::steady_clock::now() - t0;
    if (r.error.empty() && options.on_check_done) {
      options.on_check_done(id, std::move(r.observed));
      r.observed = {};
    }
  };

  // The checks are pure functions of one snapshot that no task writes: they
  // run side by side, with the other readers of the snapshot (`alongside`).
  struct Task {
    std::vector<FactKind> reads;
    std::function<void()> run;
  };
  std::vector<Task> tasks;
  std::vector<std::chrono::steady_clock::duration> reader_took(alongside.size());
  for (std::size_t i = 0; i < alongside.size(); ++i) {
    tasks.push_back({alongside[i].reads, [&, i] {
                       const auto t0 = std::chrono::steady_clock::now();
                       alongside[i].run();
                       reader_took[i] = std::chrono::steady_clock::now() - t0;
                     }});
  }
  // Checks that run last wait for the others' outcome (Facts::check_failures).
  std::vector<Run*> last;
  for (Run& r : runs) {
    if (r.def->info.runs_last) {
      last.push_back(&r);
      continue;
    }
    tasks.push_back({r.def->info.needs, [&r, &run_check] { run_check(r); }});
  }

  // Each kind of fact is released once its last reader is done: the counters
  // and audit events of 100k customers are hundreds of MB that the checks
  // still running do not read. Readers of the kinds with the fewest readers
  // start first, so that those go early. Kinds nobody reads stay (the cycle
  // drops the whole snapshot afterwards).
  constexpr std::size_t kKinds = std::size(kAllFactKinds);
  std::array<std::atomic<int>, kKinds> pending{};
  for (const Task& t : tasks) {
    for (FactKind k : t.reads) ++pending[static_cast<std::size_t>(k)];
  }
  // What the last checks read is kept for them.
  for (const Run* r : last) {
    for (FactKind k : r->def->info.needs) ++pending[static_cast<std::size_t>(k)];
  }
  const auto rarest = [&](const Task& t) {
    int n = std::numeric_limits<int>::max();
    for (FactKind k : t.reads) n = std::min(n, pending[static_cast<std::size_t>(k)].load());
    return n;
  };
  // The other readers (the report summary builds ~50 MB of state text at
  // 100k customers) start after the checks: by then the rarest kinds
  // (counters, audit events) are gone and that memory is free again.
  const std::size_t n_alongside = alongside.size();
  std::stable_sort(tasks.begin() + static_cast<std::ptrdiff_t>(n_alongside), tasks.end(),
                   [&](const Task& a, const Task& b) { return rarest(a) < rarest(b); });
  std::rotate(tasks.begin(), tasks.begin() + static_cast<std::ptrdiff_t>(n_alongside), tasks.end());
  std::vector<std::function<void()>> jobs;
  for (Task& t : tasks) {
    jobs.emplace_back([&t, &pending, &facts, &options] {
      t.run();
      if (!options.release_facts) return;
      for (FactKind k : t.reads) {
        if (--pending[static_cast<std::size_t>(k)] == 0) release_facts(facts, k);
      }
    });
  }
  run_parallel(jobs, options.workers);
  for (const Run& r : runs) {
    if (!r.error.empty()) facts.check_failures.push_back({r.def->info.id, r.error});
  }
  for (Run* r : last) run_check(*r);

  std::size_t total = 0;
  for (const Run& r : runs) total += r.observed.size();
  ev.observed.reserve(total);
  std::vector<std::string> timings;
  for (Run& r : runs) {
    const auto& id = r.def->info.id;
    timings.push_back(
        fmt::format("{} {} ms", id, std::chrono::duration_cast<std::chrono::milliseconds>(r.took).count()));
    if (!r.error.empty()) {
      ++ev.checks_skipped;
      ev.errors.push_back(fmt::format("check {} failed: {}", id, r.error));
      CLOG(error) << "check " << id << " failed: " << r.error << "; its findings keep their state";
      continue;
    }
    std::move(r.observed.begin(), r.observed.end(), std::back_inserter(ev.observed));
    r.observed = {};
    ev.complete_checks.insert(id);
    ++ev.checks_run;
  }
  for (std::size_t i = 0; i < alongside.size(); ++i) {
    timings.push_back(fmt::format("{} {} ms", alongside[i].name,
                                  std::chrono::duration_cast<std::chrono::milliseconds>(reader_took[i]).count()));
  }
  CLOG(debug) << "checks: " << fmt::format("{}", fmt::join(timings, ", "));
  return ev;
}

CycleRunner::CycleRunner(const Config& config, CycleState& state, Clock clock,
                         std::vector<CycleParticipant*> participants)
    : config_(config), state_(state), clock_(std::move(clock)), participants_(std::move(participants)) {}

namespace {

void append(LifecycleResult& into, LifecycleResult&& part) {
  std::move(part.changed.begin(), part.changed.end(), std::back_inserter(into.changed));
  into.only_last_seen.insert(into.only_last_seen.end(), part.only_last_seen.begin(), part.only_last_seen.end());
  std::move(part.transitions.begin(), part.transitions.end(), std::back_inserter(into.transitions));
  into.opened += part.opened;
  into.reopened += part.reopened;
  into.resolved += part.resolved;
  into.mute_expired += part.mute_expired;
}

}  // namespace

CycleOutcome CycleRunner::run(const std::function<bool()>& keep_going) {
  CycleOutcome out;
  PhaseClock phases;
  const Time started = clock_();
  out.record.started_at = started;
  state_.admit(started);

  // The files source continues where the last committed cycle stopped; its
  // new state is committed with this cycle's findings, or not at all.
  std::optional<FileScanState> file_scans;
  if (uses_file_scans(config_)) file_scans = state_.load_file_scans();
  FileScanState* scans = file_scans ? &*file_scans : nullptr;
  // The counters are judged from the minute after the last one a committed
  // cycle judged: after a gap the sources read back that far.
  const std::map<std::string, std::int64_t> judged = state_.load_judged_through();
  std::optional<Time> counters_from;
  if (auto cc = config_.checks.find("signature-failures"); cc == config_.checks.end() || cc->second.enabled) {
    const auto minute = first_minute_to_read(signature_failures_params(config_.checks), judged, started);
    counters_from = Time{Duration{minute * 60}};
  }
  const auto sources = make_sources(config_, scans, counters_from);
  Facts facts = collect_facts(sources, started);
  facts.judged_through = judged;
  // What the audit events stream is judged through, taken before the checks
  // free the events.
  const std::optional<std::int64_t> audit_through = audit_events_judged_through(facts.audit_events, started);
  for (CycleParticipant* p : participants_) p->collected(facts, started);
  phases.lap("collect");
  if (keep_going && !keep_going()) {
    CLOG(notice) << "cycle abandoned after collection: shutdown requested";
    return out;
  }

  // From here the cycle's transaction is open and this thread writes into it
  // while other threads evaluate: each check's findings go through the
  // lifecycle, over that check's stored findings only (loaded by index), and
  // into the database as soon as the check is done; the participants' writes
  // (report states) batch by batch. Neither all stored findings nor all
  // states are ever held beside the snapshot. Rows are stamped with the
  // evaluation time.
  const std::unique_ptr<CycleTransaction> tx = state_.begin(started);
  phases.lap("open transaction");
  WriterQueue queue(16);
  std::map<std::string, LifecycleResult> by_check;  // the writer's only
  const auto on_check_done = [&](const std::string& id, std::vector<Observed> observed) {
    queue.push([&, id, observed = std::make_shared<std::vector<Observed>>(std::move(observed))] {
      const auto mine = tx->findings_of(id);
      auto r = apply_lifecycle(mine, std::move(*observed), {id}, {}, started, config_.mutelist);
      observed->clear();
      tx->write(r);
      by_check.emplace(id, std::move(r));
    });
  };
  const CycleParticipant::Writer writer = [&](std::function<void()> job, bool wait) {
    queue.push([&tx, job = std::move(job)] {
      job();
      tx->wrote();
    }, wait);
  };

  // Everything that reads the snapshot runs together: the checks and the
  // participants' readers (report states, reminder facts).
  std::vector<FactsReader> alongside;
  for (CycleParticipant* p : participants_) {
    auto mine = p->readers(facts, started, writer);
    std::move(mine.begin(), mine.end(), std::back_inserter(alongside));
  }
  const unsigned workers = std::max(1u, config_.workers);

  Evaluation ev;
  std::exception_ptr evaluation_error;
  std::thread evaluator([&] {
    try {
      ev = evaluate_checks(facts, started, config_, alongside, {workers, true, on_check_done});
    } catch (...) {
      evaluation_error = std::current_exception();
    }
    queue.close();
  });
  // The writer. After a write error the evaluation is still waited for;
  // the transaction rolls back.
  std::exception_ptr write_error;
  try {
    queue.drain();
  } catch (...) {
    write_error = std::current_exception();
  }
  evaluator.join();
  if (evaluation_error) std::rethrow_exception(evaluation_error);
  if (write_error) std::rethrow_exception(write_error);
  out.record.sources = facts.sources;
  phases.lap("checks, summaries and their writes");
  // The snapshot is the largest thing a cycle holds (counters of 10,000
  // customers over 24 h): anything that needs facts runs above this line.
  for (CycleParticipant* p : participants_) p->facts_released();
  facts = Facts{};
  phases.lap("release facts");

  // Checks that did not run (failed, skipped on incomplete facts, disabled,
  // no longer in the catalogue): their stored findings are resolved when the
  // check is disabled, and otherwise only see their mutes expire. They are
  // the stored findings this cycle may leave as they are (`stored`); every
  // other current finding is in the lifecycle's result.
  std::unordered_map<std::string, StoredFinding> stored;
  for (const auto& id : tx->checks_with_findings()) {
    if (by_check.contains(id)) continue;
    auto mine = tx->findings_of(id);
    auto r = apply_lifecycle(mine, {}, ev.complete_checks, ev.disabled_checks, started, config_.mutelist);
    tx->write(r);
    by_check.emplace(id, std::move(r));
    stored.merge(mine);
  }
  // One result, in the order of check ids, whatever order they finished in.
  {
    std::size_t changed = 0, transitions = 0;
    for (const auto& [id, r] : by_check) changed += r.changed.size(), transitions += r.transitions.size();
    out.lifecycle.changed.reserve(changed);
    out.lifecycle.only_last_seen.reserve(changed);
    out.lifecycle.transitions.reserve(transitions);
  }
  for (auto& [id, r] : by_check) append(out.lifecycle, std::move(r));
  by_check.clear();
  phases.lap("lifecycle of checks that did not run");

  out.record.finished_at = clock_();
  const bool blind =
      std::any_of(out.record.sources.begin(), out.record.sources.end(), [](auto& s) { return !s.ok; });
  out.record.status = blind || !ev.errors.empty() ? "partial" : "ok";
  out.record.checks_run = ev.checks_run;
  out.record.checks_skipped = ev.checks_skipped;
  out.record.opened = out.lifecycle.opened;
  out.record.reopened = out.lifecycle.reopened;
  out.record.resolved = out.lifecycle.resolved;
  out.record.error = fmt::format("{}", fmt::join(ev.errors, "; "));
  // Open count after the cycle, without materialising the merged state yet.
  for (const auto& [id, f] : stored) out.record.open_total += f.status == FindingStatus::open;
  for (const auto& f : out.lifecycle.changed) {
    auto it = stored.find(f.id);
    if (it != stored.end() && it->second.status == FindingStatus::open) --out.record.open_total;
    if (f.status == FindingStatus::open) ++out.record.open_total;
  }

  // The cycle's row, then what the participants record with it (the report
  // history's tail, e-mails with their cause), then the commit: all or nothing.
  tx->record(out.record, out.lifecycle, scans);
  // Each stream's watermark moves, with this commit, and only when every
  // enabled check that reads the stream judged it on complete facts: the
  // counters to the last complete minute (the current one may still grow and
  // is judged again), the audit events to the newest one.
  {
    auto judged_by_all = [&](FactKind kind) {
      bool any = false;
      for (const CheckDef* c : all_checks()) {
        const auto& needs = c->info.needs;
        if (std::find(needs.begin(), needs.end(), kind) == needs.end()) continue;
        if (ev.disabled_checks.contains(c->info.id)) continue;
        if (!ev.complete_checks.contains(c->info.id)) return false;
        any = true;
      }
      return any;
    };
    std::map<std::string, std::int64_t> advance;
    if (judged_by_all(FactKind::verifications)) {
      advance[kVerificationsStream] = started.time_since_epoch().count() / 60 - 1;
    }
    if (audit_through && judged_by_all(FactKind::audit_events)) advance[kAuditEventsStream] = *audit_through;
    if (!advance.empty()) tx->advance_judged_through(advance);
  }
  phases.lap("cycle row");
  const CycleResults results{out.record.id, started, ev.complete_checks, ev.disabled_checks, out.lifecycle, stored};
  for (CycleParticipant* p : participants_) p->in_transaction(results);
  phases.lap("participants");
  out.committed = !keep_going || keep_going();
  if (out.committed) {
    tx->commit();
    phases.lap("commit");
  }
  CLOG(debug) << "cycle phases: " << phases.summary();
  if (out.committed) {
    CLOG(info) << fmt::format(
        "cycle {} {}: {} checks run, {} skipped; {} opened, {} reopened, {} resolved; {} open", out.record.id,
        out.record.status, ev.checks_run, ev.checks_skipped, out.lifecycle.opened, out.lifecycle.reopened,
        out.lifecycle.resolved, out.record.open_total);
  } else {
    CLOG(notice) << "cycle rolled back: shutdown requested before commit";
  }
  // The state after the cycle: the findings this cycle wrote and, of the
  // checks that did not run, the stored findings it left as they were.
  // Built in place, moved and never copied (86k findings at 100k customers).
  if (!stored.empty()) {
    for (const auto& f : out.lifecycle.changed) stored.erase(f.id);
  }
  out.current = std::move(out.lifecycle.changed);
  out.lifecycle.changed = {};
  out.lifecycle.only_last_seen = {};
  std::erase_if(out.current, [](const StoredFinding& f) { return f.status == FindingStatus::resolved; });
  out.current.reserve(out.current.size() + stored.size());
  for (auto& [id, f] : stored) {
    if (f.status != FindingStatus::resolved) out.current.push_back(std::move(f));
  }
  stored = {};
  // A stable order for the outputs. Each check's findings arrive sorted
  // (evaluate_checks) and the checks in id order, so this is usually sorted
  // already; when not (stored findings of checks that did not run), indexes
  // are sorted rather than the findings themselves.
  const auto before = [](const StoredFinding& a, const StoredFinding& b) {
    return std::tie(a.check_id, a.customer_id, a.subject, a.id) < std::tie(b.check_id, b.customer_id, b.subject, b.id);
  };
  if (!std::is_sorted(out.current.begin(), out.current.end(), before)) {
    std::vector<std::uint32_t> order(out.current.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return before(out.current[a], out.current[b]); });
    std::vector<StoredFinding> sorted;
    sorted.reserve(order.size());
    for (const auto i : order) sorted.push_back(std::move(out.current[i]));
    out.current = std::move(sorted);
  }
  return out;
}

int count_failing(const std::vector<StoredFinding>& findings, Severity threshold) {
  int n = 0;
  for (const auto& f : findings) {
    if (f.status == FindingStatus::open && static_cast<int>(f.severity) >= static_cast<int>(threshold)) ++n;
  }
  return n;
}

bool audit_fails(const CycleOutcome& out, Severity fail_on) {
  return count_failing(out.current, fail_on) > 0 || !out.record.error.empty();
}

}  // namespace complyd
