// SPDX-License-Identifier: Apache-2.0
// [smtp] delivery keys, [alerts] and [reminders]: typed, validated, located.
#include <gtest/gtest.h>

#include "daemon/config/config.hpp"
#include "daemon/sources/registry.hpp"

namespace complyd {
namespace {

ConfigResult parse(const std::string& text) {
  return parse_config("[inventory]\npath = \"inventory.db\"\n" + text, "/etc/complyd/complyd.toml");
}

std::string nc_all(const ConfigResult& r) {
  std::string out;
  for (const auto& p : r.problems) out += p.to_string() + "\n";
  return out;
}

TEST(NotifyConfig, DefaultsAndFullTables) {
  auto r = parse(R"(
[smtp]
url = "smtp://mail.example.com:587"
from = "complyd <complyd@example.com>"
retry_initial = "30s"
dead_after = "2d"
batch_size = 50
sent_retention = "90d"
[alerts]
recipients = { high = ["lead@example.com"], low = ["ops@example.com", "sec@example.com"] }
repeat_interval = "12h"
[reminders]
kinds = ["api_token", "oauth_refresh_token"]
warn_before = "14d"
overdue_every = "3d"
escalate_after = "10d"
due = false
per_recipient_cap = 2
max_per_cycle = 100
)");
  ASSERT_TRUE(r.ok()) << nc_all(r);
  const auto& c = *r.config;
  EXPECT_EQ(c.smtp.tls, "starttls");
  EXPECT_EQ(c.smtp.retry_initial, Duration{30});
  EXPECT_EQ(c.smtp.retry_max, Duration{3600});
  EXPECT_EQ(c.smtp.dead_after, days(2));
  EXPECT_EQ(c.smtp.batch_size, 50);
  EXPECT_EQ(c.smtp.sent_retention, days(90));
  EXPECT_EQ(c.alerts.recipients.at(Severity::high), std::vector<std::string>{"lead@example.com"});
  EXPECT_EQ(c.alerts.recipients.at(Severity::low).size(), 2u);
  EXPECT_EQ(c.alerts.repeat_interval, Duration{12 * 3600});
  EXPECT_EQ(c.reminders.kinds.size(), 2u);
  EXPECT_EQ(c.reminders.warn_before, days(14));
  EXPECT_FALSE(c.reminders.due);
  EXPECT_TRUE(c.reminders.warning);
  EXPECT_EQ(c.reminders.per_recipient_cap, 2);
  auto d = parse("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.config->alerts.repeat_interval, days(1));
  EXPECT_EQ(d.config->reminders.warn_before, days(10));
  EXPECT_EQ(d.config->reminders.overdue_every, days(7));
}

TEST(NotifyConfig, PlainSmtpOnlyToLoopback) {
  auto ok = parse("[smtp]\nurl = \"smtp://127.0.0.1:1025\"\nfrom = \"a@b.org\"\ntls = \"none\"\n");
  EXPECT_TRUE(ok.ok()) << nc_all(ok);
  EXPECT_TRUE(parse("[smtp]\nurl = \"smtp://localhost:25\"\nfrom = \"a@b.org\"\ntls = \"none\"\n").ok());
  auto bad = parse("[smtp]\nurl = \"smtp://mail.example.com:25\"\nfrom = \"a@b.org\"\ntls = \"none\"\n");
  EXPECT_NE(nc_all(bad).find("complyd.toml:6:7: smtp.tls = \"none\" is refused for 'mail.example.com'"),
            std::string::npos)
      << nc_all(bad);
  auto mismatch = parse("[smtp]\nurl = \"smtp://mail.example.com:25\"\nfrom = \"a@b.org\"\ntls = \"tls\"\n");
  EXPECT_NE(nc_all(mismatch).find("needs an smtps:// url"), std::string::npos) << nc_all(mismatch);
  auto mismatch2 = parse("[smtp]\nurl = \"smtps://mail.example.com:465\"\nfrom = \"a@b.org\"\n");
  EXPECT_NE(nc_all(mismatch2).find("needs smtp.tls = \"tls\""), std::string::npos) << nc_all(mismatch2);
}

TEST(NotifyConfig, EveryProblemIsLocated) {
  auto r = parse(R"([alerts]
recipients = { urgent = ["a@b.org"], low = ["not an address"] }
repeat = "1h"
[reminders]
warn_before = "ten days"
per_recipient_cap = 0
escalate = "yes"
colour = "red"
)");
  const auto text = nc_all(r);
  EXPECT_NE(text.find(":4:16: alerts.recipients.urgent: not a severity"), std::string::npos) << text;
  EXPECT_NE(text.find("alerts.recipients.low: 'not an address' is not an e-mail address"), std::string::npos) << text;
  EXPECT_NE(text.find(":5:1: unknown key 'alerts.repeat' in [alerts]"), std::string::npos) << text;
  EXPECT_NE(text.find(":7:15: reminders.warn_before: 'ten days' is not a duration"), std::string::npos) << text;
  EXPECT_NE(text.find("reminders.per_recipient_cap: 0 is out of range"), std::string::npos) << text;
  EXPECT_NE(text.find("reminders.escalate: expected true or false"), std::string::npos) << text;
  EXPECT_NE(text.find(":10:1: unknown key 'reminders.colour'"), std::string::npos) << text;
}

TEST(NotifyConfig, SentRetentionDefaultsTo30DaysAndIsValidatedWithItsPosition) {
  auto ok = parse("[smtp]\nurl = \"smtp://127.0.0.1:25\"\nfrom = \"c@example.com\"\ntls = \"none\"\n");
  ASSERT_TRUE(ok.ok()) << nc_all(ok);
  EXPECT_EQ(ok.config->smtp.sent_retention, days(30));
  auto bad = parse("[smtp]\nurl = \"smtp://127.0.0.1:25\"\nfrom = \"c@example.com\"\ntls = \"none\"\n"
                   "sent_retention = \"1s\"\n");
  EXPECT_NE(nc_all(bad).find("complyd.toml:7:18: smtp.sent_retention: 1s is out of range"), std::string::npos)
      << nc_all(bad);
}

TEST(NotifyConfig, InlinePasswordIsRefusedAndTemplatesDirMustExist) {
  auto r = parse("[smtp]\nurl = \"smtp://127.0.0.1:25\"\nfrom = \"a@b.org\"\ntls = \"none\"\npassword = \"hunter2hunter2\"\n"
                 "templates_dir = \"/nonexistent/templates\"\n");
  const auto text = nc_all(r);
  EXPECT_NE(text.find("secrets are not accepted inline"), std::string::npos) << text;
  EXPECT_EQ(text.find("hunter2hunter2"), std::string::npos);
  EXPECT_NE(text.find("smtp.templates_dir: '/nonexistent/templates' is not a directory"), std::string::npos) << text;
}

}  // namespace
}  // namespace complyd
