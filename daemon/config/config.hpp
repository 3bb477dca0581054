// SPDX-License-Identifier: Apache-2.0
// The typed configuration. Loaded from TOML, validated in full (every problem
// reported as file:line:column), then read-only for the rest of the process.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "checks/check.hpp"
#include "daemon/config/source_config.hpp"
#include "daemon/log/level.hpp"
#include "daemon/util/parallel.hpp"
#include "model/mutelist.hpp"

namespace complyd {

inline constexpr const char* kDefaultConfigPath = "/etc/complyd/complyd.toml";

struct ScheduleConfig {
  Duration interval{3600};
  Duration jitter{0};
};

struct InventoryConfig {
  std::filesystem::path path;  // embedded default source
  Duration busy_timeout{5};
};

struct SmtpConfig {
  std::string url;  // smtp:// or smtps://; empty: e-mail disabled
  std::string from;
  std::string tls = "starttls";  // starttls | tls | none
  std::string username;
  std::filesystem::path password_file;
  std::filesystem::path ca_file;
  Duration connect_timeout{10};
  Duration timeout{60};
  // Delivery (daemon/notify/): retries back off from retry_initial to
  // retry_max; a message still undelivered dead_after its creation is dead.
  Duration retry_initial{60};
  Duration retry_max{3600};
  Duration dead_after = days(3);
  Duration poll_interval{30};   // the daemon's delivery timer
  std::int64_t batch_size = 200;  // messages per connection and delivery run
  Duration sent_retention = days(30);   // a sent message's body is emptied after this
  std::filesystem::path templates_dir;  // overrides of the compiled-in templates
};

// [alerts]: digests to the integration's own admins.
struct AlertsConfig {
  std::map<Severity, std::vector<std::string>> recipients;  // minimum severity -> addresses
  Duration repeat_interval = days(1);
};

// [reminders]: rotation reminders to customer admins.
struct RemindersConfig {
  bool enabled = true;
  std::vector<std::string> kinds{"api_token"};  // credential kinds the customer rotates
  Duration warn_before = days(10);
  Duration overdue_every = days(7);
  Duration escalate_after = days(14);
  bool warning = true, due = true, overdue = true, escalate = true;
  std::int64_t per_recipient_cap = 5;  // reminders per address per cycle
  std::int64_t max_per_cycle = 500;    // reminders per cycle in all (the rest follow next cycle)
  std::string contact;                 // who the customer can ask (shown in reminders); "" = none
  bool show_storage_path = false;      // the partner's internal storage path in customer reminders
};

// [files]: where leak-scan looks. Absent: no file is scanned.
struct FilesConfig {
  std::vector<std::filesystem::path> paths;  // files or directories (absolute, resolved against the config file)
  std::vector<std::string> exclude;          // globs: on the name, or on the path when the glob has a '/'
  std::vector<std::string> log_globs;        // extra globs classed as logs (besides *.log and log/ logs/ dirs)
  std::int64_t max_bytes_per_cycle = std::int64_t{64} << 20;
  // Decompressed bytes read from one .gz at most (a gzip bomb); the rest is
  // reported as not scanned.
  std::int64_t max_decompressed_bytes = std::int64_t{1} << 30;
};

// A bearer token allowed on /v1/: its name (logged with each request it
// authenticates, and recorded for whatever it changes) and its SHA-256.
struct HttpToken {
  std::string name;
  std::string sha256;  // lowercase hex
};

// A web console user ([[http.users]]): a token or a password hash, each
// read from a file at load (never inline), and a role.
struct HttpUser {
  std::string name;
  std::string role;  // viewer | operator
  std::filesystem::path token_file, password_hash_file;
  std::string token_sha256;   // SHA-256 (hex) of the token file's first line
  std::string password_hash;  // "pbkdf2-sha256$..." from password_hash_file (complyd console hash-password)
  bool can_act() const { return role == "operator"; }
};

// File descriptors complyd keeps besides http.max_connections: databases,
// WALs, sources' sockets, SMTP, logs, and the few connections over the limit
// that still answer /healthz. The config check refuses a limit below the sum.
inline constexpr std::int64_t kHttpReservedFds = 64;

// [http]: the endpoint (daemon/http/). Loopback by default; /v1/ needs a
// bearer token whose SHA-256 (hex) is listed; the config never holds a token.
struct HttpConfig {
  std::string listen = "127.0.0.1:9464";  // "" disables the endpoint
  std::string host = "127.0.0.1";
  std::uint16_t port = 9464;
  // [[http.tokens]], then the unnamed `token_sha256 = [...]` entries, named
  // "token_sha256[N]" (1-based), as they were before tokens had names.
  std::vector<HttpToken> tokens;
  std::int64_t max_connections = 64;
  // /v1/report is pre-rendered after each cycle only up to this many
  // customers: its four bodies are kept in memory (~415 MB at 100k).
  std::int64_t report_max_customers = 20000;
  std::int64_t max_header_bytes = 8192;
  std::int64_t max_body_bytes = 1024;  // GET only: anything larger is refused
  Duration read_timeout{10};           // the whole request, headers and body
  // The web console at / (daemon/http/console.hpp): off unless enabled.
  bool console = false;
  std::vector<HttpUser> users;
  Duration session_timeout{8 * 3600};  // server-side; a session idle this long ends
  std::int64_t login_attempts_per_minute = 5;  // failed logins per client address and per user name
};

// How an HTTP notification channel delivers (daemon/notify/http_post.cpp):
// the same outbox rules as e-mail, per channel.
struct HttpDeliveryConfig {
  std::filesystem::path ca_file;  // extra CA bundle (PEM) for a private PKI
  Duration connect_timeout{10};
  Duration timeout{30};
  Duration retry_initial{60};  // 5xx, 429 and transport errors back off from here (or Retry-After)
  Duration retry_max{3600};
  Duration dead_after = days(3);
};

// [[notify.alertmanager]]: the open findings as Alertmanager alerts, sent
// every cycle (POST /api/v2/alerts) with endsAt ends_after ahead.
struct AlertmanagerConfig {
  std::string name;  // the outbox's recipient; unique among the channels
  std::string url;   // the base URL, e.g. https://alertmanager.example.com:9093
  std::filesystem::path bearer_token_file;
  Severity min_severity = Severity::low;
  std::string console_url;  // link base: console_url + finding id; "" = no link
  Duration ends_after{0};   // 0: 4 × schedule.interval
  std::int64_t max_alerts = 500;  // per request
  HttpDeliveryConfig delivery;
};

// [[notify.webhook]]: a signed POST per batch of transitions.
struct WebhookConfig {
  std::string name;
  std::string url;                    // or url_file (a Slack URL is itself a secret)
  std::filesystem::path url_file;
  std::filesystem::path secret_file;  // HMAC-SHA256 key; required for format json
  std::string format = "json";        // json | slack
  Severity min_severity = Severity::low;
  std::string console_url;
  std::int64_t max_findings = 50;  // per request
  HttpDeliveryConfig delivery;
};

struct NotifyConfig {
  std::vector<AlertmanagerConfig> alertmanager;
  std::vector<WebhookConfig> webhook;
  bool any() const { return !alertmanager.empty() || !webhook.empty(); }
};

// [report]: what `complyd report` and /v1/report add from the configuration.
struct ReportConfig {
  std::string default_owner;  // owner of findings with none of their own; empty: none
};

struct Config {
  std::filesystem::path source_file;  // the TOML file this came from
  std::filesystem::path state_db = "/var/lib/complyd/state.db";
  Severity fail_on = Severity::low;
  unsigned workers = default_workers();  // threads that evaluate a cycle's checks ([audit] workers)
  log::Level log_level = log::Level::info;
  ScheduleConfig schedule;
  InventoryConfig inventory;
  SmtpConfig smtp;
  AlertsConfig alerts;
  RemindersConfig reminders;
  NotifyConfig notify;  // [[notify.alertmanager]], [[notify.webhook]]
  std::optional<FilesConfig> files;
  HttpConfig http;
  ReportConfig report;
  std::vector<SourceConfig> sources;  // [[sources]], in file order
  std::filesystem::path mutelist_path;  // [mutelist] path; empty: no mutelist
  Mutelist mutelist;                    // its rules, in file order
  std::map<std::string, CheckConfig> checks;  // every registered check, defaults filled in
};

struct ConfigDiagnostic {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;
  std::string to_string() const;  // file:line:column: message
};

struct ConfigResult {
  std::optional<Config> config;
  std::vector<ConfigDiagnostic> problems;
  bool ok() const { return config.has_value() && problems.empty(); }
};

// The rules of a mutelist file (docs/mutelist.md); every problem goes to
// `problems` as file:line:column. A missing id, check, reason, owner or
// expiry is an error.
Mutelist parse_mutelist(std::string_view toml_text, const std::filesystem::path& file,
                        std::vector<ConfigDiagnostic>& problems);

// `types`: the [[sources]] types the configuration may name. They live in
// daemon/sources/, above this layer; its registry.hpp has the forms that
// pass every type.
ConfigResult load_config(const std::filesystem::path& file, SourceSchemas types);
ConfigResult parse_config(std::string_view toml_text, const std::filesystem::path& file_for_messages,
                          SourceSchemas types);

}  // namespace complyd
