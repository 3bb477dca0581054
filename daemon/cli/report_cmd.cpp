// SPDX-License-Identifier: Apache-2.0
// `complyd report`: the audit report as of a time, rebuilt from the stored
// history (the same bytes for the same --as-of, apart from the generation
// time), in HTML, Markdown, JSON or CSV; its findings as OCSF or SARIF.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>

#include "daemon/cli/cli.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/notify/outbox.hpp"
#include "daemon/report/report_model.hpp"
#include "daemon/report/report_store.hpp"

namespace complyd::cli {

namespace {

struct ReportOpts {
  std::string format = "html", customer, as_of, output, period = "30d";
  bool email = false;
};

std::string date_only_of(Time t) { return format_time(t).substr(0, 10); }

// A bare date means the end of that day: "as of 2026-11-30" includes it.
std::optional<Time> parse_as_of(const std::string& s) {
  auto t = parse_time(s);
  if (t && s.size() == 10) *t += Duration{86399};
  return t;
}

// Written beside the target and renamed: a failed run never leaves half a report.
bool write_output(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    try {
      if (out) write(out);
    } catch (...) {  // a report that fails half-way leaves no half file
      out.close();
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw;
    }
    if (!out || !out.flush()) {
      std::cerr << fmt::format("complyd: cannot write {}\n", tmp);
      out.close();
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::cerr << fmt::format("complyd: cannot write {}: {}\n", path, ec.message());
    std::filesystem::remove(tmp, ec);
    return false;
  }
  return true;
}

int report(const State& st, const ReportOpts& o) {
  const auto generated = system_clock()();
  std::optional<Time> as_of = o.as_of.empty() ? std::optional<Time>(generated) : parse_as_of(o.as_of);
  if (!as_of) {
    std::cerr << "complyd: --as-of is not an RFC 3339 time or date (e.g. 2026-11-22T10:00:00Z or 2026-11-22)\n";
    return kUsage;
  }
  auto period = parse_duration(o.period);
  if (!period || period->count() <= 0) {
    std::cerr << "complyd: --period is not a duration (e.g. 30d, 12w)\n";
    return kUsage;
  }
  return with_store(st, [&](const Config& config, StateStore& store) {
    report::ReportOptions ro{*as_of, *period, o.customer, generated, config.report.default_owner};
    // Streamed: the aggregates and the findings are read first, the events
    // and the customers' states from cursors while the report is written,
    // all from one snapshot of the state database.
    std::optional<ReportSnapshot> snapshot(std::in_place, store.db());
    auto history = load_report_history(store.db(), ro.as_of, ro.as_of - ro.period, ReportRead::streamed, o.customer);
    if (!o.customer.empty()) {
      const bool known = history.customer_count > 0 ||
                         std::any_of(history.findings.begin(), history.findings.end(),
                                     [&](const auto& f) { return f.customer_id == o.customer; });
      if (!known) throw StateError(fmt::format("no customer {} in the history as of {}", o.customer, format_time(*as_of)));
    }
    const auto model = report::build_report(std::move(history), ro);
    const auto write = [&](std::ostream& out) { report::render(model, o.format, out); };
    if (!o.email) {
      if (o.output.empty() || o.output == "-") {
        write(std::cout);
        return std::cout.flush() ? kOk : kRuntime;
      }
      return write_output(o.output, write) ? kOk : kRuntime;
    }
    // The weekly evidence mail (complyd-report.timer): HTML with a Markdown
    // text part, once per report date, delivered now. Rendered (and any
    // --output written) in the snapshot, which ends before the outbox writes.
    const std::string day = date_only_of(*as_of);
    const auto md = *report::render(model, "md");
    const auto html = *report::render(model, "html");
    if (!o.output.empty() && !write_output(o.output, write)) return kRuntime;
    snapshot.reset();
    const bool added = notify::enqueue_report(config, store.db(), fmt::format("report:{}:{}", day, o.customer),
                                              fmt::format("complyd report {}", day), md, html, generated);
    if (!added) std::cerr << fmt::format("complyd: the report for {} was already sent or queued\n", day);
    const auto rep = notify::deliver_due(config, store.db(), system_clock());
    if (!rep.error.empty()) {
      std::cerr << "complyd: e-mail delivery stopped: " << rep.error << "; the report stays queued\n";
      return kRuntime;
    }
    return kOk;
  });
}

}  // namespace

void add_report_commands(CLI::App& app, State& st) {
  auto o = std::make_shared<ReportOpts>();
  auto* c = app.add_subcommand("report", "Write the audit report (checklist, findings, trends, customers, frameworks)");
  add_config_option(c, st);
  add_state_option(c, st);
  c->add_option("--format", o->format,
                "html, md, json, csv, ocsf (OCSF Compliance Finding events, JSON Lines) or sarif (SARIF 2.1.0: "
                "findings with a file location)")
      ->check(CLI::IsMember({"html", "md", "json", "csv", "ocsf", "sarif"}));
  c->add_option("--customer", o->customer, "Only this customer");
  c->add_option("--as-of", o->as_of, "Rebuild the state at this time or date (end of day) from the stored history");
  c->add_option("--period", o->period, "Length of the period ending at --as-of (trends, resolved findings)");
  c->add_option("--output,-o", o->output, "Write to this file instead of stdout");
  c->add_flag("--email", o->email, "E-mail the report (HTML + text) to the [alerts] recipients, once per date");
  c->callback([o, &st] { st.exit_code = report(st, *o); });
}

}  // namespace complyd::cli
