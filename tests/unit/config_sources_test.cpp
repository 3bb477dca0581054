// SPDX-License-Identifier: Apache-2.0
// [[sources]]: the keys every source shares, validated before a type's own.
#include <gtest/gtest.h>

#include "daemon/config/config.hpp"
#include "daemon/sources/registry.hpp"

namespace complyd {
namespace {

ConfigResult parse_sources(const std::string& text) {
  return parse_config("[inventory]\npath = \"inventory.db\"\n" + text, "/etc/complyd/complyd.toml");
}

std::string cs_all(const ConfigResult& r) {
  std::string out;
  for (const auto& p : r.problems) out += p.to_string() + "\n";
  return out;
}

TEST(ConfigSources, NoSourcesIsValid) {
  auto r = parse_sources("");
  ASSERT_TRUE(r.ok()) << cs_all(r);
  EXPECT_TRUE(r.config->sources.empty());
}

TEST(ConfigSources, NameAndTypeAreRequired) {
  auto r = parse_sources("[[sources]]\ntimeout = \"5s\"\n");
  EXPECT_FALSE(r.ok());
  const std::string m = cs_all(r);
  EXPECT_NE(m.find("complyd.toml:3:1: sources[1]: 'name' is required"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[1]: 'type' is required"), std::string::npos) << m;
}

TEST(ConfigSources, UnknownTypeListsTheKnownOnes) {
  auto r = parse_sources("[[sources]]\nname = \"x\"\ntype = \"ldap\"\n");
  EXPECT_FALSE(r.ok());
  const std::string m = cs_all(r);
  EXPECT_NE(m.find("complyd.toml:5:8: sources[1].type: unknown source type 'ldap' (known: "), std::string::npos) << m;
  for (const SourceType* t : source_types()) EXPECT_NE(m.find(std::string(t->type)), std::string::npos) << m;
}

TEST(ConfigSources, BadAndReservedAndDuplicateNames) {
  auto r = parse_sources(
      "[[sources]]\nname = \"Bad Name\"\ntype = \"ldap\"\n"
      "[[sources]]\nname = \"inventory\"\ntype = \"ldap\"\n");
  const std::string m = cs_all(r);
  EXPECT_NE(m.find("sources[1].name: 'Bad Name' is not a source name"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[2].name: 'inventory' is reserved"), std::string::npos) << m;
}

TEST(ConfigSources, CommonKeysAreTypedAndRanged) {
  auto r = parse_sources(
      "[[sources]]\nname = \"a\"\ntype = \"ldap\"\ntimeout = \"10m\"\ndeadline = \"1m\"\nmax_attempts = 99\n"
      "retries = 3\napi_token = \"CANARY-inline-token\"\n");
  const std::string m = cs_all(r);
  EXPECT_NE(m.find("sources[1].max_attempts: 99 is out of range (1 to 10)"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[1]: timeout must not exceed deadline"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key 'sources[1].retries' in [sources[1]]"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[1].api_token: secrets are not accepted inline"), std::string::npos) << m;
  EXPECT_EQ(m.find("CANARY"), std::string::npos) << m;
}

TEST(ConfigSources, SourcesMustBeAnArrayOfTables) {
  auto r = parse_config("sources = \"vault\"\n[inventory]\npath = \"i.db\"\n", "/etc/complyd/complyd.toml");
  const std::string m = cs_all(r);
  EXPECT_NE(m.find("sources: expected [[sources]] tables"), std::string::npos) << m;
}

// Every table and inline table rejects an unknown key, at every depth, with
// its position (issue 15): one typo per depth, the rest of the text valid.
struct DepthCase {
  const char* name;
  std::string toml;
  std::string expected;
};
class UnknownKeyAtDepth : public ::testing::TestWithParam<DepthCase> {};
TEST_P(UnknownKeyAtDepth, IsAnErrorWithItsPosition) {
  auto r = parse_sources(GetParam().toml);
  EXPECT_FALSE(r.ok());
  const std::string m = cs_all(r);
  EXPECT_NE(m.find(GetParam().expected), std::string::npos) << m;
}
INSTANTIATE_TEST_SUITE_P(
    Depths, UnknownKeyAtDepth,
    ::testing::Values(
        DepthCase{"inventory", "colour = 1\n", "complyd.toml:3:1: unknown key 'inventory.colour' in [inventory]"},
        DepthCase{"http", "[http]\nlisten_on = \"x\"\n", "complyd.toml:4:1: unknown key 'http.listen_on'"},
        DepthCase{"files", "[files]\npaths = [\"/srv\"]\nexclde = []\n", "complyd.toml:5:1: unknown key 'files.exclde'"},
        DepthCase{"smtp", "[smtp]\nurl = \"smtp://127.0.0.1:25\"\nfrom = \"a@b\"\ntimout = \"5s\"\n",
                  "complyd.toml:6:1: unknown key 'smtp.timout'"},
        DepthCase{"alerts_recipients", "[alerts.recipients]\nhihg = [\"a@b.example\"]\n",
                  "complyd.toml:4:1: alerts.recipients.hihg: not a severity"},
        DepthCase{"reminders", "[reminders]\nkind = [\"api_token\"]\n", "complyd.toml:4:1: unknown key 'reminders.kind'"},
        DepthCase{"source", "[[sources]]\nname = \"w\"\ntype = \"files\"\npaths = [\"/srv\"]\npath = \"x\"\n",
                  "complyd.toml:7:1: unknown key 'sources[1].path'"},
        DepthCase{"source_inline_table",
                  "[[sources]]\nname = \"w\"\ntype = \"files\"\nretention = [ { path = \"l\", data_class = \"d\", "
                  "custmer_id = \"c\" } ]\n",
                  "complyd.toml:6:47: unknown key 'sources[1].retention[1].custmer_id'"},
        DepthCase{"check", "[checks.credential-age]\nmaxage = \"1d\"\n", "complyd.toml:4:1: unknown key 'checks.credential-age.maxage'"},
        DepthCase{"check_inline_table", "[checks.credential-age]\nmax_age = { api_tokn = \"90d\" }\n",
                  "complyd.toml:4:13: unknown key 'checks.credential-age.max_age.api_tokn' (known: api_token, "},
        DepthCase{"check_sub_table", "[checks.rotation-leftover.grace]\nwebhook_secrt = \"1h\"\n",
                  "complyd.toml:4:1: unknown key 'checks.rotation-leftover.grace.webhook_secrt'"}),
    [](const auto& info) { return std::string(info.param.name); });

// A credential kind complyd does not know is accepted once declared.
TEST(ConfigSources, ANewKindIsAcceptedOnceDeclared) {
  auto r = parse_sources("[checks.rotation-leftover]\nnew_kinds = [\"ssh_key\"]\ngrace = { ssh_key = \"2d\", "
                         "oauth_refresh_token = \"1d\" }\n");
  ASSERT_TRUE(r.ok()) << cs_all(r);
}

}  // namespace
}  // namespace complyd
