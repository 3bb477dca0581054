// complyd: the command line. Wires subcommands to the pipeline; holds no
// policy of its own.
#include "daemon/prelude.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "checks/registry.hpp"
#include "daemon/app/daemon.hpp"
#include "daemon/app/version.hpp"
#include "daemon/config/config.hpp"
#include "daemon/demo/demo.hpp"
#include "daemon/engine/cycle.hpp"
#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/report/findings_doc.hpp"
#include "daemon/store/state_store.hpp"
#include "daemon/util/time.hpp"

namespace complyd {
namespace {

namespace fs = std::filesystem;

enum Exit { kOk = 0, kRuntime = 1, kUsage = 2, kFindings = 3 };

std::string default_config_path() {
  const char* env = std::getenv("COMPLYD_CONFIG");
  return env != nullptr && *env != '\0' ? env : kDefaultConfigPath;
}

// Loads and validates; prints every problem as file:line:column: message.
std::optional<Config> load_or_report(const std::string& path) {
  auto r = load_config(path);
  if (!r.ok()) {
    for (const auto& p : r.problems) std::cerr << p.to_string() << '\n';
    std::cerr << fmt::format("{}: {} problem(s); nothing was run\n", path, r.problems.size());
    return std::nullopt;
  }
  return std::move(r.config);
}

Clock clock_from(const std::string& now) {
  if (now.empty()) return system_clock();
  return fixed_clock(*parse_time(now));
}

std::string operator_name() {
  for (const char* var : {"SUDO_USER", "USER", "LOGNAME"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0') return v;
  }
  return "cli";
}

nlohmann::json param_value_json(const ParamValue& v) {
  return std::visit(
      [](const auto& x) -> nlohmann::json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Duration>) {
          return format_duration(x);
        } else if constexpr (std::is_same_v<T, DurationMap>) {
          nlohmann::json j = nlohmann::json::object();
          for (const auto& [k, d] : x) j[k] = format_duration(d);
          return j;
        } else {
          return x;
        }
      },
      v);
}

nlohmann::json checks_catalogue() {
  nlohmann::json a = nlohmann::json::array();
  for (const CheckDef* def : all_checks()) {
    const auto& i = def->info;
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : i.params) {
      params.push_back({{"name", p.name},
                        {"type", to_string(p.type)},
                        {"default", param_value_json(p.default_value)},
                        {"description", p.description}});
    }
    nlohmann::json fw = nlohmann::json::array();
    for (const auto& f : i.frameworks) fw.push_back({{"framework", f.framework}, {"reference", f.reference}});
    nlohmann::json needs = nlohmann::json::array();
    for (auto k : i.needs) needs.push_back(to_string(k));
    a.push_back({{"id", i.id},
                 {"title", i.title},
                 {"default_severity", to_string(i.default_severity)},
                 {"checklist_items", i.checklist_items},
                 {"rationale", i.rationale},
                 {"remediation", i.remediation},
                 {"parameters", params},
                 {"frameworks", fw},
                 {"needs", needs}});
  }
  return a;
}

int cmd_audit(const std::string& config_path, const std::string& format, const std::string& now, bool no_notify) {
  auto config = load_or_report(config_path);
  if (!config) return kUsage;
  log::set_level(config->log_level);
  try {
    StateStore store(config->state_db);
    CycleRunner runner(*config, store, clock_from(now));
    auto out = runner.run();
    if (!no_notify && !config->smtp.url.empty()) {
      CLOG(info) << "e-mail delivery is not part of this build yet; nothing sent";
    }
    if (format == "json") {
      std::cout << findings_document(out.current, out.record, out.record.finished_at.value_or(out.record.started_at))
                       .dump(2)
                << '\n';
    } else {
      std::cout << cycle_summary_text(out.record, out.current, config->fail_on);
    }
    return count_failing(out.current, config->fail_on) > 0 ? kFindings : kOk;
  } catch (const std::exception& e) {
    CLOG(error) << "audit failed: " << e.what();
    return kRuntime;
  }
}

int cmd_config_check(const std::string& config_path) {
  auto r = load_config(config_path);
  if (!r.ok()) {
    for (const auto& p : r.problems) std::cout << p.to_string() << '\n';
    return kUsage;
  }
  std::cout << fmt::format("{}: ok ({} checks, {} enabled)\n", config_path, r.config->checks.size(),
                           std::count_if(r.config->checks.begin(), r.config->checks.end(),
                                         [](const auto& kv) { return kv.second.enabled; }));
  return kOk;
}

int with_store(const std::string& config_path, const std::function<int(const Config&, StateStore&)>& fn) {
  auto config = load_or_report(config_path);
  if (!config) return kUsage;
  try {
    StateStore store(config->state_db);
    return fn(*config, store);
  } catch (const StateError& e) {
    std::cerr << "complyd: " << e.what() << '\n';
    return kUsage;
  } catch (const std::exception& e) {
    CLOG(error) << e.what();
    return kRuntime;
  }
}

}  // namespace

int main_impl(int argc, char** argv) {
  CLI::App app{"complyd: compliance auditing for partner integrations with donation and payment platforms"};
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);
  std::string config_path = default_config_path();
  const std::string config_help = "Configuration file (default $COMPLYD_CONFIG or /etc/complyd/complyd.toml)";

  // demo
  DemoOptions demo;
  std::string demo_dir, demo_now;
  auto* c_demo = app.add_subcommand("demo", "Write a ready-to-run demo configuration and inventory into DIR");
  c_demo->add_option("DIR", demo_dir, "Directory to write complyd.toml and inventory.db into")->required();
  c_demo->add_option("--smtp", demo.smtp_url, "SMTP URL for e-mails, e.g. smtp://127.0.0.1:1025 (a mail catcher)");
  c_demo->add_option("--customers", demo.customers, "Number of customers")->check(CLI::Range(1, 10'000'000));
  c_demo->add_option("--busy-customers", demo.busy_customers,
                     "Customers with per-minute verification counters (default customers/10)");
  c_demo->add_option("--seed", demo.seed, "Random seed (the population is deterministic per seed)");
  bool compliant = false;
  c_demo->add_flag("--compliant", compliant, "Write a fully compliant population (no violations)");
  c_demo->add_option("--now", demo_now, "Reference time of the population (RFC 3339; default: now)");

  // audit
  std::string format = "text", now;
  bool no_notify = false;
  auto* c_audit = app.add_subcommand("audit", "Run one full audit cycle and print the result");
  c_audit->add_option("--config,-c", config_path, config_help);
  c_audit->add_option("--format", format, "text or json")->check(CLI::IsMember({"text", "json"}));
  c_audit->add_option("--now", now, "Evaluate as of this time (RFC 3339), for reproducible runs");
  c_audit->add_flag("--no-notify", no_notify, "Do not deliver e-mails enqueued by this cycle");
  c_audit->footer("Exit codes: 0 no open finding at or above audit.fail_on; 3 there are; 2 usage or config error; "
                  "1 runtime failure.");

  // run
  auto* c_run = app.add_subcommand("run", "Run the daemon: audit cycles on the configured schedule");
  c_run->add_option("--config,-c", config_path, config_help);

  // config check
  auto* c_config = app.add_subcommand("config", "Configuration commands");
  c_config->require_subcommand(1);
  auto* c_config_check = c_config->add_subcommand("check", "Validate the configuration and exit (0 ok, 2 problems)");
  c_config_check->add_option("--config,-c", config_path, config_help);

  // findings
  auto* c_findings = app.add_subcommand("findings", "List, inspect and mute findings");
  c_findings->require_subcommand(1);
  std::string status = "open", customer, check, fid, reason, until, by = operator_name();
  auto* c_list = c_findings->add_subcommand("list", "List findings");
  c_list->add_option("--config,-c", config_path, config_help);
  c_list->add_option("--status", status, "open, resolved, muted or all")
      ->check(CLI::IsMember({"open", "resolved", "muted", "all"}));
  c_list->add_option("--customer", customer, "Only this customer id");
  c_list->add_option("--check", check, "Only this check id");
  c_list->add_option("--format", format, "text or json")->check(CLI::IsMember({"text", "json"}));
  auto* c_show = c_findings->add_subcommand("show", "Show one finding with its full history");
  c_show->add_option("--config,-c", config_path, config_help);
  c_show->add_option("ID", fid, "Finding id")->required();
  auto* c_mute = c_findings->add_subcommand("mute", "Mute an open finding until a date, with a reason");
  c_mute->add_option("--config,-c", config_path, config_help);
  c_mute->add_option("ID", fid, "Finding id")->required();
  c_mute->add_option("--reason", reason, "Why it is accepted for now (recorded in the history)")->required();
  c_mute->add_option("--until", until, "Date or time the mute ends (RFC 3339)")->required();
  c_mute->add_option("--by", by, "Who mutes it (default: the invoking user)");
  auto* c_unmute = c_findings->add_subcommand("unmute", "End a mute now");
  c_unmute->add_option("--config,-c", config_path, config_help);
  c_unmute->add_option("ID", fid, "Finding id")->required();
  c_unmute->add_option("--by", by, "Who unmutes it (default: the invoking user)");

  // checks list
  auto* c_checks = app.add_subcommand("checks", "The check catalogue");
  c_checks->require_subcommand(1);
  auto* c_checks_list = c_checks->add_subcommand("list", "List every check with its metadata");
  c_checks_list->add_option("--format", format, "text or json")->check(CLI::IsMember({"text", "json"}));

  auto* c_version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  for (const std::string* t : {&now, &demo_now, &until}) {
    if (!t->empty() && !parse_time(*t)) {
      std::cerr << "complyd: '" << *t << "' is not an RFC 3339 time (e.g. 2026-11-22T10:00:00Z or 2026-11-22)\n";
      return kUsage;
    }
  }

  if (c_version->parsed()) {
    std::cout << "complyd " << kVersion << '\n';
    return kOk;
  }
  if (c_demo->parsed()) {
    demo.dir = demo_dir;
    demo.violations = !compliant;
    demo.now = demo_now.empty() ? system_clock()() : *parse_time(demo_now);
    try {
      auto s = write_demo(demo);
      std::cout << fmt::format(
          "demo written to {}: {} customers, {} credentials, {} webhook subscriptions, {} verification rows, "
          "{} data sets, {} audit events, {} attestations\nnext: complyd audit --config {}\n",
          demo_dir, s.customers, s.credentials, s.webhooks, s.verification_rows, s.data_sets, s.audit_events,
          s.attestations, (fs::path(demo_dir) / "complyd.toml").string());
      return kOk;
    } catch (const std::exception& e) {
      CLOG(error) << "demo failed: " << e.what();
      return kRuntime;
    }
  }
  if (c_audit->parsed()) return cmd_audit(config_path, format, now, no_notify);
  if (c_config_check->parsed()) return cmd_config_check(config_path);
  if (c_run->parsed()) {
    auto config = load_or_report(config_path);
    if (!config) return kUsage;
    log::set_level(config->log_level);
    Daemon d(config_path, std::move(*config), system_clock());
    return d.run();
  }
  if (c_checks_list->parsed()) {
    if (format == "json") {
      std::cout << checks_catalogue().dump(2) << '\n';
    } else {
      for (const CheckDef* def : all_checks()) {
        std::cout << fmt::format("{:<26} {:<9} {}\n", def->info.id, to_string(def->info.default_severity),
                                 def->info.title);
      }
    }
    return kOk;
  }
  if (c_list->parsed()) {
    return with_store(config_path, [&](const Config&, StateStore& store) {
      FindingFilter f;
      if (status != "all") f.status = finding_status_from(status);
      f.customer_id = customer;
      f.check_id = check;
      auto rows = store.list(f);
      if (format == "json") {
        std::cout << findings_document(rows, store.last_cycle(), system_clock()()).dump(2) << '\n';
      } else {
        std::cout << findings_text(rows);
      }
      return kOk;
    });
  }
  if (c_show->parsed()) {
    return with_store(config_path, [&](const Config&, StateStore& store) {
      auto f = store.get(fid);
      if (!f) throw StateError("no finding with id " + fid);
      auto j = finding_to_json(*f);
      nlohmann::json h = nlohmann::json::array();
      for (const auto& e : store.history(fid)) {
        h.push_back({{"at", format_time(e.at)},
                     {"event", e.event},
                     {"from", e.from_status},
                     {"to", e.to_status},
                     {"severity", e.severity},
                     {"actor", e.actor},
                     {"reason", e.reason},
                     {"cycle_id", e.cycle_id ? nlohmann::json(*e.cycle_id) : nlohmann::json(nullptr)}});
      }
      j["history"] = h;
      std::cout << j.dump(2) << '\n';
      return kOk;
    });
  }
  if (c_mute->parsed()) {
    return with_store(config_path, [&](const Config&, StateStore& store) {
      auto f = store.mute(fid, reason, by, *parse_time(until), system_clock()());
      std::cout << fmt::format("muted {} until {} ({})\n", f.id, format_time(*f.muted_until), reason);
      return kOk;
    });
  }
  if (c_unmute->parsed()) {
    return with_store(config_path, [&](const Config&, StateStore& store) {
      auto f = store.unmute(fid, by, system_clock()());
      std::cout << fmt::format("unmuted {}\n", f.id);
      return kOk;
    });
  }
  return kUsage;
}

}  // namespace complyd

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  complyd::log::init(complyd::log::Level::info);
  int rc = 1;
  try {
    rc = complyd::main_impl(argc, argv);
  } catch (const std::exception& e) {
    CLOG(error) << "fatal: " << e.what();
    rc = 1;
  }
  complyd::log::shutdown();
  curl_global_cleanup();
  return rc;
}
