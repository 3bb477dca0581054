// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "checks/params.hpp"
#include "daemon/config/config.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/sources/registry.hpp"
#include "tests/unit/config_text.hpp"

namespace complyd {
namespace {

using testing::parse_toml;

using testing::messages;

const char* kMinimal = "[inventory]\npath = \"inventory.db\"\n";

TEST(Config, MinimalFileGetsDefaults) {
  auto r = parse_toml(kMinimal);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
  const Config& c = *r.config;
  EXPECT_EQ(c.inventory.path, "/etc/complyd/inventory.db");  // relative to the config file
  EXPECT_EQ(c.state_db, "/var/lib/complyd/state.db");
  EXPECT_EQ(c.schedule.interval, Duration{3600});
  EXPECT_EQ(c.fail_on, Severity::low);
  ASSERT_TRUE(c.checks.contains("credential-age"));
  EXPECT_TRUE(c.checks.at("credential-age").enabled);
  EXPECT_EQ(credential_age_params(c.checks).max_age.at("api_token"), days(90));
}

TEST(Config, FullFileIsTyped) {
  auto r = parse_toml(R"(
[state]
path = "/var/lib/complyd/state.db"
[audit]
fail_on = "high"
workers = 3
[log]
level = "debug"
[schedule]
interval = "30m"
jitter = "2m"
[inventory]
path = "/srv/inventory.db"
busy_timeout = "10s"
[smtp]
# Only parsed, never connected to: port 0, no fixed port.
url = "smtp://127.0.0.1:0"
from = "complyd@example.org"
tls = "none"
[checks.credential-age]
severity = "critical"
max_age = { api_token = "60d", ssh_key = "1y" }
new_kinds = ["ssh_key"]
[checks.offboarding-completeness]
enabled = false
deletion_window = "14d"
)");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
  const Config& c = *r.config;
  EXPECT_EQ(c.fail_on, Severity::high);
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.log_level, log::Level::debug);
  EXPECT_EQ(c.schedule.interval, Duration{1800});
  EXPECT_EQ(c.schedule.jitter, Duration{120});
  EXPECT_EQ(c.inventory.busy_timeout, Duration{10});
  EXPECT_EQ(c.smtp.tls, "none");
  const auto& age = c.checks.at("credential-age");
  EXPECT_EQ(age.severity, Severity::critical);
  const auto& m = age.params.as<CredentialAgeParams>().max_age;
  EXPECT_EQ(m.at("api_token"), days(60));
  EXPECT_EQ(m.at("webhook_secret"), days(90));  // default kept
  EXPECT_EQ(m.at("ssh_key"), days(365));       // new kind added (declared in new_kinds)
  EXPECT_FALSE(c.checks.at("offboarding-completeness").enabled);
  EXPECT_EQ(c.checks.at("offboarding-completeness").params.as<OffboardingCompletenessParams>().deletion_window,
            days(14));
}

TEST(Config, CredentialAgeParamsWithoutTheCheckAreItsDefaults) {
  EXPECT_EQ(credential_age_params(CheckConfigs{}), CredentialAgeParams{});
  EXPECT_EQ(credential_age_params(CheckConfigs{}).max_age.at("api_token"), days(90));
}

struct BadCase {
  const char* name;
  std::string toml;
  std::string expected;  // exact file:line:column: message prefix
};

class ConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrors, NameFileLineColumn) {
  const auto& tc = GetParam();
  auto r = parse_toml(tc.toml);
  EXPECT_FALSE(r.ok());
  auto msgs = messages(r);
  bool found = false;
  for (const auto& m : msgs) found = found || m.rfind(tc.expected, 0) == 0;
  EXPECT_TRUE(found) << "expected a message starting with: " << tc.expected << "\ngot: " << ::testing::PrintToString(msgs);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigErrors,
    ::testing::Values(
        BadCase{"unknown_top_key", "colour = \"red\"\n" + std::string(kMinimal),
                "/etc/complyd/complyd.toml:1:1: unknown key 'colour'"},
        BadCase{"unknown_section_key", std::string(kMinimal) + "[schedule]\ninterval = \"1h\"\nevery = \"2h\"\n",
                "/etc/complyd/complyd.toml:5:1: unknown key 'schedule.every' in [schedule]"},
        BadCase{"wrong_type", std::string(kMinimal) + "[schedule]\ninterval = 3600\n",
                "/etc/complyd/complyd.toml:4:12: schedule.interval: expected a duration string"},
        BadCase{"out_of_range", std::string(kMinimal) + "[schedule]\ninterval = \"10s\"\n",
                "/etc/complyd/complyd.toml:4:12: schedule.interval: 10s is out of range (1m to 7d)"},
        // nan compares false with both bounds: it passed the range check and
        // turned token detection off (issue 19).
        BadCase{"nan_number", std::string(kMinimal) + "[checks.leak-scan]\nmin_entropy_bits_per_char = nan\n",
                "/etc/complyd/complyd.toml:4:29: checks.leak-scan.min_entropy_bits_per_char: nan is not a finite "
                "number"},
        BadCase{"inf_number", std::string(kMinimal) + "[checks.leak-scan]\nmin_entropy_bits_per_char = -inf\n",
                "/etc/complyd/complyd.toml:4:29: checks.leak-scan.min_entropy_bits_per_char: -inf is not a finite "
                "number"},
        BadCase{"not_a_duration", std::string(kMinimal) + "[checks.credential-age]\nmax_age = { api_token = \"ninety\" }\n",
                "/etc/complyd/complyd.toml:4:25: checks.credential-age.max_age.api_token: 'ninety' is not a duration"},
        BadCase{"negative_report_max_customers", std::string(kMinimal) + "[http]\nreport_max_customers = -1\n",
                "/etc/complyd/complyd.toml:4:24: http.report_max_customers:"},
        BadCase{"zero_workers", std::string(kMinimal) + "[audit]\nworkers = 0\n",
                "/etc/complyd/complyd.toml:4:11: audit.workers:"},
        BadCase{"bad_severity", std::string(kMinimal) + "[audit]\nfail_on = \"urgent\"\n",
                "/etc/complyd/complyd.toml:4:11: audit.fail_on: 'urgent' is not one of"},
        BadCase{"unknown_check", std::string(kMinimal) + "[checks.password-age]\nenabled = true\n",
                "/etc/complyd/complyd.toml:3:9: unknown check 'checks.password-age'"},
        BadCase{"unknown_check_param", std::string(kMinimal) + "[checks.credential-age]\nmaxage = \"1d\"\n",
                "/etc/complyd/complyd.toml:4:1: unknown key 'checks.credential-age.maxage'"},
        BadCase{"nested_param_wrong_type", std::string(kMinimal) + "[checks.credential-age]\nmax_age = { api_token = 90 }\n",
                "/etc/complyd/complyd.toml:4:25: checks.credential-age.max_age.api_token: expected a duration string"},
        // A typo in a map's key (issue 15): named with its position and the valid keys.
        BadCase{"nested_param_unknown_key", std::string(kMinimal) + "[checks.credential-age]\nmax_age = { api_tokn = \"90d\" }\n",
                "/etc/complyd/complyd.toml:4:13: unknown key 'checks.credential-age.max_age.api_tokn' (known: api_token, "
                "internal_secret, oauth_refresh_token, webhook_secret; a new kind is added by listing it in "
                "checks.credential-age.new_kinds)"},
        BadCase{"nested_table_unknown_key", std::string(kMinimal) + "[checks.retention-window.max_age]\nworker_log_hott = \"30d\"\n",
                "/etc/complyd/complyd.toml:4:1: unknown key 'checks.retention-window.max_age.worker_log_hott' (known: "},
        BadCase{"grace_unknown_key", std::string(kMinimal) + "[checks.rotation-leftover]\ngrace = { webhook_secrt = \"1h\" }\n",
                "/etc/complyd/complyd.toml:4:11: unknown key 'checks.rotation-leftover.grace.webhook_secrt'"},
        BadCase{"new_kinds_where_no_map", std::string(kMinimal) + "[checks.audit-coverage]\nnew_kinds = [\"x\"]\n",
                "/etc/complyd/complyd.toml:4:1: unknown key 'checks.audit-coverage.new_kinds'"},
        BadCase{"nested_table_param_wrong_type",
                std::string(kMinimal) + "[checks.retention-window.max_age]\nworker_log_hot = true\n",
                "/etc/complyd/complyd.toml:4:18: checks.retention-window.max_age.worker_log_hot: expected a duration"},
        BadCase{"param_wrong_type", std::string(kMinimal) + "[checks.offboarding-completeness]\naudit_actions = \"offboarded\"\n",
                "/etc/complyd/complyd.toml:4:17: checks.offboarding-completeness.audit_actions: expected an array"},
        BadCase{"syntax_error", std::string(kMinimal) + "[schedule\ninterval = \"1h\"\n",
                "/etc/complyd/complyd.toml:3:10:"},
        BadCase{"missing_inventory", "[schedule]\ninterval = \"1h\"\n", "/etc/complyd/complyd.toml:1:1: missing [inventory]"},
        BadCase{"smtp_scheme", std::string(kMinimal) + "[smtp]\nurl = \"http://mail\"\nfrom = \"a@b\"\n",
                "/etc/complyd/complyd.toml:4:7: smtp.url must start with smtp:// or smtps://"},
        BadCase{"jitter_not_below_interval", std::string(kMinimal) + "[schedule]\ninterval = \"1h\"\njitter = \"1h\"\n",
                "/etc/complyd/complyd.toml:3:1: schedule.jitter must be shorter than schedule.interval"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Config, EveryProblemIsReportedNotJustTheFirst) {
  auto r = parse_toml(std::string(kMinimal) + "a = 1\nb = 2\n[schedule]\ninterval = \"x\"\n");
  EXPECT_EQ(r.problems.size(), 3u) << ::testing::PrintToString(messages(r));
}

TEST(Config, InlineSecretIsRefusedWithoutEchoingIt) {
  auto r = parse_toml(std::string(kMinimal) + "[smtp]\nurl = \"smtp://127.0.0.1:25\"\nfrom = \"a@b\"\npassword = \"CANARY-inline-7f3a9\"\n");
  ASSERT_FALSE(r.ok());
  auto msgs = messages(r);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].rfind("/etc/complyd/complyd.toml:6:1: smtp.password: secrets are not accepted inline", 0), 0u)
      << msgs[0];
  EXPECT_NE(msgs[0].find("password_file"), std::string::npos);
  EXPECT_EQ(msgs[0].find("CANARY"), std::string::npos);
}

TEST(Config, PasswordFileValueIsRegisteredForRedaction) {
  clear_registered_secretsForTest();
  auto dir = std::filesystem::temp_directory_path() / "complyd-config-test";
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "smtp.pw") << "CANARY-pw-file-42abc\n";
  }
  auto r = parse_config(std::string(kMinimal) +
                            "[smtp]\nurl = \"smtp://127.0.0.1:25\"\nfrom = \"a@b\"\npassword_file = \"smtp.pw\"\n",
                        dir / "complyd.toml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
  EXPECT_EQ(redact("login with CANARY-pw-file-42abc failed"), "login with [REDACTED] failed");
  std::filesystem::remove_all(dir);
  clear_registered_secretsForTest();
}

TEST(Config, UnreadablePasswordFileIsAnError) {
  auto r = parse_toml(std::string(kMinimal) + "[smtp]\nurl = \"smtp://127.0.0.1:25\"\nfrom = \"a@b\"\npassword_file = \"/nonexistent/pw\"\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(messages(r)[0].rfind("/etc/complyd/complyd.toml:6:17: smtp.password_file: cannot open", 0), 0u)
      << messages(r)[0];
}

TEST(Config, MissingFileIsReported) {
  auto r = load_config("/nonexistent/complyd.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problems[0].to_string(), "/nonexistent/complyd.toml:1:1: cannot open '/nonexistent/complyd.toml': No such file or directory");
}

// Found by the config fuzzer: a prefix containing "{prefix}" made the
// template's expansion loop forever (`config check` and the daemon hung).
TEST(Config, APrefixThatContainsThePrefixPlaceholderIsExpandedOnce) {
  for (const char* type : {"aws-secrets-manager", "vault"}) {
    const std::string extra = std::string(type) == "vault" ? "url = \"https://vault.example\"\ntoken_file = \"/nonexistent\"\n"
                                                        : "region = \"eu-west-1\"\n";
    auto r = parse_toml(std::string(kMinimal) + "[[sources]]\nname = \"s\"\ntype = \"" + type + "\"\n" + extra +
                        "prefix = \"{prefix}/{prefix}\"\n");
    // Whatever else the table lacks, the answer comes back.
    for (const auto& m : messages(r)) EXPECT_EQ(m.find("prefix: "), std::string::npos) << m;
  }
}

TEST(Config, ReportDefaultOwnerIsOneLine) {
  auto ok = parse_toml(std::string(kMinimal) + "[report]\ndefault_owner = \"secops@partner.example\"\n");
  ASSERT_TRUE(ok.ok()) << ::testing::PrintToString(messages(ok));
  EXPECT_EQ(ok.config->report.default_owner, "secops@partner.example");
  EXPECT_EQ(parse_toml(kMinimal).config->report.default_owner, "") << "no owner unless configured";
  auto bad = parse_toml(std::string(kMinimal) + "[report]\ndefault_owner = \"a\\nb\"\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(messages(bad)[0].find("complyd.toml:"), std::string::npos);
  EXPECT_NE(messages(bad)[0].find("report.default_owner must be one line"), std::string::npos) << messages(bad)[0];
  auto unknown = parse_toml(std::string(kMinimal) + "[report]\nowner = \"x\"\n");
  EXPECT_FALSE(unknown.ok()) << "an unknown key in [report] is an error";
}

}  // namespace
}  // namespace complyd
