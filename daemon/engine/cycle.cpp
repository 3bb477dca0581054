#include "daemon/engine/cycle.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "checks/registry.hpp"
#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/notify/outbox.hpp"
#include "daemon/report/history.hpp"
#include "daemon/sources/files_source.hpp"

namespace complyd {

namespace {

std::string evidence_json(const Finding& f) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : f.evidence) j[k] = v;
  return redact(j.dump());
}

}  // namespace

Evaluation evaluate_checks(const Facts& facts, Time now, const Config& config) {
  Evaluation ev;
  for (const CheckDef* def : all_checks()) {
    const auto& id = def->info.id;
    auto cc_it = config.checks.find(id);
    const CheckConfig cc = cc_it != config.checks.end()
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
    try {
      CheckContext ctx{facts, now, cc.params, cc.severity};
      auto findings = def->evaluate(ctx);
      for (auto& f : findings) {
        f.check_id = id;
        // One redaction point for everything a check says: whatever reaches
        // the store, the outputs and e-mails passes here first.
        f.subject = redact(f.subject);
        f.title = redact(f.title);
        f.detail = redact(f.detail);
        f.remediation = redact(f.remediation);
        Observed o;
        o.id = finding_id(id, f.customer_id, f.subject);
        o.evidence_json = evidence_json(f);
        f.evidence = {};  // kept as evidence_json from here on
        o.finding = std::move(f);
        ev.observed.push_back(std::move(o));
      }
      ev.complete_checks.insert(id);
      ++ev.checks_run;
    } catch (const std::exception& e) {
      ++ev.checks_skipped;
      ev.errors.push_back(fmt::format("check {} failed: {}", id, e.what()));
      CLOG(error) << "check " << id << " failed: " << e.what() << "; its findings keep their state";
    }
  }
  return ev;
}

CycleRunner::CycleRunner(const Config& config, StateStore& store, Clock clock)
    : config_(config), store_(store), clock_(std::move(clock)) {}

CycleOutcome CycleRunner::run(const std::function<bool()>& keep_going) {
  CycleOutcome out;
  const Time started = clock_();
  out.record.started_at = started;

  // The files source continues where the last committed cycle stopped; its
  // new state is committed with this cycle's findings, or not at all.
  std::optional<FileScanState> file_scans;
  if (uses_file_scans(config_)) file_scans = store_.load_file_scans();
  FileScanState* scans = file_scans ? &*file_scans : nullptr;
  const auto sources = make_sources(config_, scans);
  Facts facts = collect_facts(sources, started);
  // Outbox health as facts (notification-delivery), read like any source.
  if (!config_.smtp.url.empty()) facts.outbox = notify::outbox_health(store_.db());
  if (keep_going && !keep_going()) {
    CLOG(notice) << "cycle abandoned after collection: shutdown requested";
    return out;
  }
  Evaluation ev = evaluate_checks(facts, started, config_);
  out.record.sources = facts.sources;
  // The counters are most of the snapshot; below, only their hourly sums are needed.
  auto signatures = summarize_signatures(facts, started);
  facts.verifications = {};
  out.record.report_history = std::make_shared<const ReportHistory>(summarize_for_report(
      facts, std::move(signatures), config_, ev.complete_checks, ev.disabled_checks));
  const auto reminder_facts = notify::reminder_facts(facts, config_);
  // The snapshot is the largest thing a cycle holds (counters of 10,000
  // customers over 24 h): anything that needs facts runs above this line.
  facts = Facts{};

  auto stored = store_.load_findings();
  out.lifecycle = apply_lifecycle(stored, ev.observed, ev.complete_checks, ev.disabled_checks, started);
  ev.observed = {};

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

  // E-mails are enqueued in the cycle's transaction: with their cause, or not at all.
  const auto enqueue = [&](std::int64_t id) {
    notify::enqueue_cycle(config_, store_.db(), id, started, out.lifecycle.transitions, out.lifecycle.changed, stored,
                          reminder_facts);
  };
  const auto cycle_id = store_.commit_cycle(out.record, out.lifecycle, keep_going, scans, enqueue);
  out.committed = cycle_id != 0;
  if (out.committed) {
    CLOG(info) << fmt::format(
        "cycle {} {}: {} checks run, {} skipped; {} opened, {} reopened, {} resolved; {} open", cycle_id,
        out.record.status, ev.checks_run, ev.checks_skipped, out.lifecycle.opened, out.lifecycle.reopened,
        out.lifecycle.resolved, out.record.open_total);
  } else {
    CLOG(notice) << "cycle rolled back: shutdown requested before commit";
  }
  // The state after the cycle, moved rather than copied (100k customers can
  // mean tens of thousands of findings).
  for (auto& f : out.lifecycle.changed) {
    auto id = f.id;
    stored.insert_or_assign(std::move(id), std::move(f));
  }
  out.lifecycle.changed.clear();
  out.lifecycle.only_last_seen.clear();
  out.current.reserve(stored.size());
  for (auto& [id, f] : stored) {
    if (f.status != FindingStatus::resolved) out.current.push_back(std::move(f));
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

}  // namespace complyd
