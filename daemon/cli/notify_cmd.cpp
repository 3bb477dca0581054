// SPDX-License-Identifier: Apache-2.0
// `complyd notify`: preview a template, list the outbox, requeue a message,
// deliver due messages now.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>

#include "checks/params.hpp"
#include "checks/rotation.hpp"
#include "daemon/cli/cli.hpp"
#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/notify/mime.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/notify/outbox.hpp"
#include "daemon/notify/planner.hpp"
#include "daemon/notify/templates.hpp"
#include "daemon/sources/source.hpp"

namespace complyd::cli {

namespace {

struct NotifyOpts {
  std::string template_name, customer, now, format = "text";
  std::vector<std::string> statuses;
  std::int64_t id = 0, limit = 1000;
};

// A digest of the current open findings, as the next one would look.
nlohmann::json digest_preview(StateStore& store, Time now, const Config& config) {
  notify::PlanInput in;
  in.cycle_id = store.last_cycle() ? store.last_cycle()->id : 0;
  in.now = now;
  for (auto& f : store.list({FindingStatus::open, "", ""})) in.findings.push_back(f);
  in.alerts = config.alerts;
  if (in.alerts.recipients.empty()) in.alerts.recipients[Severity::info] = {"preview@localhost"};
  in.reminders.enabled = false;
  auto plan = notify::plan_notifications(in);
  if (plan.messages.empty()) throw std::runtime_error("no open findings: the next digest would not be sent");
  return plan.messages.front().context;
}

int preview(const State& st, const NotifyOpts& o) {
  if (!valid_time_option(o.now)) return kUsage;
  return with_store(st, [&](const Config& config, StateStore& store) {
    const Time now = clock_from(o.now)();
    std::vector<std::string> problems;
    const auto templates = notify::Templates::load(config.smtp.templates_dir, &problems);
    for (const auto& p : problems) std::cerr << "complyd: " << p << '\n';
    nlohmann::json ctx;
    std::vector<std::string> to;
    if (o.template_name == "digest") {
      try {
        ctx = digest_preview(store, now, config);
      } catch (const std::exception& e) {
        std::cerr << "complyd: " << e.what() << '\n';
        return kUsage;
      }
      to = {"(alert recipients)"};
    } else {
      if (o.customer.empty()) {
        std::cerr << "complyd: --customer ID is required for the " << o.template_name << " template\n";
        return kUsage;
      }
      const Facts facts = collect_facts(make_sources(config), now);
      const Customer* cust = nullptr;
      for (const auto& c : facts.customers) {
        if (c.id == o.customer) cust = &c;
      }
      if (cust == nullptr) {
        std::cerr << "complyd: no customer " << o.customer << " in the inventory\n";
        return kUsage;
      }
      const Credential* cred = nullptr;
      for (const auto& c : facts.credentials) {
        const auto& kinds = config.reminders.kinds;
        if (c.customer_id == cust->id && c.role == CredentialRole::current &&
            std::find(kinds.begin(), kinds.end(), c.kind) != kinds.end()) {
          cred = &c;
          break;
        }
      }
      if (cred == nullptr) {
        std::cerr << "complyd: customer " << o.customer << " has no current credential of a reminder kind\n";
        return kUsage;
      }
      const auto rs =
          rotation_status(*cred, credential_age_params(config.checks).max_age, config.reminders.warn_before, now);
      auto stage = notify::reminder_stage(rs, config.reminders, now);
      if (stage.empty()) stage = "warning";  // preview the first stage of a credential not yet due
      if (!rs.rotated_at) {
        std::cerr << "complyd: the credential's age is unknown; no reminder can be rendered\n";
        return kUsage;
      }
      const auto platforms = notify::customer_platforms(facts.webhooks);
      const auto pl = platforms.find(cust->id);
      ctx = notify::reminder_context(*cust, *cred, rs, stage, now, config.reminders,
                                     pl == platforms.end() ? std::string() : pl->second);
      to = {o.template_name == "reminder" ? cust->admin_email : "(alert recipients)"};
    }
    notify::Rendered r;
    try {
      r = templates.render(o.template_name, ctx);
    } catch (const std::exception& e) {
      std::cerr << "complyd: " << e.what() << '\n';
      return kUsage;
    }
    std::cout << "To: " << fmt::format("{}", fmt::join(to, ", ")) << "\nSubject: " << redact(r.subject)
              << "\n\n--- text ---\n"
              << redact(r.text) << "\n--- html ---\n"
              << redact(r.html) << '\n';
    return kOk;
  });
}

int outbox(const State& st, const NotifyOpts& o) {
  for (const auto& s : o.statuses) {
    if (s != "pending" && s != "sent" && s != "failed" && s != "dead") {
      std::cerr << "complyd: --status must be pending, sent, failed or dead\n";
      return kUsage;
    }
  }
  return with_store(st, [&](const Config&, StateStore& store) {
    const auto rows = notify::list_outbox(store.db(), o.statuses, o.limit);
    if (o.format == "json") {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& r : rows) {
        a.push_back({{"id", r.id}, {"key", r.key}, {"kind", r.kind}, {"customer_id", r.customer_id},
                     {"recipients", r.recipients}, {"subject", r.subject}, {"message_id", r.message_id},
                     {"status", r.status}, {"attempts", r.attempts}, {"last_reply", r.last_reply},
                     {"next_attempt_at", format_time(r.next_attempt_at)}, {"created_at", format_time(r.created_at)},
                     {"sent_at", r.sent_at ? nlohmann::json(format_time(*r.sent_at)) : nlohmann::json()}});
      }
      std::cout << a.dump(2) << '\n';
      return kOk;
    }
    for (const auto& r : rows) {
      std::cout << fmt::format("{:>6}  {:<7}  {:<10}  att {:<2}  {}  {}  {}\n", r.id, r.status, r.kind, r.attempts,
                               r.recipients, r.subject,
                               r.last_reply.empty() ? "" : "[" + r.last_reply + "]");
    }
    std::cout << fmt::format("{} message(s)\n", rows.size());
    return kOk;
  });
}

int retry(const State& st, const NotifyOpts& o) {
  if (!valid_time_option(o.now)) return kUsage;
  return with_store(st, [&](const Config& config, StateStore& store) {
    try {
      auto row = notify::retry_message(store.db(), o.id, clock_from(o.now)(), config);
      std::cout << fmt::format("message {} requeued ({}, to {})\n", row.id, row.kind, row.recipients);
      return kOk;
    } catch (const std::runtime_error& e) {
      std::cerr << "complyd: " << e.what() << '\n';
      return kUsage;
    }
  });
}

int send(const State& st, const NotifyOpts& o) {
  if (!valid_time_option(o.now)) return kUsage;
  return with_store(st, [&](const Config& config, StateStore& store) {
    if (config.smtp.url.empty() && !config.notify.any()) {
      std::cerr << "complyd: notifications are off (no smtp.url, no [[notify.*]] channel)\n";
      return kUsage;
    }
    const auto rep = notify::deliver_due(config, store.db(), clock_from(o.now));
    std::cout << fmt::format("{} sent, {} failed, {} expired, {} waiting\n", rep.sent, rep.failed, rep.expired,
                             rep.remaining);
    if (!rep.error.empty()) std::cerr << "complyd: delivery stopped: " << rep.error << '\n';
    for (const auto& e : rep.channel_errors) std::cerr << "complyd: delivery to " << e << " (retried later)\n";
    return rep.error.empty() && rep.channel_errors.empty() ? kOk : kRuntime;
  });
}

}  // namespace

void add_notify_commands(CLI::App& app, State& st) {
  auto o = std::make_shared<NotifyOpts>();
  auto* n = app.add_subcommand("notify", "Notifications: preview e-mail templates, inspect and requeue the outbox, deliver now");
  n->require_subcommand(1);

  auto* p = n->add_subcommand("preview", "Render an e-mail to stdout without sending it");
  add_config_option(p, st);
  add_state_option(p, st);
  p->add_option("--template", o->template_name, "digest, reminder or escalation")
      ->required()
      ->check(CLI::IsMember(notify::Templates::names()));
  p->add_option("--customer", o->customer, "Customer id (reminder, escalation)");
  p->add_option("--now", o->now, "Render as of this time (RFC 3339)");
  p->callback([o, &st] { st.exit_code = preview(st, *o); });

  auto* l = n->add_subcommand("outbox", "List the outbox");
  add_config_option(l, st);
  add_state_option(l, st);
  l->add_option("--status", o->statuses, "pending, sent, failed, dead (repeatable)");
  l->add_option("--limit", o->limit, "At most this many rows")->check(CLI::Range(1, 10'000'000));
  l->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  l->callback([o, &st] { st.exit_code = outbox(st, *o); });

  auto* r = n->add_subcommand("retry", "Requeue a dead or failed message");
  add_config_option(r, st);
  add_state_option(r, st);
  r->add_option("ID", o->id, "Outbox message id")->required();
  r->add_option("--now", o->now, "As of this time (RFC 3339)");
  r->callback([o, &st] { st.exit_code = retry(st, *o); });

  auto* s = n->add_subcommand("send", "Deliver due messages now");
  add_config_option(s, st);
  add_state_option(s, st);
  s->add_option("--now", o->now, "As of this time (RFC 3339)");
  s->callback([o, &st] { st.exit_code = send(st, *o); });
}

}  // namespace complyd::cli
