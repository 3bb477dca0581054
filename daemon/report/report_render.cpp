// SPDX-License-Identifier: Apache-2.0
// Renderers of the report model: JSON (docs/report-format.md), Markdown,
// self-contained HTML (inline CSS and SVG, no scripts, no external
// requests) and CSV (RFC 4180, one row per finding). Pure functions.
#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "checks/registry.hpp"
#include "daemon/report/exports.hpp"
#include "daemon/report/report_model.hpp"
#include "model/time.hpp"

namespace complyd::report {

namespace {

using nlohmann::json;

json opt_time(const std::optional<Time>& t) { return t ? json(format_time(*t)) : json(nullptr); }
std::string time_or(const std::optional<Time>& t, const char* none = "") { return t ? format_time(*t) : none; }
std::string date_of(Time t) { return format_time(t).substr(0, 10); }
// As a person says it ("120 days", "3 hours"); JSON keeps exact seconds.
std::string age_text(Duration d) { return complyd::age_text(d.count() < 0 ? Duration{0} : d); }
std::string percent(double r) { return fmt::format("{:.2f}%", r * 100.0); }
const char* severity_name(int s) { return to_string(static_cast<Severity>(s)); }
// "2026-12-10 rotation", "2027-01-31 review", "2026-12-20 mute ends"; empty without a due date.
std::string due_text(const ReportFinding& f) {
  if (!f.due_at) return {};
  const char* what = f.due_for == "rotation"             ? "rotation"
                     : f.due_for == "attestation_review" ? "review"
                     : f.due_for == "mute_expiry"        ? "mute ends"
                                                          : "";
  return date_of(*f.due_at) + (*what != 0 ? std::string(" ") + what : std::string());
}

std::string check_title(const std::string& id) {
  const CheckDef* d = find_check(id);
  return d != nullptr ? d->info.title : id;
}

json finding_json(const ReportFinding& f) {
  json j{{"id", f.id},
         {"check", f.check_id},
         {"severity", to_string(f.severity)},
         {"status", to_string(f.status)},
         {"customer", f.customer_id},
         {"subject", f.subject},
         {"title", f.title},
         {"remediation", f.remediation},
         {"first_seen", format_time(f.first_seen)},
         {"age_seconds", f.age.count()}};
  if (f.status == FindingStatus::muted) {
    j["mute"] = {{"reason", f.mute_reason}, {"by", f.muted_by}, {"until", opt_time(f.muted_until)},
                 {"since", opt_time(f.muted_at)}};
  }
  if (f.resolved_at) j["resolved_at"] = format_time(*f.resolved_at);
  const auto or_null = [](const std::string& v) { return v.empty() ? json() : json(v); };
  j["owner"] = or_null(f.owner);
  j["owner_from"] = or_null(f.owner_from);
  j["due_at"] = opt_time(f.due_at);
  j["due_for"] = or_null(f.due_for);
  return j;
}

// ---- HTML helpers -----------------------------------------------------------
std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Markdown table cells: pipes and newlines would break the row.
std::string md(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

const char* kSeverityColours[kSeverities] = {"#7f8c8d", "#2e86c1", "#d4ac0d", "#e67e22", "#c0392b"};
const char* kLineColours[] = {"#c0392b", "#2e86c1", "#27ae60", "#8e44ad", "#d35400"};

}  // namespace

RoundAxis round_axis(double max, double min_step) {
  const double raw = std::max(max / 4, min_step);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * magnitude >= raw * (1 - 1e-9)) {
      step = m * magnitude;
      break;
    }
  }
  RoundAxis a;
  a.step = step;
  a.steps = std::max(1, static_cast<int>(std::ceil(max / step - 1e-9)));
  a.max = a.step * a.steps;
  a.decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return a;
}

namespace {

// A line chart as inline SVG. series: name, colour, values per x (nullopt: no point).
struct Series {
  std::string name, colour;
  std::vector<double> values;
};
std::string svg_chart(const std::string& title, const std::vector<Time>& xs, const std::vector<Series>& series,
                      bool as_percent) {
  constexpr int W = 720, H = 240, L = 56, R = 16, T = 16, B = 40;
  double ymax = 0;
  for (const auto& s : series) {
    for (double v : s.values) ymax = std::max(ymax, v);
  }
  // Round ticks (1, 2 or 5 x 10^k), in the unit shown: counts step by at
  // least 1, rates by at least 0.01 percentage points.
  const double scale = as_percent ? 100 : 1;
  const auto axis = round_axis(ymax * scale, as_percent ? 0.01 : 1);
  ymax = axis.max / scale;
  auto x_of = [&](std::size_t i) {
    return xs.size() <= 1 ? L + (W - L - R) / 2.0 : L + (W - L - R) * static_cast<double>(i) / (xs.size() - 1);
  };
  auto y_of = [&](double v) { return T + (H - T - B) * (1.0 - v / ymax); };
  std::ostringstream o;
  o << fmt::format(R"(<svg class="chart" role="img" viewBox="0 0 {} {}" width="{}" height="{}"><title>{}</title>)",
                   W, H, W, H, esc(title));
  o << fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="#fff" stroke="#ccc"/>)", L, T, W - L - R,
                   H - T - B);
  for (int i = 0; i <= axis.steps; ++i) {
    const double shown = axis.step * i;
    const double y = y_of(shown / scale);
    o << fmt::format(R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="#eee"/>)", L, y, W - R, y);
    o << fmt::format(R"(<text x="{}" y="{:.1f}" font-size="10" text-anchor="end">{:.{}f}{}</text>)", L - 4, y + 3,
                     shown, axis.decimals, as_percent ? "%" : "");
  }
  if (!xs.empty()) {
    o << fmt::format(R"(<text x="{}" y="{}" font-size="10">{}</text>)", L, H - B + 14, date_of(xs.front()));
    o << fmt::format(R"(<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>)", W - R, H - B + 14,
                     date_of(xs.back()));
  }
  int legend_x = L;
  for (const auto& s : series) {
    std::string pts;
    for (std::size_t i = 0; i < s.values.size() && i < xs.size(); ++i) {
      pts += fmt::format("{}{:.1f},{:.1f}", pts.empty() ? "" : " ", x_of(i), y_of(s.values[i]));
    }
    if (s.values.size() == 1) {
      o << fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"/>)", x_of(0), y_of(s.values[0]), s.colour);
    } else if (!pts.empty()) {
      o << fmt::format(R"(<polyline class="series" fill="none" stroke="{}" stroke-width="2" points="{}"/>)",
                       s.colour, pts);
    }
    o << fmt::format(R"(<rect x="{}" y="{}" width="10" height="10" fill="{}"/>)", legend_x, H - 16, s.colour);
    o << fmt::format(R"(<text x="{}" y="{}" font-size="10">{}</text>)", legend_x + 14, H - 7, esc(s.name));
    legend_x += 24 + static_cast<int>(s.name.size()) * 6;
  }
  o << "</svg>";
  return o.str();
}

constexpr const char* kCss = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:2em;color:#222;font-size:13px}
h1{font-size:22px;margin-bottom:0}h2{font-size:17px;border-bottom:1px solid #ccc;margin-top:2em}h3{font-size:14px}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.meta{color:#555}.status{font-weight:600;white-space:nowrap}
.pass{color:#1e8449}.fail{color:#c0392b}.attested{color:#1f618d}.not_evaluated{color:#7f8c8d}
.sev-critical{color:#c0392b;font-weight:600}.sev-high{color:#e67e22;font-weight:600}
.summary td{font-size:15px}.chart{max-width:100%;height:auto}code{font-size:12px}
@media print{body{margin:0;font-size:10px}h2{page-break-after:avoid}tr,svg{page-break-inside:avoid}
section{page-break-before:auto}a{color:inherit;text-decoration:none}}
@page{size:A4;margin:14mm}
)";

}  // namespace

// ---- JSON -------------------------------------------------------------------
namespace {

// `v` as dump(2) writes it `depth` levels deep in a document.
void put(std::ostream& o, const json& v, int depth) {
  const std::string s = v.dump(2);
  const std::string pad(2 * static_cast<std::size_t>(depth), ' ');
  std::size_t from = 0;
  for (auto nl = s.find('\n'); nl != std::string::npos; nl = s.find('\n', from)) {
    o.write(s.data() + from, static_cast<std::streamsize>(nl + 1 - from));
    o << pad;
    from = nl + 1;
  }
  o.write(s.data() + from, static_cast<std::streamsize>(s.size() - from));
}

// An object or array `depth` levels deep, written member by member exactly as
// dump(2) writes the whole: the report's large arrays are never one tree.
class Nest {
 public:
  Nest(std::ostream& o, int depth, char open, char close) : o_(o), depth_(depth), close_(close) { o_ << open; }
  std::ostream& next() {
    o_ << (empty_ ? "\n" : ",\n") << std::string(2 * static_cast<std::size_t>(depth_ + 1), ' ');
    empty_ = false;
    return o_;
  }
  // Object members must come in dump()'s order: keys sorted.
  std::ostream& member(std::string_view key) { return next() << '"' << key << "\": "; }
  void end() {
    if (!empty_) o_ << '\n' << std::string(2 * static_cast<std::size_t>(depth_), ' ');
    o_ << close_;
  }

 private:
  std::ostream& o_;
  int depth_;
  char close_;
  bool empty_ = true;
};

json customer_json(const CustomerView& c) {
  json creds = json::array();
  for (const auto& k : c.credentials) {
    creds.push_back({{"path", k.path},
                     {"kind", k.kind},
                     {"role", k.role},
                     {"environment", k.environment},
                     {"age_basis", opt_time(k.basis_at)},
                     {"age_seconds", k.age ? json(k.age->count()) : json(nullptr)},
                     {"rotation_due", opt_time(k.due_at)},
                     {"rotation_stage", k.stage}});
  }
  json hooks = json::array();
  for (const auto& w : c.webhooks) {
    hooks.push_back({{"id", w.id}, {"platform", w.platform}, {"status", w.status}, {"https", w.https}});
  }
  return {{"id", c.id},
          {"name", c.name},
          {"status", c.status},
          {"environment", c.environment},
          {"jurisdiction", c.jurisdiction},
          {"offboarded_at", opt_time(c.offboarded_at)},
          {"offboarding", c.offboarding},
          {"open_findings", c.open_findings},
          {"unreadable", c.unreadable},
          {"credentials", creds},
          {"webhooks",
           {{"health", c.webhook_health},
            {"signature_failure_rate", c.failure_rate ? json(*c.failure_rate) : json(nullptr)},
            {"subscriptions", hooks}}}};
}

void write_json(const ReportModel& m, std::ostream& o) {
  Nest top(o, 0, '{', '}');
  put(top.member("as_of"), format_time(m.as_of), 1);
  json cl = json::array();
  for (const auto& e : m.checklist) {
    cl.push_back({{"page", e.page},
                  {"item", e.item},
                  {"status", e.status},
                  {"checks", e.checks},
                  {"evidence",
                   {{"open", e.open},
                    {"muted", e.muted},
                    {"customers", e.customers},
                    {"oldest_age_seconds", e.oldest ? json(e.oldest->count()) : json(nullptr)}}}});
  }
  put(top.member("checklist"), cl, 1);
  json checks = json::array();
  for (const auto& c : m.checks) {
    checks.push_back({{"id", c.id}, {"title", c.title}, {"status", c.status}, {"open", c.open}, {"muted", c.muted}});
  }
  put(top.member("checks"), checks, 1);
  put(top.member("customer"), m.customer.empty() ? json(nullptr) : json(m.customer), 1);
  {
    top.member("customers");
    Nest list(o, 1, '[', ']');
    for_each_customer(m, [&](const CustomerView& c) { put(list.next(), customer_json(c), 2); });
    list.end();
  }
  {
    top.member("findings");
    Nest f(o, 1, '{', '}');
    for (const auto& [key, findings] : {std::pair{"muted", &m.muted}, {"open", &m.open}, {"resolved", &m.resolved}}) {
      f.member(key);
      Nest list(o, 2, '[', ']');
      for (const auto& x : *findings) put(list.next(), finding_json(x), 3);
      list.end();
    }
    f.end();
  }
  json fw = json::array();
  for (const auto& g : m.frameworks) {
    json refs = json::array();
    for (const auto& r : g.refs) refs.push_back({{"reference", r.reference}, {"checks", r.checks}});
    fw.push_back({{"framework", g.framework}, {"references", refs}});
  }
  put(top.member("frameworks"), fw, 1);
  put(top.member("generated_at"), format_time(m.generated_at), 1);
  put(top.member("history_chain"), {{"seq", m.chain_seq}, {"hash", m.chain_hash}}, 1);
  put(top.member("last_cycle"),
      m.last_cycle_id
          ? json{{"id", *m.last_cycle_id}, {"at", opt_time(m.last_cycle_at)}, {"status", m.last_cycle_status}}
          : json(nullptr),
      1);
  put(top.member("period"), {{"start", format_time(m.period_start)}, {"end", format_time(m.as_of)}}, 1);
  put(top.member("schema_version"), m.schema_version, 1);
  json sources = json::array();
  for (const auto& s : m.sources) sources.push_back({{"name", s.name}, {"type", s.type}, {"ok", s.ok}});
  put(top.member("sources"), sources, 1);
  json by_sev = json::object();
  for (int s = kSeverities - 1; s >= 0; --s) by_sev[severity_name(s)] = m.open_by_severity[s];
  put(top.member("summary"),
      {{"open_by_severity", by_sev},
       {"open", m.open.size()},
       {"muted", m.muted_total},
       {"resolved_in_period", m.resolved_in_period}},
      1);
  json tr = json::array();
  for (const auto& p : m.trend) {
    json open = json::object();
    for (int s = kSeverities - 1; s >= 0; --s) open[severity_name(s)] = p.open[s];
    tr.push_back({{"cycle_id", p.cycle_id}, {"at", format_time(p.at)}, {"open", open}});
  }
  json sig = json::array();
  for (const auto& t : m.signature_trends) {
    json pts = json::array();
    for (const auto& p : t.points) pts.push_back({{"cycle_id", p.cycle_id}, {"at", format_time(p.at)}, {"rate", p.rate}});
    sig.push_back({{"customer", t.customer_id}, {"peak_rate", t.peak}, {"points", pts}});
  }
  put(top.member("trends"), {{"open_findings", tr}, {"signature_failure_rate", sig}}, 1);
  top.end();
  o << '\n';
}

}  // namespace

std::string render_json(const ReportModel& m) {
  std::ostringstream o;
  write_json(m, o);
  return o.str();
}

// ---- CSV --------------------------------------------------------------------
namespace {

void write_csv(const ReportModel& m, std::ostream& o) {
  o << "finding_id,status,severity,check_id,check_title,customer_id,subject,title,first_seen,age_days,resolved_at,"
      "muted_by,muted_until,mute_reason,frameworks,remediation,owner,due_at,due_for\r\n";
  std::string out;
  auto row = [&](const ReportFinding& f) {
    std::string fw;
    if (const CheckDef* d = find_check(f.check_id)) {
      for (const auto& r : d->info.frameworks) fw += (fw.empty() ? "" : "; ") + r.framework + " " + r.reference;
    }
    const std::vector<std::string> cells{f.id,
                                         to_string(f.status),
                                         to_string(f.severity),
                                         f.check_id,
                                         check_title(f.check_id),
                                         f.customer_id,
                                         f.subject,
                                         f.title,
                                         format_time(f.first_seen),
                                         std::to_string(std::max<std::int64_t>(0, f.age.count()) / kSecondsPerDay),
                                         time_or(f.resolved_at),
                                         f.muted_by,
                                         time_or(f.muted_until),
                                         f.mute_reason,
                                         fw,
                                         f.remediation,
                                         f.owner,
                                         time_or(f.due_at),
                                         f.due_for};
    out.clear();
    for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_field(cells[i]);
    out += "\r\n";
    o << out;
  };
  for (const auto& f : m.open) row(f);
  for (const auto& f : m.muted) row(f);
  for (const auto& f : m.resolved) row(f);
}

}  // namespace

std::string render_csv(const ReportModel& m) {
  std::ostringstream o;
  write_csv(m, o);
  return o.str();
}

// ---- Markdown ---------------------------------------------------------------
namespace {

void write_markdown(const ReportModel& m, std::ostream& o) {
  o << "# complyd audit report\n\n";
  o << "- As of: " << format_time(m.as_of) << "\n- Period: " << format_time(m.period_start) << " to "
    << format_time(m.as_of) << "\n- Scope: " << (m.customer.empty() ? "whole integration" : "customer " + md(m.customer))
    << "\n- Last cycle: "
    << (m.last_cycle_id ? fmt::format("#{} at {} ({})", *m.last_cycle_id, time_or(m.last_cycle_at), m.last_cycle_status)
                        : std::string("none"))
    << "\n- Generated: " << format_time(m.generated_at)
    << "\n- History chain head: record " << m.chain_seq << ", SHA-256 `" << m.chain_hash << "`\n\n";
  o << "## Summary\n\n| severity | open |\n|---|---|\n";
  for (int s = kSeverities - 1; s >= 0; --s) o << "| " << severity_name(s) << " | " << m.open_by_severity[s] << " |\n";
  o << "\nMuted: " << m.muted_total << ". Resolved in the period: " << m.resolved_in_period << ".\n\n";
  o << "## Checklist status\n\n| page | item | status | checks | open | muted | customers | oldest |\n"
       "|---|---|---|---|---|---|---|---|\n";
  for (const auto& e : m.checklist) {
    std::string checks;
    for (const auto& c : e.checks) checks += (checks.empty() ? "" : ", ") + c;
    o << "| " << md(e.page) << " | " << md(e.item) << " | " << e.status << " | " << (checks.empty() ? "none" : checks)
      << " | " << e.open << " | " << e.muted << " | " << e.customers << " | "
      << (e.oldest ? age_text(*e.oldest) : "") << " |\n";
  }
  o << "\n## Open findings\n\n| severity | check | customer | subject | title | owner | due | first seen | age | "
       "remediation | id |\n"
       "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& f : m.open) {
    o << "| " << to_string(f.severity) << " | " << f.check_id << " | " << md(f.customer_id) << " | " << md(f.subject)
      << " | " << md(f.title) << " | " << md(f.owner) << " | " << due_text(f) << " | " << format_time(f.first_seen)
      << " | " << age_text(f.age) << " | " << md(f.remediation) << " | " << f.id << " |\n";
  }
  o << "\n## Muted findings\n\n| severity | check | customer | subject | reason | by | owner | until | id |\n"
       "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& f : m.muted) {
    o << "| " << to_string(f.severity) << " | " << f.check_id << " | " << md(f.customer_id) << " | " << md(f.subject)
      << " | " << md(f.mute_reason) << " | " << md(f.muted_by) << " | " << md(f.owner) << " | "
      << time_or(f.muted_until) << " | " << f.id << " |\n";
  }
  o << "\n## Resolved in the period\n\n| resolved | check | customer | subject | title | id |\n"
       "|---|---|---|---|---|---|\n";
  for (const auto& f : m.resolved) {
    o << "| " << time_or(f.resolved_at) << " | " << f.check_id << " | " << md(f.customer_id) << " | " << md(f.subject)
      << " | " << md(f.title) << " | " << f.id << " |\n";
  }
  o << "\n## Trends\n\n### Open findings per cycle\n\n| cycle | at | critical | high | medium | low | info |\n"
       "|---|---|---|---|---|---|---|\n";
  for (const auto& p : m.trend) {
    o << "| " << p.cycle_id << " | " << format_time(p.at);
    for (int s = kSeverities - 1; s >= 0; --s) o << " | " << p.open[s];
    o << " |\n";
  }
  o << "\n### Webhook signature failure rate (customers with failures)\n\n| customer | peak | latest |\n|---|---|---|\n";
  for (const auto& t : m.signature_trends) {
    o << "| " << md(t.customer_id) << " | " << percent(t.peak) << " | "
      << (t.points.empty() ? "" : percent(t.points.back().rate)) << " |\n";
  }
  o << "\n## Customers\n";
  for_each_customer(m, [&](const CustomerView& c) {
    if (c.unreadable) {
      o << "\n### " << md(c.id) << "\n\n- Status: unreadable (the stored state of this customer cannot be read)"
        << "\n- Open findings: " << c.open_findings << "\n";
      return;
    }
    o << "\n### " << md(c.id) << " " << md(c.name) << "\n\n- Status: " << c.status << " (offboarding: " << c.offboarding
      << (c.offboarded_at ? ", offboarded " + format_time(*c.offboarded_at) : std::string()) << ")\n- Environment: "
      << md(c.environment) << "; jurisdiction: " << md(c.jurisdiction.empty() ? "unknown" : c.jurisdiction)
      << "\n- Webhooks: " << c.webhook_health
      << (c.failure_rate ? "; signature failure rate " + percent(*c.failure_rate) : std::string())
      << "\n- Open findings: " << c.open_findings << "\n\n| credential | kind | role | age | rotation due | stage |\n"
      << "|---|---|---|---|---|---|\n";
    for (const auto& k : c.credentials) {
      o << "| " << md(k.path) << " | " << md(k.kind) << " | " << k.role << " | " << (k.age ? age_text(*k.age) : "unknown")
        << " | " << time_or(k.due_at) << " | " << k.stage << " |\n";
    }
  });
  o << "\n## Framework mapping\n";
  for (const auto& g : m.frameworks) {
    o << "\n### " << g.framework << "\n\n| reference | checks |\n|---|---|\n";
    for (const auto& r : g.refs) {
      std::string cs;
      for (const auto& c : r.checks) cs += (cs.empty() ? "" : ", ") + c;
      o << "| " << r.reference << " | " << cs << " |\n";
    }
  }
}

}  // namespace

std::string render_markdown(const ReportModel& m) {
  std::ostringstream o;
  write_markdown(m, o);
  return o.str();
}

// ---- HTML -------------------------------------------------------------------
namespace {

// A customer the HTML report lists first when it cannot list them all.
bool needs_attention(const CustomerView& c) {
  return c.open_findings > 0 || c.unreadable || c.webhook_health == "failing" || c.webhook_health == "attention" ||
         c.offboarding == "incomplete" ||
         std::any_of(c.credentials.begin(), c.credentials.end(), [](const CredentialView& k) {
           return k.stage == "due" || k.stage == "overdue" || k.stage == "unknown_age";
         });
}

void write_html(const ReportModel& m, std::ostream& o) {
  const std::string scope = m.customer.empty() ? "whole integration" : "customer " + m.customer;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
       "<title>complyd audit report, "
    << esc(format_time(m.as_of)) << "</title><style>" << kCss << "</style></head><body>\n";
  o << "<h1>complyd audit report</h1>\n<p class=\"meta\">As of <strong>" << format_time(m.as_of) << "</strong>; period "
    << format_time(m.period_start) << " to " << format_time(m.as_of) << "; scope: " << esc(scope) << "; last cycle: "
    << (m.last_cycle_id ? fmt::format("#{} at {} ({})", *m.last_cycle_id, time_or(m.last_cycle_at),
                                      esc(m.last_cycle_status))
                        : std::string("none"))
    << ".<br><span id=\"generated\">Generated " << format_time(m.generated_at) << "</span><br>"
    << "<span id=\"history-chain\">History chain head: record " << m.chain_seq << ", SHA-256 <code>"
    << esc(m.chain_hash) << "</code></span></p>\n";

  o << "<section id=\"summary\"><h2>Summary</h2><table class=\"summary\"><tr>";
  for (int s = kSeverities - 1; s >= 0; --s) o << "<th>" << severity_name(s) << "</th>";
  o << "<th>muted</th><th>resolved in period</th></tr><tr>";
  for (int s = kSeverities - 1; s >= 0; --s) o << "<td>" << m.open_by_severity[s] << "</td>";
  o << "<td>" << m.muted_total << "</td><td>" << m.resolved_in_period << "</td></tr></table>";
  if (!m.sources.empty()) {
    o << "<p>Sources:";
    for (const auto& s : m.sources) o << " " << esc(s.name) << " (" << esc(s.type) << ") " << (s.ok ? "up" : "<strong class=\"fail\">DOWN</strong>") << ";";
    o << "</p>";
  }
  o << "</section>\n";

  o << "<section id=\"checklist\"><h2>Checklist status</h2><table id=\"checklist-table\"><thead><tr><th>page</th>"
       "<th>item</th><th>status</th><th>checks</th><th>open</th><th>muted</th><th>customers</th><th>oldest</th>"
       "</tr></thead><tbody>\n";
  for (const auto& e : m.checklist) {
    std::string checks;
    for (const auto& c : e.checks) checks += (checks.empty() ? "" : ", ") + ("<code>" + esc(c) + "</code>");
    std::string label = e.status == "not_evaluated" ? "not evaluated" : e.status;
    o << "<tr><td>" << esc(e.page) << "</td><td>" << esc(e.item) << "</td><td class=\"status " << e.status << "\">"
      << label << "</td><td>" << (checks.empty() ? "none" : checks) << "</td><td>" << e.open << "</td><td>" << e.muted
      << "</td><td>" << e.customers << "</td><td>" << (e.oldest ? age_text(*e.oldest) : "") << "</td></tr>\n";
  }
  o << "</tbody></table></section>\n";

  auto finding_table = [&](const char* id, const std::vector<ReportFinding>& list, int kind) {
    o << "<table id=\"" << id << "\"><thead><tr><th>severity</th><th>check</th><th>customer</th><th>subject</th>"
         "<th>title</th><th>first seen</th>";
    if (kind == 0) o << "<th>owner</th><th>due</th><th>age</th><th>remediation</th>";
    if (kind == 1) o << "<th>reason</th><th>muted by</th><th>owner</th><th>until</th>";
    if (kind == 2) o << "<th>resolved</th>";
    o << "<th>id</th></tr></thead><tbody>\n";
    for (const auto& f : list) {
      o << "<tr><td class=\"sev-" << to_string(f.severity) << "\">" << to_string(f.severity) << "</td><td><code>"
        << esc(f.check_id) << "</code></td><td>" << esc(f.customer_id) << "</td><td><code>" << esc(f.subject)
        << "</code></td><td>" << esc(f.title) << "</td><td>" << date_of(f.first_seen) << "</td>";
      if (kind == 0)
        o << "<td>" << esc(f.owner) << "</td><td class=\"due\">" << esc(due_text(f)) << "</td><td>" << age_text(f.age)
          << "</td><td>" << esc(f.remediation) << "</td>";
      if (kind == 1)
        o << "<td>" << esc(f.mute_reason) << "</td><td>" << esc(f.muted_by) << "</td><td>" << esc(f.owner)
          << "</td><td>" << time_or(f.muted_until) << "</td>";
      if (kind == 2) o << "<td>" << time_or(f.resolved_at) << "</td>";
      o << "<td><code>" << f.id << "</code></td></tr>\n";
    }
    o << "</tbody></table>\n";
  };
  o << "<section id=\"findings\"><h2>Open findings (" << m.open.size() << ")</h2>\n";
  finding_table("open-findings", m.open, 0);
  o << "<h2>Muted findings (" << m.muted.size() << ")</h2>\n";
  finding_table("muted-findings", m.muted, 1);
  o << "<h2>Resolved in the period (" << m.resolved.size() << ")</h2>\n";
  finding_table("resolved-findings", m.resolved, 2);
  o << "</section>\n";

  o << "<section id=\"trends\"><h2>Trends</h2><h3>Open findings by severity per cycle</h3>\n";
  {
    std::vector<Time> xs;
    std::vector<Series> series;
    for (int s = kSeverities - 1; s >= 0; --s) series.push_back({severity_name(s), kSeverityColours[s], {}});
    for (const auto& p : m.trend) {
      xs.push_back(p.at);
      for (int s = kSeverities - 1, i = 0; s >= 0; --s, ++i) series[i].values.push_back(p.open[s]);
    }
    o << "<figure id=\"trend-open\">" << svg_chart("Open findings by severity", xs, series, false) << "</figure>\n";
  }
  o << "<h3>Webhook signature failure rate per customer</h3>\n";
  {
    // The worst five customers on a common time axis (the cycles of the period).
    std::vector<Time> xs;
    std::map<std::int64_t, std::size_t> index;
    for (const auto& p : m.trend) {
      index[p.cycle_id] = xs.size();
      xs.push_back(p.at);
    }
    std::vector<Series> series;
    for (std::size_t i = 0; i < m.signature_trends.size() && i < 5; ++i) {
      const auto& t = m.signature_trends[i];
      Series s{t.customer_id, kLineColours[i], std::vector<double>(xs.size(), 0.0)};
      for (const auto& p : t.points) {
        if (auto it = index.find(p.cycle_id); it != index.end()) s.values[it->second] = p.rate;
      }
      series.push_back(std::move(s));
    }
    o << "<figure id=\"trend-signatures\">" << svg_chart("Signature failure rate", xs, series, true) << "</figure>\n";
    if (m.signature_trends.empty()) o << "<p>No signature failures in the period.</p>\n";
  }
  o << "</section>\n";

  // Every customer up to kHtmlCustomerRows; beyond, the first that many of
  // those needing attention: a page a browser opens and a person reads.
  const std::size_t total = customer_count(m);
  const bool summarised = total > kHtmlCustomerRows;
  o << "<section id=\"customers\"><h2>Customers (" << total << ")</h2>\n";
  if (summarised) {
    o << "<p id=\"customers-summarised\"><strong>Summarised:</strong> this HTML report lists at most "
      << kHtmlCustomerRows
      << " customers, those that need attention (open findings, an unreadable state, failing webhooks or webhooks "
         "needing attention, incomplete offboarding, or a credential due, overdue or of unknown age) in id order. "
         "Every customer, with every credential and subscription, is in the JSON report (<code>complyd report "
         "--format json</code>) and the Markdown report (<code>--format md</code>) of the same date.</p>\n";
  }
  o << "<table id=\"customer-table\"><thead><tr><th>customer</th><th>status</th><th>offboarding</th><th>webhooks</th>"
       "<th>failure rate</th><th>open findings</th><th>credentials (age, rotation due, stage)</th></tr></thead><tbody>\n";
  std::size_t listed = 0, attention = 0;
  for_each_customer(m, [&](const CustomerView& c) {
    if (summarised) {
      if (!needs_attention(c)) return;
      if (++attention > kHtmlCustomerRows) return;
    }
    ++listed;
    o << "<tr><td>" << esc(c.id) << "<br>" << esc(c.name) << "</td><td>" << esc(c.status) << "</td><td>"
      << c.offboarding << (c.offboarded_at ? "<br>" + date_of(*c.offboarded_at) : std::string()) << "</td><td>"
      << c.webhook_health << (c.unreadable ? std::string() : " (" + std::to_string(c.webhooks.size()) + ")") << "</td><td>"
      << (c.failure_rate ? percent(*c.failure_rate) : std::string()) << "</td><td>" << c.open_findings << "</td><td>";
    for (const auto& k : c.credentials) {
      o << "<code>" << esc(k.path) << "</code> " << esc(k.role) << ", " << (k.age ? age_text(*k.age) : "unknown age")
        << ", due " << (k.due_at ? date_of(*k.due_at) : "n/a") << ", " << k.stage << "<br>";
    }
    o << "</td></tr>\n";
  });
  o << "</tbody></table>";
  if (summarised) {
    o << "\n<p id=\"customers-listed\">Listed " << listed << " of the " << attention
      << " customers that need attention; " << total - std::min(total, attention)
      << " others need none. All " << total << " are in the JSON and Markdown reports.</p>";
  }
  o << "</section>\n";

  o << "<section id=\"frameworks\"><h2>Framework mapping</h2>\n";
  std::map<std::string, std::string> check_status;
  for (const auto& c : m.checks) check_status[c.id] = c.status;
  for (const auto& g : m.frameworks) {
    o << "<h3>" << esc(g.framework) << "</h3><table><thead><tr><th>reference</th><th>checks</th></tr></thead><tbody>";
    for (const auto& r : g.refs) {
      o << "<tr><td>" << esc(r.reference) << "</td><td>";
      for (const auto& c : r.checks) {
        const auto& st = check_status[c];
        o << "<code>" << esc(c) << "</code> <span class=\"status " << st << "\">"
          << (st == "not_evaluated" ? "not evaluated" : st) << "</span><br>";
      }
      o << "</td></tr>";
    }
    o << "</tbody></table>\n";
  }
  o << "</section>\n</body></html>\n";
}

}  // namespace

std::string render_html(const ReportModel& m) {
  std::ostringstream o;
  write_html(m, o);
  return o.str();
}

namespace {

// A report finding as the exporters read a stored one. The report keeps no
// detail or evidence (the history does not replay them): the title stands in.
StoredFinding export_view(const ReportFinding& r, Time as_of) {
  StoredFinding f;
  f.id = r.id;
  f.check_id = r.check_id;
  f.severity = r.severity;
  f.status = r.status;
  f.customer_id = r.customer_id;
  f.subject = r.subject;
  f.title = r.title;
  f.remediation = r.remediation;
  f.first_seen = r.first_seen;
  f.last_seen = r.resolved_at.value_or(as_of);
  f.resolved_at = r.resolved_at;
  if (r.status == FindingStatus::muted) {
    f.mute_reason = r.mute_reason;
    f.muted_by = r.muted_by;
    f.muted_until = r.muted_until;
  }
  return f;
}

// One event per finding, converted as it is written.
void write_ocsf(const ReportModel& m, std::ostream& o) {
  for (const auto* list : {&m.open, &m.muted, &m.resolved}) {
    for (const auto& r : *list) o << ocsf_event(export_view(r, m.as_of), m.as_of).dump() << '\n';
  }
}

// SARIF keeps only current leak-scan findings (a file location): only they
// are converted.
void write_sarif(const ReportModel& m, std::ostream& o) {
  std::vector<StoredFinding> located;
  for (const auto* list : {&m.open, &m.muted}) {
    for (const auto& r : *list) {
      if (r.check_id == "leak-scan") located.push_back(export_view(r, m.as_of));
    }
  }
  o << sarif_log(located).dump(2) << '\n';
}

}  // namespace

std::string render_ocsf(const ReportModel& m) {
  std::ostringstream out;
  write_ocsf(m, out);
  return out.str();
}

std::string render_sarif(const ReportModel& m) {
  std::ostringstream out;
  write_sarif(m, out);
  return out.str();
}

bool render(const ReportModel& m, std::string_view format, std::ostream& out) {
  if (format == "ocsf") write_ocsf(m, out);
  else if (format == "sarif") write_sarif(m, out);
  else if (format == "html") write_html(m, out);
  else if (format == "md") write_markdown(m, out);
  else if (format == "json") write_json(m, out);
  else if (format == "csv") write_csv(m, out);
  else return false;
  return true;
}

std::optional<std::string> render(const ReportModel& m, std::string_view format) {
  std::ostringstream out;
  if (!render(m, format, out)) return std::nullopt;
  return out.str();
}

const char* content_type(std::string_view format) {
  if (format == "html") return "text/html; charset=utf-8";
  if (format == "md") return "text/markdown; charset=utf-8";
  if (format == "csv") return "text/csv; charset=utf-8";
  if (format == "ocsf") return "application/x-ndjson";
  if (format == "sarif") return "application/sarif+json";
  return "application/json";
}

}  // namespace complyd::report
