// SPDX-License-Identifier: Apache-2.0
#include "daemon/http/console_pages.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "checks/registry.hpp"
#include "daemon/report/history.hpp"
#include "daemon/report/report_model.hpp"
#include "daemon/store/state_store.hpp"
#include "daemon/util/version.hpp"

namespace complyd::embedded {
extern const std::string_view console_layout;
extern const std::string_view console_login;
extern const std::string_view console_message;
extern const std::string_view console_overview;
extern const std::string_view console_findings;
extern const std::string_view console_finding;
extern const std::string_view console_customer;
extern const std::string_view console_mutes;
extern const std::string_view console_css;
extern const std::string_view console_js;
}  // namespace complyd::embedded

namespace complyd::http::console {

namespace mus = kainjow::mustache;

namespace {

std::string render_template(std::string_view source, const mus::data& d) {
  // Parsed once each (the templates are compiled in); the console's one
  // thread is the only caller.
  static std::map<const char*, std::unique_ptr<mus::mustache>> parsed;
  auto& t = parsed[source.data()];
  if (!t) t = std::make_unique<mus::mustache>(std::string(source));
  if (!t->is_valid()) throw std::runtime_error("console template: " + t->error_message());
  return t->render(d);
}

mus::data list() { return mus::data{mus::data::type::list}; }

std::string when(std::optional<std::int64_t> unix_s) { return unix_s ? format_time(from_unix(*unix_s)) : ""; }

// "3d", "5h", "12m": how long ago or until, for people.
std::string span(Duration d) {
  auto s = std::abs(d.count());
  if (s >= 86400) return fmt::format("{}d", s / 86400);
  if (s >= 3600) return fmt::format("{}h", s / 3600);
  return fmt::format("{}m", s / 60);
}

const std::vector<std::string>& severities_desc() {
  static const std::vector<std::string> s{"critical", "high", "medium", "low", "info"};
  return s;
}

// Verbatim the expression of the findings_severity_rank index (migration 14),
// so that ORDER BY it reads the index instead of sorting every finding.
constexpr const char* kSeverityRank =
    "(CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)";

// One read transaction per page: every query of it sees the same state.
struct ReadTx {
  explicit ReadTx(sql::Db& db) : db_(db) { db_.exec("BEGIN"); }
  ~ReadTx() {
    try {
      db_.exec("COMMIT");
    } catch (...) {
    }
  }
  sql::Db& db_;
};

bool table_exists(sql::Db& db, const char* name) {
  sql::Stmt s(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  s.bind(1, name);
  return s.step();
}

mus::data finding_row(const sql::Stmt& s) {
  // Columns: id, check_id, severity, status, customer_id, subject, title, last_seen, muted_by, mute_reason, muted_until
  mus::data r;
  r.set("id", s.text(0));
  r.set("check", s.text(1));
  r.set("severity", s.text(2));
  r.set("status", s.text(3));
  r.set("customer", s.text(4));
  if (!s.text(4).empty()) r.set("customer_url", url_encode(s.text(4)));
  r.set("subject", s.text(5));
  r.set("title", s.text(6));
  r.set("last_seen", format_time(from_unix(s.i64(7))));
  r.set("muted", s.text(3) == "muted");
  if (auto v = s.opt_text(8)) r.set("muted_by", *v);
  if (auto v = s.opt_text(9)) r.set("mute_reason", *v);
  r.set("muted_until", when(s.opt_i64(10)));
  return r;
}

constexpr const char* kRowColumns =
    "id, check_id, severity, status, customer_id, subject, title, last_seen, muted_by, mute_reason, muted_until";

}  // namespace

Params parse_form(std::string_view text) {
  Params out;
  auto decode = [](std::string_view s) {
    std::string o;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        o += ' ';
      } else if (s[i] == '%' && i + 2 < s.size() + 0 && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        o += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        o += s[i];
      }
    }
    return o;
  };
  while (!text.empty()) {
    const auto amp = text.find('&');
    const auto pair = text.substr(0, amp);
    const auto eq = pair.find('=');
    auto key = decode(pair.substr(0, eq));
    if (!key.empty()) out.emplace(std::move(key), eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return out;
}

std::string url_encode(std::string_view s) {
  std::string o;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') o += static_cast<char>(c);
    else o += fmt::format("%{:02X}", c);
  }
  return o;
}

std::string layout(const std::string& title, const std::string& body, const Viewer* viewer, std::string_view active) {
  mus::data d;
  d.set("title", title);
  d.set("body", body);
  d.set("version", std::string(kVersion));
  if (viewer != nullptr) {
    mus::data u;
    u.set("name", viewer->name);
    u.set("role", viewer->role);
    u.set("csrf", viewer->csrf);
    d.set("user", u);
    mus::data nav = list();
    for (const auto& [href, label] : std::vector<std::pair<std::string, std::string>>{
             {"/", "Overview"}, {"/findings", "Findings"}, {"/mutes", "Mutes"}}) {
      mus::data n;
      n.set("href", href);
      n.set("label", label);
      n.set("current", label == active);
      nav.push_back(n);
    }
    d.set("nav", nav);
  }
  return render_template(embedded::console_layout, d);
}

std::string login_page(const std::string& csrf, const std::string& error, const std::string& name) {
  mus::data d;
  d.set("csrf", csrf);
  d.set("name", name);
  if (!error.empty()) d.set("error", error);
  return layout("Sign in", render_template(embedded::console_login, d), nullptr);
}

std::string message_page(const std::string& title, const std::string& message, const Viewer* viewer) {
  mus::data d;
  d.set("title", title);
  d.set("message", message);
  return layout(title, render_template(embedded::console_message, d), viewer);
}

// ---- Overview ---------------------------------------------------------------

std::string overview_page(sql::Db& db, const Viewer& v, Time now) {
  ReadTx tx(db);
  mus::data d;
  // One pass over the current findings for every count of the page: by
  // severity, by check, and the checklist's groups (by subject where the
  // subject decides which line a finding fails).
  std::map<std::string, std::int64_t> by_severity, by_check;
  std::int64_t muted_total = 0;
  struct Group {
    std::int64_t open = 0, muted = 0;
  };
  std::map<std::pair<std::string, std::string>, Group> groups;
  {
    sql::Stmt s(db, "SELECT check_id, severity, status, subject FROM findings WHERE status != 'resolved'");
    while (s.step()) {
      const bool muted = s.text_view(2) == "muted";
      auto check = s.text(0);
      if (muted) {
        ++muted_total;
      } else {
        ++by_severity[s.text(1)];
        ++by_check[check];
      }
      auto subject = report::subject_matters_for_checklist(check) ? s.text(3) : std::string();
      auto& g = groups[{std::move(check), std::move(subject)}];
      ++(muted ? g.muted : g.open);
    }
  }
  mus::data sev = list();
  std::int64_t open_total = 0;
  for (const auto& name : severities_desc()) {
    mus::data r;
    r.set("severity", name);
    r.set("count", std::to_string(by_severity[name]));
    r.set("href", "/findings?severity=" + name + "&muted=no");
    open_total += by_severity[name];
    sev.push_back(r);
  }
  d.set("by_severity", sev);
  d.set("open_total", std::to_string(open_total));
  d.set("muted_total", std::to_string(muted_total));
  std::vector<std::pair<std::string, std::int64_t>> ranked(by_check.begin(), by_check.end());
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  mus::data checks = list();
  for (const auto& [id, n] : ranked) {
    mus::data r;
    r.set("check", id);
    const CheckDef* def = find_check(id);
    r.set("title", def != nullptr ? def->info.title : std::string("(no longer in the catalogue)"));
    r.set("count", std::to_string(n));
    r.set("href", "/findings?muted=no&check=" + url_encode(id));
    checks.push_back(r);
  }
  d.set("by_check", checks);
  d.set("no_open", open_total == 0);

  // The last cycle and its sources.
  std::set<std::string> complete, disabled;
  bool have_cycle = false;
  {
    sql::Stmt s(db,
                "SELECT id, started_at, finished_at, status, sources, coalesce(error, '') FROM cycles "
                "ORDER BY id DESC LIMIT 1");
    if (s.step()) {
      have_cycle = true;
      mus::data c;
      c.set("id", std::to_string(s.i64(0)));
      c.set("started", format_time(from_unix(s.i64(1))));
      if (auto f = s.opt_i64(2)) c.set("duration", format_duration(Duration{*f - s.i64(1)}));
      c.set("status", s.text(3));
      c.set("ok", s.text(3) == "ok");
      c.set("ago", span(now - from_unix(s.i64(1))));
      if (!s.text(5).empty()) c.set("error", s.text(5));
      mus::data sources = list();
      for (const auto& src : sources_from_json(s.text_view(4), s.i64(0))) {
        mus::data r;
        r.set("name", src.name);
        r.set("type", src.type);
        r.set("ok", src.ok);
        r.set("error", src.error);
        r.set("rows", std::to_string(src.rows));
        r.set("rejected", std::to_string(src.rejected_rows()));
        r.set("any_rejected", src.rejected_rows() > 0);
        sources.push_back(r);
      }
      c.set("sources", sources);
      d.set("cycle", c);
    }
  }
  if (have_cycle && table_exists(db, "report_cycles")) {
    sql::Stmt s(db, "SELECT checks_complete, checks_disabled FROM report_cycles ORDER BY cycle_id DESC LIMIT 1");
    if (s.step()) {
      try {
        for (const auto& id : nlohmann::json::parse(s.text_view(0))) complete.insert(id.get<std::string>());
        for (const auto& id : nlohmann::json::parse(s.text_view(1))) disabled.insert(id.get<std::string>());
      } catch (const nlohmann::json::exception&) {
        complete.clear();  // unreadable: every line reads "not evaluated", never "pass"
      }
    }
  }

  // Checklist: the report's rule (report::finding_counts_against) over the groups.
  const auto evaluated = [&](const std::string& id) { return complete.contains(id) && !disabled.contains(id); };
  mus::data lines = list();
  std::map<std::string, int> tally;
  std::string page;
  for (const auto& line : report::checklist_lines()) {
    std::vector<std::string> ids;
    bool any_evaluated = false, attested = false;
    for (const CheckDef* def : all_checks()) {
      const auto& items = def->info.checklist_items;
      if (std::find(items.begin(), items.end(), line.item) == items.end()) continue;
      ids.push_back(def->info.id);
      if (!evaluated(def->info.id)) continue;
      any_evaluated = true;
      if (def->info.id == report::kAttestationCheckId) attested = true;
    }
    std::int64_t open = 0, muted = 0;
    for (const auto& [key, g] : groups) {
      const auto& [check, subject] = key;
      if (std::find(ids.begin(), ids.end(), check) == ids.end() || !evaluated(check)) continue;
      if (report::subject_matters_for_checklist(check) && !report::finding_counts_against(check, subject, line.item)) {
        continue;
      }
      open += g.open;
      muted += g.muted;
    }
    std::string status = !any_evaluated ? "not_evaluated" : open + muted > 0 ? "fail" : attested ? "attested" : "pass";
    ++tally[status];
    mus::data r;
    if (line.page != page) r.set("page", line.page);
    page = line.page;
    r.set("item", line.item);
    r.set("status", status);
    r.set("status_label", status == "not_evaluated" ? std::string("not evaluated") : status);
    r.set("open", std::to_string(open));
    r.set("muted", std::to_string(muted));
    std::string checks_text;
    for (const auto& id : ids) checks_text += (checks_text.empty() ? "" : ", ") + id;
    r.set("checks", checks_text);
    if (ids.size() == 1) r.set("href", "/findings?check=" + url_encode(ids.front()));
    lines.push_back(r);
  }
  d.set("checklist", lines);
  for (const char* k : {"pass", "fail", "attested", "not_evaluated"}) d.set(std::string("n_") + k, std::to_string(tally[k]));

  // Trend: open findings at the last cycle of each day, the last 90 days.
  {
    const auto from = to_unix(now - days(90));
    sql::Stmt s(db,
                "SELECT started_at / 86400, open_total FROM cycles WHERE id IN (SELECT max(id) FROM cycles "
                "WHERE started_at >= ? AND status != 'failed' GROUP BY started_at / 86400) ORDER BY id");
    s.bind(1, from);
    std::vector<std::pair<std::int64_t, std::int64_t>> points;
    while (s.step()) points.emplace_back(s.i64(0), s.i64(1));
    std::int64_t top = 1;
    for (const auto& p : points) top = std::max(top, p.second);
    mus::data bars = list();
    const std::int64_t first_day = from / 86400;
    for (const auto& [day, n] : points) {
      mus::data b;
      const auto h = std::max<std::int64_t>(n > 0 ? 1 : 0, n * 100 / top);
      b.set("x", std::to_string((day - first_day) * 4));
      b.set("y", std::to_string(100 - h));
      b.set("h", std::to_string(h));
      b.set("label", fmt::format("{}: {} open", format_time(from_unix(day * 86400)).substr(0, 10), n));
      bars.push_back(b);
    }
    d.set("trend", bars);
    d.set("trend_max", std::to_string(top));
    d.set("trend_empty", points.empty());
  }
  return layout("Overview", render_template(embedded::console_overview, d), &v, "Overview");
}

// ---- Findings ---------------------------------------------------------------

FindingsQuery FindingsQuery::from(const Params& p) {
  FindingsQuery q;
  auto get = [&](const char* k) {
    auto it = p.find(k);
    return it == p.end() ? std::string() : it->second;
  };
  q.check = get("check");
  q.severity = get("severity");
  if (!severity_from(q.severity)) q.severity.clear();
  q.customer = get("customer");
  if (auto s = get("status"); s == "open" || s == "resolved" || s == "all") q.status = s;
  if (auto s = get("muted"); s == "yes" || s == "no") q.muted = s;
  q.text = get("q");
  static const std::set<std::string> sorts{"severity", "check", "customer", "first_seen", "last_seen", "id"};
  if (auto s = get("sort"); sorts.contains(s)) q.sort = s;
  if (auto s = get("dir"); s == "asc" || s == "desc") q.dir = s;
  try {
    q.page = std::clamp<std::int64_t>(std::stoll(get("page")), 1, 1'000'000);
  } catch (const std::exception&) {
    q.page = 1;
  }
  return q;
}

std::string FindingsQuery::query_string(std::int64_t page_no, const std::string& sort_by,
                                        const std::string& direction) const {
  std::string o;
  auto add = [&](const char* k, const std::string& v) {
    if (!v.empty()) o += fmt::format("{}{}={}", o.empty() ? "?" : "&", k, url_encode(v));
  };
  add("check", check);
  add("severity", severity);
  add("customer", customer);
  add("status", status);
  add("muted", muted == "any" ? "" : muted);
  add("q", text);
  add("sort", sort_by);
  add("dir", direction);
  if (page_no > 1) add("page", std::to_string(page_no));
  return o;
}

std::string findings_page(sql::Db& db, const FindingsQuery& q, const Viewer& v) {
  // Every value is bound; only fixed fragments are spliced in.
  std::string where = " WHERE 1=1";
  std::vector<std::string> binds;
  if (q.status == "open") where += " AND status != 'resolved'";
  if (q.status == "resolved") where += " AND status = 'resolved'";
  if (q.muted == "yes") where += " AND status = 'muted'";
  if (q.muted == "no") where += " AND status != 'muted'";
  if (!q.check.empty()) {
    where += " AND check_id = ?";
    binds.push_back(q.check);
  }
  if (!q.severity.empty()) {
    where += " AND severity = ?";
    binds.push_back(q.severity);
  }
  if (!q.customer.empty()) {
    where += " AND customer_id = ?";
    binds.push_back(q.customer);
  }
  if (!q.text.empty()) {
    std::string like = "%";
    for (char c : q.text) {
      if (c == '%' || c == '_' || c == '\\') like += '\\';
      like += c;
    }
    like += '%';
    where += " AND (title LIKE ? ESCAPE '\\' OR subject LIKE ? ESCAPE '\\' OR customer_id LIKE ? ESCAPE '\\' OR id = ?)";
    for (int i = 0; i < 3; ++i) binds.push_back(like);
    binds.push_back(q.text);
  }
  std::string order;
  if (q.sort == "severity") order = kSeverityRank;
  else if (q.sort == "check") order = "check_id";
  else if (q.sort == "customer") order = "customer_id";
  else order = q.sort;  // first_seen, last_seen, id: column names from the fixed set
  const std::string dir = q.dir == "asc" ? "ASC" : "DESC";
  // Muted findings are few: read them by the findings_muted index and sort
  // them ("+" keeps the planner from walking the ordering index instead).
  if (q.muted == "yes") order = "+" + order;
  // Ties by id in the same direction: the index on (rank, id) serves it either way.
  const std::string order_by = fmt::format(" ORDER BY {} {}, id {}", order, dir, dir);

  ReadTx tx(db);
  std::int64_t total = 0;
  {
    sql::Stmt s(db, "SELECT count(*) FROM findings" + where);
    for (std::size_t i = 0; i < binds.size(); ++i) s.bind(static_cast<int>(i + 1), binds[i]);
    if (s.step()) total = s.i64(0);
  }
  const std::int64_t pages = std::max<std::int64_t>(1, (total + FindingsQuery::kPerPage - 1) / FindingsQuery::kPerPage);
  const std::int64_t page = std::min(q.page, pages);
  mus::data rows = list();
  {
    sql::Stmt s(db, fmt::format("SELECT {} FROM findings{}{} LIMIT ? OFFSET ?", kRowColumns, where, order_by));
    int i = 1;
    for (const auto& b : binds) s.bind(i++, b);
    s.bind(i++, FindingsQuery::kPerPage);
    s.bind(i, (page - 1) * FindingsQuery::kPerPage);
    while (s.step()) rows.push_back(finding_row(s));
  }

  mus::data d;
  d.set("rows", rows);
  d.set("empty", total == 0);
  d.set("total", std::to_string(total));
  d.set("page", std::to_string(page));
  d.set("pages", std::to_string(pages));
  d.set("first", std::to_string(total == 0 ? 0 : (page - 1) * FindingsQuery::kPerPage + 1));
  d.set("last", std::to_string(std::min(total, page * FindingsQuery::kPerPage)));
  if (page > 1) d.set("prev", q.query_string(page - 1, q.sort, q.dir));
  if (page < pages) d.set("next", q.query_string(page + 1, q.sort, q.dir));
  d.set("customer", q.customer);
  d.set("text", q.text);
  mus::data checks = list();
  for (const CheckDef* def : all_checks()) {
    mus::data c;
    c.set("id", def->info.id);
    c.set("selected", def->info.id == q.check);
    checks.push_back(c);
  }
  d.set("checks", checks);
  mus::data sev = list();
  for (const auto& s : severities_desc()) {
    mus::data c;
    c.set("name", s);
    c.set("selected", s == q.severity);
    sev.push_back(c);
  }
  d.set("severities", sev);
  for (const char* s : {"open", "resolved", "all"}) d.set(std::string("status_") + s, q.status == s);
  for (const char* s : {"any", "yes", "no"}) d.set(std::string("muted_") + s, q.muted == s);
  // Column headers: a link that sorts by the column (toggling the direction).
  mus::data cols = list();
  for (const auto& [key, label] : std::vector<std::pair<std::string, std::string>>{
           {"id", "Finding"}, {"severity", "Severity"}, {"check", "Check"}, {"customer", "Customer"},
           {"", "Title"}, {"", "Status"}, {"last_seen", "Last seen"}}) {
    mus::data c;
    c.set("label", label);
    if (!key.empty()) {
      const bool current = key == q.sort;
      const std::string next_dir = current && q.dir == "desc" ? "asc" : "desc";
      c.set("href", q.query_string(1, key, next_dir));
      if (current) c.set("aria_sort", q.dir == "asc" ? std::string("ascending") : std::string("descending"));
      if (current) c.set("arrow", q.dir == "asc" ? std::string("▲") : std::string("▼"));
    }
    cols.push_back(c);
  }
  d.set("columns", cols);
  return layout("Findings", render_template(embedded::console_findings, d), &v, "Findings");
}

// ---- Finding detail ---------------------------------------------------------

std::optional<std::string> finding_page(sql::Db& db, const std::string& id, const Viewer& v, const std::string& notice,
                                        const std::string& error, Time now) {
  ReadTx tx(db);
  mus::data d;
  std::string check_id, subject, status, title;
  {
    sql::Stmt s(db,
                "SELECT id, check_id, severity, status, customer_id, subject, title, detail, remediation, evidence, "
                "first_seen, last_seen, resolved_at, mute_reason, muted_by, muted_until FROM findings WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    check_id = s.text(1);
    subject = s.text(5);
    status = s.text(3);
    title = s.text(6);
    d.set("id", s.text(0));
    d.set("check", check_id);
    d.set("severity", s.text(2));
    d.set("status", status);
    d.set("customer", s.text(4));
    if (!s.text(4).empty()) d.set("customer_url", url_encode(s.text(4)));
    d.set("subject", subject);
    d.set("title", title);
    d.set("detail", s.text(7));
    d.set("remediation", s.text(8));
    std::string evidence = s.text(9);
    try {
      evidence = nlohmann::json::parse(evidence).dump(2);
    } catch (const nlohmann::json::exception&) {
      // shown as stored
    }
    d.set("evidence", evidence);
    d.set("first_seen", format_time(from_unix(s.i64(10))));
    d.set("last_seen", format_time(from_unix(s.i64(11))));
    if (auto r = s.opt_i64(12)) d.set("resolved_at", format_time(from_unix(*r)));
    if (status == "muted") {
      mus::data m;
      m.set("reason", s.opt_text(13).value_or(""));
      m.set("by", s.opt_text(14).value_or(""));
      m.set("until", when(s.opt_i64(15)));
      d.set("mute", m);
    }
  }
  const CheckDef* def = find_check(check_id);
  if (def != nullptr) {
    d.set("check_title", def->info.title);
    d.set("rationale", def->info.rationale);
    mus::data refs = list();
    for (const auto& r : def->info.frameworks) {
      mus::data x;
      x.set("framework", r.framework);
      x.set("reference", r.reference);
      refs.push_back(x);
    }
    d.set("frameworks", refs);
    d.set("has_frameworks", !def->info.frameworks.empty());
    mus::data items = list();
    for (const auto& i : def->info.checklist_items) items.push_back(mus::data{i});
    d.set("checklist_items", items);
  }
  const bool incident = finding_kind(check_id, subject) == FindingKind::incident;
  d.set("kind", std::string(to_string(incident ? FindingKind::incident : FindingKind::state)));
  mus::data history = list();
  {
    sql::Stmt s(db,
                "SELECT at, event, coalesce(from_status, ''), to_status, severity, coalesce(actor, ''), "
                "coalesce(reason, ''), cycle_id FROM finding_events WHERE finding_id = ? ORDER BY id");
    s.bind(1, id);
    while (s.step()) {
      mus::data e;
      e.set("at", format_time(from_unix(s.i64(0))));
      e.set("event", s.text(1));
      e.set("from", s.text(2));
      e.set("to", s.text(3));
      e.set("severity", s.text(4));
      e.set("actor", s.text(5).empty() ? std::string("complyd") : s.text(5));
      e.set("reason", s.text(6));
      if (auto c = s.opt_i64(7)) e.set("cycle", std::to_string(*c));
      history.push_back(e);
    }
  }
  d.set("history", history);
  if (!notice.empty()) d.set("notice", notice);
  if (!error.empty()) d.set("error", error);
  // What this user may do to it now: the same conditions StateStore enforces.
  if (v.can_act) {
    mus::data a;
    a.set("csrf", v.csrf);
    a.set("id", id);
    a.set("can_mute", status == "open");
    a.set("can_unmute", status == "muted");
    a.set("can_ack", incident && status != "resolved");
    a.set("default_until", format_time(now + days(30)).substr(0, 10));
    a.set("min_until", format_time(now + days(1)).substr(0, 10));
    d.set("actions", a);
  } else {
    d.set("viewer_only", true);
  }
  return layout(fmt::format("{} · {}", id, title), render_template(embedded::console_finding, d), &v, "Findings");
}

// ---- Customer ---------------------------------------------------------------

std::optional<std::string> customer_page(sql::Db& db, const std::string& id, const Viewer& v, Time now) {
  ReadTx tx(db);
  mus::data d;
  d.set("id", id);
  d.set("id_url", url_encode(id));
  bool known = false;
  mus::data findings = list();
  std::int64_t n_findings = 0;
  {
    sql::Stmt s(db, fmt::format("SELECT {} FROM findings WHERE customer_id = ? AND status != 'resolved' ORDER BY {} "
                                "DESC, check_id, id LIMIT 500",
                                kRowColumns, kSeverityRank));
    s.bind(1, id);
    while (s.step()) {
      findings.push_back(finding_row(s));
      ++n_findings;
    }
    known = n_findings > 0;
  }
  d.set("findings", findings);
  d.set("n_findings", std::to_string(n_findings));
  if (table_exists(db, "report_customer_state")) {
    sql::Stmt s(db, "SELECT state, valid_from FROM report_customer_state WHERE customer_id = ? AND valid_to IS NULL");
    s.bind(1, id);
    if (s.step()) {
      known = true;
      nlohmann::json st;
      try {
        st = expand_report_state(nlohmann::json::parse(s.text_view(0)));
      } catch (const nlohmann::json::exception&) {
        st = nlohmann::json::object();
        d.set("state_unreadable", true);
      }
      auto str = [](const nlohmann::json& j) { return j.is_string() ? j.get<std::string>() : j.is_null() ? "" : j.dump(); };
      mus::data info;
      info.set("name", str(st.value("name", nlohmann::json())));
      info.set("status", str(st.value("status", nlohmann::json())));
      info.set("environment", str(st.value("environment", nlohmann::json())));
      info.set("jurisdiction", str(st.value("jurisdiction", nlohmann::json())));
      info.set("since", format_time(from_unix(s.i64(1))));
      d.set("info", info);
      mus::data creds = list();
      for (const auto& c : st.value("credentials", nlohmann::json::array())) {
        mus::data r;
        r.set("path", str(c.value("path", nlohmann::json())));
        r.set("kind", str(c.value("kind", nlohmann::json())));
        r.set("role", str(c.value("role", nlohmann::json())));
        r.set("environment", str(c.value("environment", nlohmann::json())));
        const auto basis = c.value("basis_at", nlohmann::json());
        if (basis.is_number_integer()) r.set("basis", format_time(from_unix(basis.get<std::int64_t>())));
        const auto due = c.value("due_at", nlohmann::json());
        if (due.is_number_integer()) {
          const auto t = from_unix(due.get<std::int64_t>());
          r.set("due", format_time(t).substr(0, 10));
          r.set("stage", t < now ? "overdue" : t - now <= days(10) ? "due soon" : "in time");
          r.set("overdue", t < now);
        } else {
          r.set("stage", "unknown");
        }
        creds.push_back(r);
      }
      d.set("credentials", creds);
      mus::data hooks = list();
      for (const auto& w : st.value("webhooks", nlohmann::json::array())) {
        mus::data r;
        r.set("id", str(w.value("id", nlohmann::json())));
        r.set("platform", str(w.value("platform", nlohmann::json())));
        r.set("status", str(w.value("status", nlohmann::json())));
        const auto https = w.value("https", nlohmann::json());
        r.set("https", https.is_boolean() ? (https.get<bool>() ? "yes" : "no") : "unknown");
        hooks.push_back(r);
      }
      d.set("webhooks", hooks);
    }
  }
  mus::data stages = list();
  if (table_exists(db, "reminder_ledger")) {
    sql::Stmt s(db,
                "SELECT first_reminded_at, urgency FROM reminder_ledger WHERE customer_id = ? ORDER BY "
                "first_reminded_at");
    s.bind(1, id);
    while (s.step()) {
      mus::data r;
      r.set("first", format_time(from_unix(s.i64(0))));
      static const char* names[] = {"warning", "due", "overdue"};
      const auto u = s.i64(1);
      r.set("stage", u >= 0 && u <= 2 ? names[u] : "unknown");
      stages.push_back(r);
      known = true;
    }
  }
  d.set("ledger", stages);
  mus::data sent = list();
  if (table_exists(db, "outbox")) {
    sql::Stmt s(db,
                "SELECT kind, subject, status, created_at, sent_at FROM outbox WHERE customer_id = ? AND kind IN "
                "('reminder', 'escalation') ORDER BY created_at DESC LIMIT 100");
    s.bind(1, id);
    while (s.step()) {
      mus::data r;
      r.set("kind", s.text(0));
      r.set("subject", s.text(1));
      r.set("status", s.text(2));
      r.set("created", format_time(from_unix(s.i64(3))));
      r.set("sent", when(s.opt_i64(4)));
      sent.push_back(r);
      known = true;
    }
  }
  d.set("reminders", sent);
  if (!known) return std::nullopt;
  return layout("Customer " + id, render_template(embedded::console_customer, d), &v);
}

// ---- Mutes ------------------------------------------------------------------

std::string mutes_page(sql::Db& db, const Viewer& v, const std::vector<MutelistRule>* rules, Time now) {
  ReadTx tx(db);
  mus::data d;
  mus::data rows = list();
  std::int64_t n = 0;
  {
    sql::Stmt s(db, fmt::format("SELECT {} FROM findings WHERE status = 'muted' ORDER BY muted_until, id LIMIT 1000",
                                kRowColumns));
    while (s.step()) {
      auto r = finding_row(s);
      if (auto u = s.opt_i64(10)) r.set("ends_in", span(from_unix(*u) - now));
      rows.push_back(r);
      ++n;
    }
  }
  d.set("mutes", rows);
  d.set("n_mutes", std::to_string(n));
  d.set("no_mutes", n == 0);
  if (rules != nullptr) {
    mus::data list_rules = list();
    for (const auto& r : *rules) {
      mus::data x;
      x.set("match", r.match);
      x.set("owner", r.owner);
      x.set("reason", r.reason);
      x.set("until", r.until ? format_time(*r.until) : std::string());
      x.set("source", r.source);
      list_rules.push_back(x);
    }
    d.set("rules", list_rules);
    d.set("no_rules", rules->empty());
    d.set("mutelist", true);
  }
  return layout("Mutes", render_template(embedded::console_mutes, d), &v, "Mutes");
}

std::optional<Asset> asset(std::string_view path) {
  if (path == "/assets/console.css") return Asset{embedded::console_css, "text/css; charset=utf-8"};
  if (path == "/assets/console.js") return Asset{embedded::console_js, "text/javascript; charset=utf-8"};
  return std::nullopt;
}

}  // namespace complyd::http::console
