// SPDX-License-Identifier: Apache-2.0
#include "daemon/http/snapshot.hpp"

#include <fmt/format.h>

#include <sstream>

#include "daemon/report/findings_doc.hpp"
#include "daemon/report/report_model.hpp"
#include "daemon/report/report_store.hpp"

namespace complyd::http {

namespace {

bool has_table(sql::Db& db, const char* name) {
  sql::Stmt s(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  s.bind(1, name);
  return s.step();
}

// The outbox (schema/state/0003) when this database has it; read directly
// so the metrics need nothing from the delivery code.
void outbox_metrics(sql::Db& db, std::vector<ExtraMetric>& out) {
  if (!has_table(db, "outbox")) return;
  std::map<std::string, std::int64_t> by_status{{"pending", 0}, {"failed", 0}, {"dead", 0}, {"sent", 0}};
  sql::Stmt s(db, "SELECT status, count(*) FROM outbox GROUP BY status");
  while (s.step()) by_status[s.text(0)] = s.i64(1);
  out.push_back({"complyd_outbox_pending", "E-mails waiting for delivery (pending or failed and retrying).", "gauge",
                 {}, static_cast<double>(by_status["pending"] + by_status["failed"])});
  out.push_back({"complyd_outbox_dead", "E-mails given up on (see 'complyd notify').", "gauge", {},
                 static_cast<double>(by_status["dead"])});
  out.push_back({"complyd_emails_sent_total", "E-mails accepted by the SMTP server.", "counter", {},
                 static_cast<double>(by_status["sent"])});
}

}  // namespace

std::shared_ptr<const Snapshot> build_snapshot(StateStore& store, Time now, std::int64_t report_max_customers,
                                               const std::string& default_owner,
                                               const CycleDurations& durations) {
  auto snap = std::make_shared<Snapshot>();
  snap->built_at = now;
  snap->durations = durations;
  snap->last_cycle = store.last_cycle();
  auto& db = store.db();
  {
    sql::Stmt s(db, "SELECT max(coalesce(finished_at, started_at)) FROM cycles WHERE status = 'ok'");
    if (s.step()) {
      if (auto v = s.opt_i64(0)) snap->last_success_at = Time{Duration{*v}};
    }
    sql::Stmt c(db, "SELECT count(*) FROM cycles");
    if (c.step()) snap->cycles_total = c.i64(0);
  }
  FindingFilter open_filter;
  open_filter.status = FindingStatus::open;
  auto open = store.list(open_filter);
  FindingFilter muted_filter;
  muted_filter.status = FindingStatus::muted;
  auto muted = store.list(muted_filter);
  for (const auto& f : open) ++snap->open[{to_string(f.severity), f.check_id}];
  for (const auto& f : muted) ++snap->muted[{to_string(f.severity), f.check_id}];
  outbox_metrics(db, snap->extra);

  std::vector<StoredFinding> current = std::move(open);
  current.insert(current.end(), std::make_move_iterator(muted.begin()), std::make_move_iterator(muted.end()));
  std::ostringstream doc;
  write_findings_document(doc, current, snap->last_cycle, now);
  snap->findings_json = doc.str();

  // The report as of the last cycle (or now before any cycle), when it is
  // small enough to keep here: at 100k customers its four bodies are ~415 MB.
  std::int64_t customers = 0;
  if (has_table(db, "report_customer_state")) {
    sql::Stmt s(db, "SELECT count(*) FROM report_customer_state WHERE valid_to IS NULL");
    if (s.step()) customers = s.i64(0);
  }
  if (customers > report_max_customers) {
    snap->report_unavailable = fmt::format(
        "the report of {} customers is not pre-rendered (over http.report_max_customers = {}); run 'complyd "
        "report' on the host",
        customers, report_max_customers);
    return snap;
  }
  const Time as_of = snap->last_cycle ? snap->last_cycle->finished_at.value_or(snap->last_cycle->started_at) : now;
  report::ReportOptions ro{as_of, days(30), "", now, default_owner};
  // Streamed from one snapshot: only the four bodies are held, not the customers' states.
  const ReportSnapshot read(db);
  const auto model =
      report::build_report(load_report_history(db, ro.as_of, ro.as_of - ro.period, ReportRead::streamed), ro);
  for (const char* f : {"html", "md", "json", "csv"}) snap->reports[f] = *report::render(model, f);
  return snap;
}

}  // namespace complyd::http
