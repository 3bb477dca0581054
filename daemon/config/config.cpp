#include "daemon/config/config.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "checks/registry.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/util/time.hpp"

namespace complyd {

std::string ConfigDiagnostic::to_string() const {
  return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

namespace {

namespace fs = std::filesystem;

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  void add(const toml::source_region& where, std::string message) {
    items_.push_back({file_, where.begin.line, where.begin.column, std::move(message)});
  }
  std::vector<ConfigDiagnostic> take() { return std::move(items_); }
  bool empty() const { return items_.empty(); }

 private:
  std::string file_;
  std::vector<ConfigDiagnostic> items_;
};

bool looks_like_inline_secret(std::string_view key) {
  static const RE2 re(R"((?i)(password|passwd|secret|token|api_?key|private_?key|credential))");
  return RE2::PartialMatch(key, re) && !key.ends_with("_file") && !key.ends_with("_files");
}

// A TOML table with its dotted name. Every key read is remembered; finish()
// reports the rest as unknown (userver's additionalProperties: false).
class Section {
 public:
  Section(const toml::table& t, std::string name, Diagnostics& d) : t_(t), name_(std::move(name)), d_(d) {}

  const toml::node* node(std::string_view key) {
    known_.emplace(key);
    return t_.get(key);
  }

  std::optional<std::string> string(std::string_view key, const std::set<std::string>& allowed = {}) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    auto v = n->value<std::string>();
    if (!n->is_string() || !v) {
      type_error(*n, key, "a string");
      return std::nullopt;
    }
    if (!allowed.empty() && !allowed.contains(*v)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      d_.add(n->source(), fmt::format("{}: '{}' is not one of: {}", path(key), *v, list));
      return std::nullopt;
    }
    return v;
  }

  std::optional<fs::path> path_value(std::string_view key, const fs::path& base) {
    auto s = string(key);
    if (!s) return std::nullopt;
    if (s->empty()) {
      d_.add(t_.get(key)->source(), fmt::format("{}: must not be empty", path(key)));
      return std::nullopt;
    }
    fs::path p(*s);
    return p.is_absolute() ? p : base / p;
  }

  // A secret's *_file path. "%d/NAME" names a systemd credential: the file
  // NAME in $CREDENTIALS_DIRECTORY (LoadCredential= in complyd.service).
  std::optional<fs::path> secret_file_value(std::string_view key, const fs::path& base) {
    auto s = string(key);
    if (!s) return std::nullopt;
    if (!s->starts_with('%')) return path_value(key, base);
    const auto& where = t_.get(key)->source();
    const std::string name = s->substr(std::min<std::size_t>(3, s->size()));
    if (!s->starts_with("%d/")) {
      d_.add(where, fmt::format("{}: '{}': the only placeholder is '%d/NAME' (the systemd credential NAME)",
                                path(key), *s));
      return std::nullopt;
    }
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      d_.add(where, fmt::format("{}: '{}': '%d/' must be followed by a credential name without '/'", path(key), *s));
      return std::nullopt;
    }
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir != '/') {
      d_.add(where, fmt::format("{}: '{}' names a systemd credential, but $CREDENTIALS_DIRECTORY is not set "
                                "(run under complyd.service with LoadCredential=, or set it to the directory "
                                "holding '{}')",
                                path(key), *s, name));
      return std::nullopt;
    }
    return fs::path(dir) / name;
  }

  std::optional<Duration> duration(std::string_view key, Duration min, Duration max) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    return duration_of(*n, path(key), min, max);
  }

  std::optional<Duration> duration_of(const toml::node& n, const std::string& what, Duration min, Duration max) {
    auto s = n.value<std::string>();
    if (!n.is_string() || !s) {
      d_.add(n.source(), fmt::format("{}: expected a duration string such as \"90d\", \"1h\" or \"10m\"", what));
      return std::nullopt;
    }
    auto d = parse_duration(*s);
    if (!d) {
      d_.add(n.source(), fmt::format("{}: '{}' is not a duration (use a number and a unit: s, m, h, d, w, y)",
                                     what, *s));
      return std::nullopt;
    }
    if (*d < min || *d > max) {
      d_.add(n.source(), fmt::format("{}: {} is out of range ({} to {})", what, *s, format_duration(min),
                                     format_duration(max)));
      return std::nullopt;
    }
    return d;
  }

  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_integer()) {
      type_error(*n, key, "an integer");
      return std::nullopt;
    }
    auto v = *n->value<std::int64_t>();
    if (v < min || v > max) {
      d_.add(n->source(), fmt::format("{}: {} is out of range ({} to {})", path(key), v, min, max));
      return std::nullopt;
    }
    return v;
  }

  std::optional<double> number(std::string_view key, double min, double max) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_number()) {
      type_error(*n, key, "a number");
      return std::nullopt;
    }
    auto v = *n->value<double>();
    if (v < min || v > max) {
      d_.add(n->source(), fmt::format("{}: {} is out of range ({} to {})", path(key), v, min, max));
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> boolean(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_boolean()) {
      type_error(*n, key, "true or false");
      return std::nullopt;
    }
    return *n->value<bool>();
  }

  std::optional<std::vector<std::string>> string_list(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    const toml::array* a = n->as_array();
    if (a == nullptr) {
      type_error(*n, key, "an array of strings");
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (const auto& el : *a) {
      if (!el.is_string()) {
        d_.add(el.source(), fmt::format("{}: every element must be a string", path(key)));
        ok = false;
        continue;
      }
      out.push_back(*el.value<std::string>());
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // A sub-table; nullopt if absent or not a table (the latter reported).
  std::optional<Section> table(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    const toml::table* t = n->as_table();
    if (t == nullptr) {
      type_error(*n, key, "a table");
      return std::nullopt;
    }
    return Section(*t, path(key), d_);
  }

  void finish() {
    for (auto&& [k, v] : t_) {
      if (known_.contains(std::string(k.str()))) continue;
      if (looks_like_inline_secret(k.str())) {
        // Never echo the value: it may be a real secret.
        d_.add(k.source(), fmt::format("{}: secrets are not accepted inline; put the value in a file readable "
                                       "only by complyd and set '{}_file' to its path",
                                       path(k.str()), k.str()));
      } else {
        d_.add(k.source(), fmt::format("unknown key '{}'{}", path(k.str()),
                                       name_.empty() ? std::string() : fmt::format(" in [{}]", name_)));
      }
    }
  }

  std::string path(std::string_view key) const {
    return name_.empty() ? std::string(key) : fmt::format("{}.{}", name_, key);
  }
  const toml::table& raw() const { return t_; }
  const toml::source_region& where() const { return t_.source(); }
  Diagnostics& diagnostics() { return d_; }

 private:
  void type_error(const toml::node& n, std::string_view key, const char* expected) {
    d_.add(n.source(), fmt::format("{}: expected {}", path(key), expected));
  }

  const toml::table& t_;
  std::string name_;
  Diagnostics& d_;
  std::set<std::string, std::less<>> known_;
};

const std::set<std::string> kSeverities{"info", "low", "medium", "high", "critical"};

void read_secret_file_for_redaction(Section& s, std::string_view key, const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    s.diagnostics().add(s.raw().get(key)->source(),
                        fmt::format("{}: cannot read '{}'", s.path(key), p.string()));
    return;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  register_secret(ss.str());  // masked wherever it might surface
}

// [http]: listen = "host:port" (IPv6 as "[::1]:port"; "" disables).
void load_http(Section& s, HttpConfig& h) {
  if (auto v = s.string("listen")) {
    h.listen = *v;
    if (!v->empty()) {
      static const RE2 re(R"(\[?([0-9A-Fa-f:.]+)\]?:([0-9]{1,5}))");
      std::string host, port;
      if (!RE2::FullMatch(*v, re, &host, &port) || std::stoul(port) > 65535) {
        s.diagnostics().add(s.raw().get("listen")->source(),
                            "http.listen must be an IP address and port, e.g. \"127.0.0.1:9464\" or \"[::1]:9464\"");
      } else {
        h.host = host;
        h.port = static_cast<std::uint16_t>(std::stoul(port));
      }
    }
  }
  if (auto v = s.string_list("token_sha256")) {
    static const RE2 hex("[0-9a-fA-F]{64}");
    for (auto t : *v) {
      if (!RE2::FullMatch(t, hex)) {
        // Never echo it: someone may have pasted a token instead of its hash.
        s.diagnostics().add(s.raw().get("token_sha256")->source(),
                            "http.token_sha256: every entry must be the SHA-256 of a token as 64 hex digits "
                            "(e.g. printf %s \"$TOKEN\" | sha256sum), never the token itself");
        continue;
      }
      std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
      h.token_sha256.push_back(t);
    }
  }
  if (auto v = s.integer("max_connections", 1, 10000)) h.max_connections = *v;
  if (auto v = s.integer("max_header_bytes", 1024, 65536)) h.max_header_bytes = *v;
  if (auto v = s.integer("max_body_bytes", 0, 1 << 20)) h.max_body_bytes = *v;
  if (auto v = s.duration("read_timeout", Duration{1}, Duration{300})) h.read_timeout = *v;
  s.finish();
}

void load_check(Section& sec, const CheckDef& def, CheckConfig& cc) {
  if (auto v = sec.boolean("enabled")) cc.enabled = *v;
  if (auto v = sec.string("severity", kSeverities)) cc.severity = *severity_from(*v);
  for (const auto& spec : def.info.params) {
    const toml::node* n = sec.node(spec.name);
    if (n == nullptr) continue;
    const double lo = spec.min.value_or(-1e18);
    const double hi = spec.max.value_or(1e18);
    switch (spec.type) {
      case ParamType::boolean:
        if (auto v = sec.boolean(spec.name)) cc.params.set(spec.name, *v);
        break;
      case ParamType::integer:
        if (auto v = sec.integer(spec.name, static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi)))
          cc.params.set(spec.name, *v);
        break;
      case ParamType::number:
        if (auto v = sec.number(spec.name, lo, hi)) cc.params.set(spec.name, *v);
        break;
      case ParamType::duration:
        if (auto v = sec.duration(spec.name, Duration{static_cast<std::int64_t>(spec.min.value_or(0))},
                                  Duration{static_cast<std::int64_t>(spec.max.value_or(100.0 * 365 * 86400))}))
          cc.params.set(spec.name, *v);
        break;
      case ParamType::string:
        if (auto v = sec.string(spec.name)) cc.params.set(spec.name, *v);
        break;
      case ParamType::string_list:
        if (auto v = sec.string_list(spec.name)) cc.params.set(spec.name, *v);
        break;
      case ParamType::duration_map: {
        auto sub = sec.table(spec.name);
        if (!sub) break;
        // Entries override or extend the defaults (new credential kinds).
        DurationMap merged = std::get<DurationMap>(spec.default_value);
        for (auto&& [k, v] : sub->raw()) {
          auto d = sub->duration_of(v, sub->path(k.str()), Duration{static_cast<std::int64_t>(lo < 0 ? 0 : lo)},
                                    Duration{static_cast<std::int64_t>(spec.max.value_or(100.0 * 365 * 86400))});
          if (d) merged[std::string(k.str())] = *d;
        }
        cc.params.set(spec.name, std::move(merged));
        break;
      }
    }
  }
  sec.finish();
}

// tls = "none" only to a loopback mail catcher; the scheme must match the mode.
void load_smtp_delivery(Section& s, SmtpConfig& smtp, const fs::path& base) {
  if (auto v = s.duration("retry_initial", Duration{1}, Duration{86400})) smtp.retry_initial = *v;
  if (auto v = s.duration("retry_max", Duration{1}, Duration{7 * 86400})) smtp.retry_max = *v;
  if (auto v = s.duration("dead_after", Duration{60}, Duration{365 * 86400})) smtp.dead_after = *v;
  if (auto v = s.duration("poll_interval", Duration{1}, Duration{86400})) smtp.poll_interval = *v;
  if (auto v = s.integer("batch_size", 1, 100000)) smtp.batch_size = *v;
  if (auto p = s.path_value("templates_dir", base)) {
    std::error_code ec;
    if (!fs::is_directory(*p, ec)) {
      s.diagnostics().add(s.raw().get("templates_dir")->source(),
                          fmt::format("smtp.templates_dir: '{}' is not a directory", p->string()));
    }
    smtp.templates_dir = *p;
  }
  if (smtp.url.empty()) return;
  const auto* url_node = s.raw().get("url");
  const bool smtps = smtp.url.starts_with("smtps://");
  if (smtp.tls == "tls" && !smtps) s.diagnostics().add(url_node->source(), "smtp.tls = \"tls\" needs an smtps:// url");
  if (smtp.tls != "tls" && smtps) {
    s.diagnostics().add(url_node->source(), "an smtps:// url needs smtp.tls = \"tls\"");
  }
  if (smtp.tls == "none") {
    static const RE2 host_re(R"(^smtps?://(?:[^@/]*@)?(\[[^\]]*\]|[^:/]*))");
    std::string host;
    RE2::PartialMatch(smtp.url, host_re, &host);
    const bool loopback = host == "localhost" || host == "[::1]" || host.starts_with("127.");
    if (!loopback) {
      s.diagnostics().add(s.raw().get("tls")->source(),
                          fmt::format("smtp.tls = \"none\" is refused for '{}': only a loopback host (127.0.0.1, "
                                      "::1, localhost) may receive mail without TLS",
                                      host));
    }
  }
}

// Addresses: one @, no spaces or header-breaking characters.
bool plausible_address(const std::string& a) {
  static const RE2 re(R"(^[^@\s<>,;"]+@[^@\s<>,;"]+$)");
  return RE2::FullMatch(a, re);
}

void load_alerts(Section& s, AlertsConfig& a) {
  if (auto v = s.duration("repeat_interval", Duration{60}, Duration{365 * 86400})) a.repeat_interval = *v;
  if (auto r = s.table("recipients")) {
    for (auto&& [k, v] : r->raw()) {
      const std::string sev(k.str());
      auto list = r->string_list(sev);
      if (!kSeverities.contains(sev)) {
        s.diagnostics().add(k.source(), fmt::format("alerts.recipients.{}: not a severity (info, low, medium, "
                                                    "high, critical): recipients get findings at or above it",
                                                    sev));
        continue;
      }
      if (!list) continue;
      for (const auto& addr : *list) {
        if (!plausible_address(addr)) {
          s.diagnostics().add(v.source(), fmt::format("alerts.recipients.{}: '{}' is not an e-mail address", sev, addr));
        }
      }
      a.recipients[*severity_from(sev)] = *list;
    }
    r->finish();
  }
  s.finish();
}

void load_reminders(Section& s, RemindersConfig& r) {
  if (auto v = s.boolean("enabled")) r.enabled = *v;
  if (auto v = s.string_list("kinds")) r.kinds = *v;
  if (auto v = s.duration("warn_before", Duration{0}, Duration{365 * 86400})) r.warn_before = *v;
  if (auto v = s.duration("overdue_every", Duration{3600}, Duration{365 * 86400})) r.overdue_every = *v;
  if (auto v = s.duration("escalate_after", Duration{0}, Duration{365 * 86400})) r.escalate_after = *v;
  for (const char* stage : {"warning", "due", "overdue", "escalate"}) {
    if (auto v = s.boolean(stage)) {
      const std::string_view st(stage);
      (st == "warning" ? r.warning : st == "due" ? r.due : st == "overdue" ? r.overdue : r.escalate) = *v;
    }
  }
  if (auto v = s.integer("per_recipient_cap", 1, 100000)) r.per_recipient_cap = *v;
  if (auto v = s.integer("max_per_cycle", 1, 1000000)) r.max_per_cycle = *v;
  s.finish();
}

Config build(const toml::table& root, const fs::path& file, Diagnostics& d) {
  Config c;
  c.source_file = file;
  const fs::path base = file.has_parent_path() ? file.parent_path() : fs::path(".");
  for (const CheckDef* def : all_checks()) {
    c.checks[def->info.id] = CheckConfig{true, def->info.default_severity, default_params(def->info)};
  }

  Section top(root, "", d);
  if (auto s = top.table("state")) {
    if (auto p = s->path_value("path", base)) c.state_db = *p;
    s->finish();
  }
  if (auto s = top.table("audit")) {
    if (auto v = s->string("fail_on", kSeverities)) c.fail_on = *severity_from(*v);
    s->finish();
  }
  if (auto s = top.table("log")) {
    if (auto v = s->string("level", {"debug", "info", "notice", "warning", "error"}))
      c.log_level = *log::level_from(*v);
    s->finish();
  }
  if (auto s = top.table("schedule")) {
    if (auto v = s->duration("interval", Duration{60}, Duration{7 * 86400})) c.schedule.interval = *v;
    if (auto v = s->duration("jitter", Duration{0}, Duration{86400})) c.schedule.jitter = *v;
    s->finish();
    if (c.schedule.jitter >= c.schedule.interval) {
      d.add(s->where(), "schedule.jitter must be shorter than schedule.interval");
    }
  }
  if (auto s = top.table("inventory")) {
    if (auto p = s->path_value("path", base)) c.inventory.path = *p;
    if (auto v = s->duration("busy_timeout", Duration{0}, Duration{600})) c.inventory.busy_timeout = *v;
    s->finish();
  } else {
    d.add(root.source(), "missing [inventory] table with 'path' (the inventory database)");
  }
  if (c.inventory.path.empty() && top.raw().contains("inventory")) {
    d.add(top.raw().get("inventory")->source(), "inventory.path is required");
  }
  if (auto s = top.table("smtp")) {
    if (auto v = s->string("url")) {
      if (!v->starts_with("smtp://") && !v->starts_with("smtps://")) {
        d.add(s->raw().get("url")->source(), "smtp.url must start with smtp:// or smtps://");
      }
      c.smtp.url = *v;
    }
    if (auto v = s->string("from")) c.smtp.from = *v;
    if (auto v = s->string("tls", {"starttls", "tls", "none"})) c.smtp.tls = *v;
    if (auto v = s->string("username")) c.smtp.username = *v;
    if (auto p = s->secret_file_value("password_file", base)) {
      c.smtp.password_file = *p;
      read_secret_file_for_redaction(*s, "password_file", *p);
    }
    if (auto p = s->path_value("ca_file", base)) c.smtp.ca_file = *p;
    if (auto v = s->duration("connect_timeout", Duration{1}, Duration{300})) c.smtp.connect_timeout = *v;
    if (auto v = s->duration("timeout", Duration{1}, Duration{3600})) c.smtp.timeout = *v;
    load_smtp_delivery(*s, c.smtp, base);
    s->finish();
    if (!c.smtp.url.empty() && c.smtp.from.empty()) d.add(s->where(), "smtp.from is required when smtp.url is set");
  }
  if (auto s = top.table("alerts")) load_alerts(*s, c.alerts);
  if (auto s = top.table("reminders")) load_reminders(*s, c.reminders);
  if (auto s = top.table("files")) {
    FilesConfig fc;
    if (auto v = s->string_list("paths")) {
      if (v->empty()) d.add(s->raw().get("paths")->source(), "files.paths must list at least one file or directory");
      for (const auto& p : *v) {
        if (p.empty()) {
          d.add(s->raw().get("paths")->source(), "files.paths: an entry is empty");
          continue;
        }
        const fs::path pp(p);
        fc.paths.push_back(pp.is_absolute() ? pp : base / pp);
      }
    } else if (!s->raw().contains("paths")) {
      d.add(s->where(), "files.paths is required (the files and directories to scan)");
    }
    for (const char* key : {"exclude", "log_globs"}) {
      auto v = s->string_list(key);
      if (!v) continue;
      if (std::any_of(v->begin(), v->end(), [](const std::string& g) { return g.empty(); })) {
        d.add(s->raw().get(key)->source(), fmt::format("files.{}: a pattern is empty", key));
      }
      (std::string_view(key) == "exclude" ? fc.exclude : fc.log_globs) = *v;
    }
    if (auto v = s->integer("max_bytes_per_cycle", 4096, std::int64_t{1} << 40)) fc.max_bytes_per_cycle = *v;
    s->finish();
    c.files = std::move(fc);
  }
  if (auto s = top.table("http")) load_http(*s, c.http);
  if (auto s = top.table("checks")) {
    for (auto&& [k, v] : s->raw()) {
      const std::string id(k.str());
      s->node(id);
      const CheckDef* def = find_check(id);
      if (def == nullptr) {
        d.add(k.source(), fmt::format("unknown check 'checks.{}' (see 'complyd checks list')", id));
        continue;
      }
      if (auto sub = s->table(id)) load_check(*sub, *def, c.checks[id]);
    }
    s->finish();
  }
  top.finish();
  return c;
}

}  // namespace

ConfigResult parse_config(std::string_view text, const fs::path& file) {
  ConfigResult r;
  Diagnostics d(file.string());
  try {
    toml::table root = toml::parse(text, file.string());
    Config c = build(root, file, d);
    r.problems = d.take();
    if (r.problems.empty()) r.config = std::move(c);
  } catch (const toml::parse_error& e) {
    r.problems.push_back({file.string(), e.source().begin.line, e.source().begin.column,
                          redact(std::string(e.description()))});
  }
  return r;
}

ConfigResult load_config(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    ConfigResult r;
    r.problems.push_back({file.string(), 1, 1, "cannot open the configuration file"});
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), file);
}

}  // namespace complyd
