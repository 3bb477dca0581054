// SPDX-License-Identifier: Apache-2.0
// notification-delivery: e-mails and HTTP notifications (Alertmanager,
// webhooks) the notifier gave up on. The cycle exposes
// the outbox's dead messages as facts; this check turns them into findings,
// one per message, so a broken mail path is never silent.
#include <fmt/format.h>

#include "checks/check.hpp"

namespace complyd {
namespace {

std::vector<Finding> evaluate(const CheckContext& ctx) {
  std::vector<Finding> out;
  for (const auto& m : ctx.facts.outbox.dead) {
    Finding f;
    f.severity = ctx.severity;
    f.customer_id = m.customer_id;
    f.subject = fmt::format("outbox:{}", m.id);
    const bool http = m.kind == "alertmanager" || m.kind == "webhook";
    f.title = http ? fmt::format("{} notification could not be delivered", m.kind)
                   : fmt::format("{} e-mail could not be delivered", m.kind);
    f.detail = fmt::format("Outbox message {} ({}) to {} failed {} time(s) and was given up; last reply: {}.", m.id,
                           m.kind, m.recipients, m.attempts, m.last_reply.empty() ? "none" : m.last_reply);
    f.remediation = (http ? fmt::format("Fix the [[notify.{}]] channel named '{}' (url, bearer_token_file or "
                                        "secret_file, CA, the receiver's acceptance of the request), ",
                                        m.kind, m.recipients)
                          : std::string("Fix the mail path ([smtp] url, credentials, CA, the server's acceptance of "
                                        "the recipient), ")) +
                    "then requeue it with 'complyd notify retry " + std::to_string(m.id) + "'.";
    f.evidence.emplace_back("attempts", std::to_string(m.attempts));
    f.evidence.emplace_back("kind", m.kind);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

const CheckDef& notification_delivery_check() {
  static const CheckDef def{
      CheckInfo{
          .id = "notification-delivery",
          .title = "Alerts and rotation reminders reach their recipients",
          .default_severity = Severity::high,
          .checklist_items = {"Triggering rotation reminders: rotation should be tracked centrally"},
          .rationale = "A reminder or alert that silently fails to send leaves tokens unrotated and findings "
                       "unread; a dead message must itself be a finding.",
          .remediation = "Repair the SMTP or HTTP channel delivery and requeue the dead messages with 'complyd notify "
                         "retry'.",
          .params = {},
          .frameworks = {{"SOC 2", "CC7.3"}},
          .needs = {FactKind::outbox},
      },
      evaluate};
  return def;
}

}  // namespace complyd
