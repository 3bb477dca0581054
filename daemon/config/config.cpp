// SPDX-License-Identifier: Apache-2.0
#include "daemon/config/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <re2/re2.h>

#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "checks/params.hpp"
#include "checks/registry.hpp"
#include "daemon/config/section.hpp"
#include "daemon/config/toml_bounds.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/util/bounded_file.hpp"
#include "daemon/util/crypto.hpp"
#include "model/time.hpp"

namespace complyd {

std::string ConfigDiagnostic::to_string() const {
  return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

namespace {

namespace fs = std::filesystem;
using cfg::Diagnostics;
using cfg::kSeverities;
using cfg::read_secret_file_for_redaction;
using cfg::Section;


// [http]: listen = "host:port" (IPv6 as "[::1]:port"; "" disables).
// First line of a *_file, without its line break (what `echo TOKEN >file` writes).
std::optional<std::string> first_line_of(Section& s, std::string_view key, const fs::path& p) {
  std::string error;
  auto text = read_bounded_file(p, kMaxSecretFileBytes, error);
  if (!text) {
    s.diagnostics().add(s.raw().get(key)->source(), fmt::format("{}: {}", s.path(key), error));
    return std::nullopt;
  }
  std::string line = text->substr(0, text->find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// [[http.users]]: the console's users.
void load_http_users(Section& s, HttpConfig& h, const fs::path& base) {
  static const RE2 name_re("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  for (auto& t : s.tables("users")) {
    HttpUser u;
    if (auto v = t.string("name")) {
      if (!RE2::FullMatch(*v, name_re)) {
        t.diagnostics().add(t.raw().get("name")->source(),
                            t.path("name") + ": letters, digits, '.', '_' and '-' (at most 64), e.g. \"alice\"");
      } else if (std::any_of(h.users.begin(), h.users.end(), [&](const HttpUser& o) { return o.name == *v; })) {
        t.diagnostics().add(t.raw().get("name")->source(), t.path("name") + ": another user has the name '" + *v + "'");
      }
      u.name = *v;
    } else if (!t.raw().contains("name")) {
      t.diagnostics().add(t.where(), t.name() + ": 'name' is required (the history records it with every action)");
    }
    if (auto v = t.string("role", {"viewer", "operator"})) u.role = *v;
    else if (!t.raw().contains("role")) t.diagnostics().add(t.where(), t.name() + ": 'role' is required (viewer or operator)");
    if (auto p = t.secret_file_value("token_file", base)) {
      u.token_file = *p;
      if (auto tok = first_line_of(t, "token_file", *p)) {
        if (tok->size() < 16) {
          t.diagnostics().add(t.raw().get("token_file")->source(),
                              t.path("token_file") + ": the token must be at least 16 characters (e.g. openssl rand -hex 32)");
        } else {
          register_secret(*tok);
          u.token_sha256 = sha256_hex(*tok);
        }
      }
    }
    if (auto p = t.secret_file_value("password_hash_file", base)) {
      u.password_hash_file = *p;
      if (auto ph = first_line_of(t, "password_hash_file", *p)) {
        if (!valid_password_hash(*ph)) {
          t.diagnostics().add(t.raw().get("password_hash_file")->source(),
                              t.path("password_hash_file") +
                                  ": not a password hash; write one with 'complyd console hash-password'");
        } else {
          u.password_hash = *ph;
        }
      }
    }
    const bool token = t.raw().contains("token_file"), password = t.raw().contains("password_hash_file");
    if (token == password) {
      t.diagnostics().add(t.where(), t.name() + ": exactly one of 'token_file' or 'password_hash_file' is required");
    }
    // An inline token or password is refused by finish() (looks_like_inline_secret).
    t.finish();
    h.users.push_back(std::move(u));
  }
}

void load_http(Section& s, HttpConfig& h, const fs::path& base) {
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
  static const RE2 hex("[0-9a-fA-F]{64}");
  auto lower = [](std::string t) {
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
    return t;
  };
  // Never echo a hash that is not one: someone may have pasted a token.
  const auto not_a_hash = [](const std::string& key) {
    return key + ": must be the SHA-256 of a token as 64 hex digits (e.g. printf %s \"$TOKEN\" | sha256sum), "
                 "never the token itself";
  };
  auto add = [&](const toml::source_region& where, const std::string& what, HttpToken t) {
    for (const auto& other : h.tokens) {
      if (other.name == t.name) return s.diagnostics().add(where, what + ": another token has the name '" + t.name + "'");
      if (other.sha256 == t.sha256) return s.diagnostics().add(where, what + ": the same token hash is listed twice");
    }
    h.tokens.push_back(std::move(t));
  };
  for (auto& t : s.tables("tokens")) {
    static const RE2 name_re("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    HttpToken tok;
    if (auto v = t.string("name")) {
      if (!RE2::FullMatch(*v, name_re)) {
        t.diagnostics().add(t.raw().get("name")->source(),
                            t.path("name") + ": letters, digits, '.', '_' and '-' (at most 64), e.g. \"ops-dashboard\"");
      }
      tok.name = *v;
    } else if (!t.raw().contains("name")) {
      t.diagnostics().add(t.where(), t.name() + ": 'name' is required (it is logged with every request the token makes)");
    }
    if (auto v = t.string("sha256")) {
      if (!RE2::FullMatch(*v, hex)) {
        t.diagnostics().add(t.raw().get("sha256")->source(), not_a_hash(t.path("sha256")));
      } else {
        tok.sha256 = lower(*v);
      }
    } else if (!t.raw().contains("sha256")) {
      t.diagnostics().add(t.where(), t.name() + ": 'sha256' is required");
    }
    if (!tok.name.empty() && !tok.sha256.empty()) add(t.where(), t.name(), std::move(tok));
    t.finish();
  }
  if (auto v = s.string_list("token_sha256")) {
    std::size_t i = 0;
    for (const auto& t : *v) {
      ++i;
      const auto& where = s.raw().get("token_sha256")->source();
      if (!RE2::FullMatch(t, hex)) {
        s.diagnostics().add(where, not_a_hash("http.token_sha256: every entry"));
        continue;
      }
      add(where, "http.token_sha256", {fmt::format("token_sha256[{}]", i), lower(t)});
    }
  }
  if (auto v = s.integer("max_connections", 1, 10000)) h.max_connections = *v;
  if (!h.listen.empty()) {
    // Each connection is a file descriptor: a limit that cannot hold them
    // ends in accept() failing (EMFILE) while clients queue.
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        static_cast<std::uint64_t>(h.max_connections + kHttpReservedFds) > rl.rlim_cur) {
      const auto* at = s.raw().get("max_connections");
      s.diagnostics().add(at ? at->source() : s.where(),
                          fmt::format("http.max_connections = {} needs {} file descriptors with the {} complyd keeps "
                                      "for its databases and sources, but this process may open {}: lower it, or "
                                      "raise LimitNOFILE= (the unit) or `ulimit -n`",
                                      h.max_connections, h.max_connections + kHttpReservedFds, kHttpReservedFds,
                                      static_cast<std::uint64_t>(rl.rlim_cur)));
    }
  }
  if (auto v = s.integer("report_max_customers", 0, 10'000'000)) h.report_max_customers = *v;
  if (auto v = s.integer("max_header_bytes", 1024, 65536)) h.max_header_bytes = *v;
  if (auto v = s.integer("max_body_bytes", 0, 1 << 20)) h.max_body_bytes = *v;
  if (auto v = s.duration("read_timeout", Duration{1}, Duration{300})) h.read_timeout = *v;
  if (auto v = s.boolean("console")) h.console = *v;
  if (auto v = s.duration("session_timeout", Duration{60}, days(7))) h.session_timeout = *v;
  if (auto v = s.integer("login_attempts_per_minute", 1, 1000)) h.login_attempts_per_minute = *v;
  load_http_users(s, h, base);
  if (h.console && h.users.empty() && !s.raw().contains("users")) {
    s.diagnostics().add(s.raw().get("console")->source(),
                        "http.console: no [[http.users]]: nobody could log in (docs/console.md)");
  }
  s.finish();
}

// The only place a parameter is looked up by name: each of the check's
// fields (CheckInfo::params) read from TOML and set in its struct.
void load_check(Section& sec, const CheckDef& def, CheckConfig& cc) {
  if (auto v = sec.boolean("enabled")) cc.enabled = *v;
  if (auto v = sec.string("severity", kSeverities)) cc.severity = *severity_from(*v);
  const auto& specs = def.info.params;
  // A map's keys are the kinds (data classes) its defaults name, and those
  // listed in new_kinds: a typo is an error, a new kind is said so.
  std::vector<std::string> new_kinds;
  if (std::any_of(specs.begin(), specs.end(), [](const ParamSpec& p) { return p.type == ParamType::duration_map; })) {
    if (auto v = sec.string_list("new_kinds")) new_kinds = *v;
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const ParamSpec& spec = specs[i];
    const toml::node* n = sec.node(spec.name);
    if (n == nullptr) continue;
    const double lo = spec.min.value_or(-1e18);
    const double hi = spec.max.value_or(1e18);
    std::optional<ParamValue> value;
    switch (spec.type) {
      case ParamType::boolean:
        if (auto v = sec.boolean(spec.name)) value = *v;
        break;
      case ParamType::integer:
        if (auto v = sec.integer(spec.name, static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi)))
          value = *v;
        break;
      case ParamType::number:
        if (auto v = sec.number(spec.name, lo, hi)) value = *v;
        break;
      case ParamType::duration:
        if (auto v = sec.duration(spec.name, Duration{static_cast<std::int64_t>(spec.min.value_or(0))},
                                  Duration{static_cast<std::int64_t>(spec.max.value_or(100.0 * 365 * kSecondsPerDay))}))
          value = *v;
        break;
      case ParamType::string:
        if (auto v = sec.string(spec.name)) value = *v;
        break;
      case ParamType::string_list:
        if (auto v = sec.string_list(spec.name)) value = *v;
        break;
      case ParamType::duration_map: {
        auto sub = sec.table(spec.name);
        if (!sub) break;
        // Entries override or extend the defaults (new credential kinds).
        DurationMap merged = std::get<DurationMap>(spec.default_value);
        std::set<std::string> known(new_kinds.begin(), new_kinds.end());
        for (const auto& [kind, d] : merged) known.insert(kind);
        // A map keyed by credential kinds (it names one) accepts every kind
        // complyd knows: those credential-age limits by default.
        const DurationMap& kinds = CredentialAgeParams{}.max_age;
        if (std::any_of(merged.begin(), merged.end(), [&](const auto& e) { return kinds.contains(e.first); })) {
          for (const auto& [kind, d] : kinds) known.insert(kind);
        }
        for (auto&& [k, v] : sub->raw()) {
          if (!known.contains(std::string(k.str()))) {
            sec.diagnostics().add(k.source(), fmt::format("unknown key '{}' (known: {}; a new kind is added by "
                                                          "listing it in {})",
                                                          sub->path(k.str()), fmt::join(known, ", "),
                                                          sec.path("new_kinds")));
            continue;
          }
          auto d = sub->duration_of(v, sub->path(k.str()), Duration{static_cast<std::int64_t>(lo < 0 ? 0 : lo)},
                                    Duration{static_cast<std::int64_t>(spec.max.value_or(100.0 * 365 * kSecondsPerDay))});
          if (d) merged[std::string(k.str())] = *d;
        }
        value = std::move(merged);
        break;
      }
    }
    if (value) cc.params = def.info.binding.with(cc.params, i, *value);
  }
  sec.finish();
}

// tls = "none" only to a loopback mail catcher; the scheme must match the mode.
void load_smtp_delivery(Section& s, SmtpConfig& smtp, const fs::path& base) {
  if (auto v = s.duration("retry_initial", Duration{1}, days(1))) smtp.retry_initial = *v;
  if (auto v = s.duration("retry_max", Duration{1}, days(7))) smtp.retry_max = *v;
  if (auto v = s.duration("dead_after", Duration{60}, days(365))) smtp.dead_after = *v;
  if (auto v = s.duration("poll_interval", Duration{1}, days(1))) smtp.poll_interval = *v;
  if (auto v = s.integer("batch_size", 1, 100000)) smtp.batch_size = *v;
  if (auto v = s.duration("sent_retention", Duration{3600}, days(3650))) smtp.sent_retention = *v;
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
  if (auto v = s.duration("repeat_interval", Duration{60}, days(365))) a.repeat_interval = *v;
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
  if (auto v = s.duration("warn_before", Duration{0}, days(365))) r.warn_before = *v;
  if (auto v = s.duration("overdue_every", Duration{3600}, days(365))) r.overdue_every = *v;
  if (auto v = s.duration("escalate_after", Duration{0}, days(365))) r.escalate_after = *v;
  for (const char* stage : {"warning", "due", "overdue", "escalate"}) {
    if (auto v = s.boolean(stage)) {
      const std::string_view st(stage);
      (st == "warning" ? r.warning : st == "due" ? r.due : st == "overdue" ? r.overdue : r.escalate) = *v;
    }
  }
  if (auto v = s.integer("per_recipient_cap", 1, 100000)) r.per_recipient_cap = *v;
  if (auto v = s.integer("max_per_cycle", 1, 1000000)) r.max_per_cycle = *v;
  if (auto v = s.string("contact")) r.contact = *v;
  if (auto v = s.boolean("show_storage_path")) r.show_storage_path = *v;
  s.finish();
}

// https://, or http:// only to a loopback host (a local Alertmanager, the
// tests' receiver), as for SMTP without TLS. Empty when acceptable.
std::string check_channel_url(const std::string& url) {
  static const RE2 re(R"(^(https?)://(?:[^@/]*@)?(\[[^\]]*\]|[^:/?#]+)(?::[0-9]{1,5})?(?:[/?#].*)?$)");
  std::string scheme, host;
  if (!RE2::FullMatch(url, re, &scheme, &host)) return "is not an http(s) URL with a host";
  if (url.find('@') != std::string::npos && url.find('@') < url.find('/', scheme.size() + 3)) {
    return "must not carry credentials (use bearer_token_file or secret_file)";
  }
  const bool loopback = host == "localhost" || host == "[::1]" || host.starts_with("127.");
  if (scheme == "http" && !loopback) return "must be https:// (plain http is accepted only for a loopback host)";
  return "";
}

// The keys every HTTP channel shares; `base` resolves ca_file.
void load_http_delivery(Section& s, HttpDeliveryConfig& d, const fs::path& base) {
  if (auto p = s.path_value("ca_file", base)) d.ca_file = *p;
  if (auto v = s.duration("connect_timeout", Duration{1}, Duration{300})) d.connect_timeout = *v;
  if (auto v = s.duration("timeout", Duration{1}, Duration{3600})) d.timeout = *v;
  if (auto v = s.duration("retry_initial", Duration{1}, days(1))) d.retry_initial = *v;
  if (auto v = s.duration("retry_max", Duration{1}, days(7))) d.retry_max = *v;
  if (auto v = s.duration("dead_after", Duration{60}, days(365))) d.dead_after = *v;
}

// name: unique among the channels, defaulting to the table's kind
// (alertmanager, webhook) and its 1-based index after the first.
std::string load_channel_name(Section& s, const std::string& kind, std::size_t index, std::set<std::string>& names) {
  std::string name = index == 1 ? kind : fmt::format("{}-{}", kind, index);
  if (auto v = s.string("name")) {
    static const RE2 re("[a-z0-9][a-z0-9_.-]{0,62}");
    if (!RE2::FullMatch(*v, re)) {
      s.diagnostics().add(s.raw().get("name")->source(),
                          fmt::format("{}: '{}' is not a channel name (lowercase letters, digits, '_', '.', '-')",
                                      s.path("name"), *v));
    }
    name = *v;
  }
  if (!names.insert(name).second) {
    s.diagnostics().add(s.raw().contains("name") ? s.raw().get("name")->source() : s.where(),
                        fmt::format("{}: another notify channel is named '{}'; set a unique 'name'", s.name(), name));
  }
  return name;
}

void load_channel_url(Section& s, std::string& url) {
  if (auto v = s.string("url")) {
    if (auto why = check_channel_url(*v); !why.empty()) {
      // The URL is not echoed: a webhook URL may embed its token.
      s.diagnostics().add(s.raw().get("url")->source(), fmt::format("{}: {}", s.path("url"), why));
    }
    url = *v;
  }
}

void load_notify(Section& s, NotifyConfig& n, const fs::path& base) {
  std::set<std::string> names;
  std::size_t i = 0;
  for (auto& t : s.tables("alertmanager")) {
    AlertmanagerConfig a;
    a.name = load_channel_name(t, "alertmanager", ++i, names);
    load_channel_url(t, a.url);
    if (a.url.empty() && !t.raw().contains("url")) t.diagnostics().add(t.where(), t.name() + ": 'url' is required");
    if (auto p = t.secret_file_value("bearer_token_file", base)) {
      a.bearer_token_file = *p;
      read_secret_file_for_redaction(t, "bearer_token_file", *p);
    }
    if (auto v = t.string("min_severity", kSeverities)) a.min_severity = *severity_from(*v);
    if (auto v = t.string("console_url")) a.console_url = *v;
    if (auto v = t.duration("ends_after", Duration{60}, days(30))) a.ends_after = *v;
    if (auto v = t.integer("max_alerts", 1, 10000)) a.max_alerts = *v;
    load_http_delivery(t, a.delivery, base);
    t.finish();
    n.alertmanager.push_back(std::move(a));
  }
  i = 0;
  for (auto& t : s.tables("webhook")) {
    WebhookConfig w;
    w.name = load_channel_name(t, "webhook", ++i, names);
    load_channel_url(t, w.url);
    if (auto p = t.secret_file_value("url_file", base)) {
      w.url_file = *p;
      read_secret_file_for_redaction(t, "url_file", *p);
    }
    if (t.raw().contains("url") == t.raw().contains("url_file")) {
      t.diagnostics().add(t.where(), t.name() + ": set exactly one of 'url' and 'url_file'");
    }
    if (auto p = t.secret_file_value("secret_file", base)) {
      w.secret_file = *p;
      read_secret_file_for_redaction(t, "secret_file", *p);
    }
    if (auto v = t.string("format", {"json", "slack"})) w.format = *v;
    if (auto v = t.string("min_severity", kSeverities)) w.min_severity = *severity_from(*v);
    if (auto v = t.string("console_url")) w.console_url = *v;
    // Slack takes at most 50 blocks: a header, a context and one per finding.
    const std::int64_t most = w.format == "slack" ? 45 : 1000;
    if (auto v = t.integer("max_findings", 1, most)) w.max_findings = *v;
    if (w.format == "slack") w.max_findings = std::min(w.max_findings, most);
    load_http_delivery(t, w.delivery, base);
    if (w.format == "json" && w.secret_file.empty() && !t.raw().contains("secret_file")) {
      t.diagnostics().add(t.where(), t.name() + ": 'secret_file' is required for format \"json\" (requests are signed "
                                                 "with HMAC-SHA256 so receivers can reject forgeries)");
    }
    t.finish();
    n.webhook.push_back(std::move(w));
  }
  s.finish();
}

// [[sources]]: the common keys here, the type's own keys by its parser.
void load_source(Section& s, const fs::path& base, const std::string& file, SourceSchemas types,
                 std::vector<SourceConfig>& out) {
  Diagnostics& d = s.diagnostics();
  SourceConfig sc;
  sc.origin = fmt::format("{}:{}", file, s.where().begin.line);
  bool ok = true;
  if (auto v = s.string("name")) {
    static const RE2 re("[a-z0-9][a-z0-9_.-]{0,62}");
    if (!RE2::FullMatch(*v, re)) {
      d.add(s.raw().get("name")->source(),
            fmt::format("{}: '{}' is not a source name (lowercase letters, digits, '_', '.', '-')", s.path("name"), *v));
      ok = false;
    } else if (*v == "inventory" || *v == "files" || *v == "outbox") {
      d.add(s.raw().get("name")->source(), fmt::format("{}: '{}' is reserved for a built-in source", s.path("name"), *v));
      ok = false;
    } else if (auto dup = std::find_if(out.begin(), out.end(), [&](const SourceConfig& o) { return o.name == *v; });
               dup != out.end()) {
      d.add(s.raw().get("name")->source(),
            fmt::format("{}: '{}' is already the name of the source at {}", s.path("name"), *v, dup->origin));
      ok = false;
    }
    sc.name = *v;
  } else {
    if (!s.raw().contains("name")) d.add(s.where(), fmt::format("{}: 'name' is required", s.name()));
    ok = false;
  }
  const SourceSchema* def = nullptr;
  if (auto v = s.string("type")) {
    const auto it = std::find_if(types.begin(), types.end(), [&](const SourceSchema* t) { return t->type == *v; });
    if (it != types.end()) def = *it;
    if (def == nullptr) {
      std::string list;
      for (const SourceSchema* t : types) list += (list.empty() ? "" : ", ") + std::string(t->type);
      d.add(s.raw().get("type")->source(), fmt::format("{}: unknown source type '{}' (known: {})", s.path("type"), *v, list));
    }
    sc.type = *v;
  } else if (!s.raw().contains("type")) {
    d.add(s.where(), fmt::format("{}: 'type' is required", s.name()));
  }
  SourceCommon& c = sc.common;
  if (auto v = s.boolean("enabled")) c.enabled = *v;
  if (auto v = s.duration("connect_timeout", Duration{1}, Duration{300})) c.connect_timeout = *v;
  if (auto v = s.duration("timeout", Duration{1}, Duration{3600})) c.timeout = *v;
  if (auto v = s.duration("deadline", Duration{1}, Duration{6 * 3600})) c.deadline = *v;
  if (auto v = s.integer("max_attempts", 1, 10)) c.max_attempts = static_cast<int>(*v);
  if (auto v = s.duration("retry_initial", Duration{0}, Duration{600})) c.retry_initial = *v;
  if (auto v = s.duration("retry_max", Duration{0}, Duration{3600})) c.retry_max = *v;
  if (auto p = s.path_value("ca_file", base)) c.ca_file = *p;
  if (c.timeout > c.deadline) d.add(s.where(), fmt::format("{}: timeout must not exceed deadline", s.name()));
  if (def != nullptr) sc.settings = def->parse(s, base);
  s.finish();
  if (ok && def != nullptr && sc.settings) out.push_back(std::move(sc));
}

Config build(const toml::table& root, const fs::path& file, SourceSchemas types, Diagnostics& d) {
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
    if (auto v = s->integer("workers", 1, 256)) c.workers = static_cast<unsigned>(*v);
    s->finish();
  }
  if (auto s = top.table("log")) {
    if (auto v = s->string("level", {"debug", "info", "notice", "warning", "error"}))
      c.log_level = *log::level_from(*v);
    s->finish();
  }
  if (auto s = top.table("schedule")) {
    if (auto v = s->duration("interval", Duration{60}, days(7))) c.schedule.interval = *v;
    if (auto v = s->duration("jitter", Duration{0}, days(1))) c.schedule.jitter = *v;
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
  if (auto s = top.table("notify")) load_notify(*s, c.notify, base);
  for (auto& a : c.notify.alertmanager) {
    if (a.ends_after == Duration{0}) a.ends_after = 4 * c.schedule.interval;
  }
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
    if (auto v = s->integer("max_decompressed_bytes", 4096, std::int64_t{1} << 40)) fc.max_decompressed_bytes = *v;
    s->finish();
    c.files = std::move(fc);
  }
  if (auto s = top.table("mutelist")) {
    if (auto p = s->path_value("path", base)) {
      c.mutelist_path = *p;
      std::string error;
      if (auto text = read_bounded_file(*p, kMaxConfigBytes, error); !text) {
        d.add(s->raw().get("path")->source(), fmt::format("mutelist.path: {}", error));
      } else {
        std::vector<ConfigDiagnostic> problems;
        c.mutelist = parse_mutelist(*text, *p, problems);
        for (auto& problem : problems) d.add(std::move(problem));
      }
    } else if (!s->raw().contains("path")) {
      d.add(s->where(), "mutelist.path is required (the rules file)");
    }
    s->finish();
  }
  if (auto s = top.table("http")) load_http(*s, c.http, base);
  if (auto s = top.table("report")) {
    if (auto v = s->string("default_owner")) {
      if (v->size() > 254 || std::any_of(v->begin(), v->end(), [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; })) {
        d.add(s->raw().get("default_owner")->source(),
              "report.default_owner must be one line of at most 254 characters (an e-mail address or a team's name)");
      } else {
        c.report.default_owner = *v;
      }
    }
    s->finish();
  }
  for (auto& s : top.tables("sources")) load_source(s, base, file.string(), types, c.sources);
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

ConfigResult parse_config(std::string_view text, const fs::path& file, SourceSchemas types) {
  ConfigResult r;
  Diagnostics d(file.string());
  if (auto p = toml_text_problem(text)) {
    r.problems.push_back({file.string(), p->line, p->column, std::move(p->message)});
    return r;
  }
  try {
    toml::table root = toml::parse(text, file.string());
    Config c = build(root, file, types, d);
    r.problems = d.take();
    if (r.problems.empty()) r.config = std::move(c);
  } catch (const toml::parse_error& e) {
    r.problems.push_back({file.string(), e.source().begin.line, e.source().begin.column,
                          redact(std::string(e.description()))});
  }
  return r;
}

ConfigResult load_config(const fs::path& file, SourceSchemas types) {
  std::string error;
  auto text = read_bounded_file(file, kMaxConfigBytes, error);
  if (!text) {
    ConfigResult r;
    r.problems.push_back({file.string(), 1, 1, error});
    return r;
  }
  return parse_config(*text, file, types);
}

}  // namespace complyd
