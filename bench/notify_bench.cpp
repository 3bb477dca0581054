// SPDX-License-Identifier: Apache-2.0
// E-mail delivery throughput (docs/benchmarks.md): N rendered reminders in
// the outbox, delivered by the real notifier over one SMTP connection per
// batch to a local aiosmtpd (Maildir). Built, never run by ctest.
//   build/bench/complyd_notify_bench [N]
#include <fmt/format.h>

#include <curl/curl.h>

#include <chrono>
#include <iostream>

#include "../tests/integration/notify_smtp.hpp"
#include "daemon/log/log.hpp"
#include "daemon/notify/mime.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/notify/planner.hpp"
#include "daemon/notify/templates.hpp"
#include "daemon/store/state_store.hpp"
#include "model/time.hpp"

using namespace complyd;

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  log::init(log::Level::warning);
  itest::TempDir dir;
  itest::MailCatcher smtp(dir / "maildir", dir / "smtpd.log");
  if (!smtp.ready()) {
    std::cerr << "aiosmtpd did not start (/usr/bin/python3 -m aiosmtpd)\n";
    return 1;
  }
  Config config;
  config.smtp.url = smtp.url();
  config.smtp.from = "complyd-bench@localhost";
  config.smtp.tls = "none";
  config.smtp.batch_size = 500;
  StateStore store(dir / "state.db");
  const Time now = *parse_time("2026-11-22T12:00:00Z");

  // Enqueue N reminders, rendered like a cycle would.
  const auto templates = notify::Templates::load({});
  const auto t0 = std::chrono::steady_clock::now();
  {
    sql::Transaction tx(store.db());
    sql::Stmt ins(store.db(),
                  "INSERT INTO outbox(idempotency_key, kind, customer_id, recipients, subject, message_id, message, "
                  "status, next_attempt_at, expires_at, created_at) VALUES (?,'reminder',?,?,?,?,?,'pending',?,?,?)");
    for (int i = 0; i < n; ++i) {
      Customer c;
      c.id = fmt::format("cust_{:05d}", i);
      c.name = fmt::format("Customer {}", i);
      c.admin_email = fmt::format("admin@{}.example.org", c.id);
      Credential k;
      k.customer_id = c.id;
      k.kind = "api_token";
      k.storage_path = "raise/production/" + c.id + "/api_token";
      k.rotated_at = now - days(85);
      const auto st = rotation_status(k, {{"api_token", days(90)}}, days(10), now);
      const auto r = templates.render("reminder", notify::reminder_context(c, k, st, "warning", now, RemindersConfig{}, "raise"));
      const std::string key = fmt::format("reminder:{}:{}:1:warning", c.id, k.storage_path);
      notify::MimeMessage m{config.smtp.from, {c.admin_email}, r.subject, r.text, r.html, now,
                            notify::make_message_id(key, config.smtp.from)};
      ins.reset();
      ins.bind(1, key).bind(2, c.id).bind(3, c.admin_email).bind(4, r.subject).bind(5, m.message_id);
      ins.bind(6, notify::build_mime(m)).bind(7, now.time_since_epoch().count());
      ins.bind(8, (now + days(1)).time_since_epoch().count()).bind(9, now.time_since_epoch().count());
      ins.run();
    }
    tx.commit();
  }
  const auto t1 = std::chrono::steady_clock::now();
  const auto rep = notify::deliver_due(config, store.db(), fixed_clock(now));
  const auto t2 = std::chrono::steady_clock::now();
  const double render_s = std::chrono::duration<double>(t1 - t0).count();
  const double send_s = std::chrono::duration<double>(t2 - t1).count();
  std::cout << fmt::format("rendered and enqueued {} reminders in {:.2f} s ({:.0f}/s)\n", n, render_s, n / render_s);
  std::cout << fmt::format("delivered {} ({} failed) in {:.2f} s: {:.0f} messages/second; {} in the Maildir\n",
                           rep.sent, rep.failed, send_s, rep.sent / send_s, smtp.count());
  log::shutdown();
  curl_global_cleanup();
  return rep.sent == n ? 0 : 1;
}
