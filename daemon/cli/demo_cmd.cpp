// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "daemon/cli/cli.hpp"
#include "daemon/demo/demo.hpp"
#include "daemon/log/log.hpp"

namespace complyd::cli {

void add_demo_commands(CLI::App& app, State& st) {
  struct Opts {
    DemoOptions demo;
    std::string dir, now;
    bool compliant = false;
  };
  auto o = std::make_shared<Opts>();
  auto* c = app.add_subcommand("demo", "Write a ready-to-run demo configuration and inventory into DIR");
  c->add_option("DIR", o->dir, "Directory to write complyd.toml and inventory.db into")->required();
  c->add_option("--smtp", o->demo.smtp_url, "SMTP URL for e-mails, e.g. smtp://127.0.0.1:1025 (a mail catcher)");
  c->add_option("--alertmanager", o->demo.alertmanager_url,
                "Alertmanager base URL for alerts, e.g. http://127.0.0.1:9093");
  c->add_option("--webhook", o->demo.webhook_url,
                "URL for signed JSON webhooks, e.g. http://127.0.0.1:8080/hook (the secret goes to DIR/webhook.secret)");
  c->add_option("--customers", o->demo.customers, "Number of customers")->check(CLI::Range(1, 10'000'000));
  c->add_option("--busy-customers", o->demo.busy_customers,
                "Customers with per-minute verification counters (default customers/10, at least 16)");
  c->add_option("--seed", o->demo.seed, "Random seed (the population is deterministic per seed)");
  c->add_flag("--compliant", o->compliant, "Write a fully compliant population (no violations)");
  c->add_option("--console", o->demo.console_port,
                "Serve the web console on 127.0.0.1:PORT, with a demo operator and viewer (token files in DIR)")
      ->check(CLI::Range(1, 65535));
  c->add_option("--now", o->now, "Reference time of the population (RFC 3339; default: now)");
  c->callback([o, &st] {
    if (!valid_time_option(o->now)) {
      st.exit_code = kUsage;
      return;
    }
    o->demo.dir = o->dir;
    o->demo.violations = !o->compliant;
    o->demo.now = o->now.empty() ? system_clock()() : *parse_time(o->now);
    try {
      auto s = write_demo(o->demo);
      std::cout << fmt::format(
          "demo written to {}: {} customers, {} credentials, {} webhook subscriptions, {} verification rows, "
          "{} data sets, {} audit events, {} attestations\nnext: complyd audit --config {}\n",
          o->dir, s.customers, s.credentials, s.webhooks, s.verification_rows, s.data_sets, s.audit_events,
          s.attestations, (std::filesystem::path(o->dir) / "complyd.toml").string());
      if (o->demo.console_port > 0) {
        std::cout << fmt::format("console: complyd run --config {}, then open http://127.0.0.1:{}/ and sign in as\n",
                                 (std::filesystem::path(o->dir) / "complyd.toml").string(), o->demo.console_port);
        for (const auto& [user, role] : kDemoConsoleUsers) {
          std::cout << fmt::format("  {} ({}) with the token in {}\n", user, role,
                                   demo_token_file(o->dir, user).string());
        }
      }
      st.exit_code = kOk;
    } catch (const std::exception& e) {
      CLOG(error) << "demo failed: " << e.what();
      st.exit_code = kRuntime;
    }
  });
}

}  // namespace complyd::cli
