// [[sources]]: the keys every source shares, validated before a type's own.
#include <gtest/gtest.h>

#include "daemon/config/config.hpp"
#include "daemon/sources/registry.hpp"

namespace complyd {
namespace {

ConfigResult parse_sources(const std::string& text) {
  return parse_config("[inventory]\npath = \"inventory.db\"\n" + text, "/etc/complyd/complyd.toml");
}

std::string all(const ConfigResult& r) {
  std::string out;
  for (const auto& p : r.problems) out += p.to_string() + "\n";
  return out;
}

TEST(ConfigSources, NoSourcesIsValid) {
  auto r = parse_sources("");
  ASSERT_TRUE(r.ok()) << all(r);
  EXPECT_TRUE(r.config->sources.empty());
}

TEST(ConfigSources, NameAndTypeAreRequired) {
  auto r = parse_sources("[[sources]]\ntimeout = \"5s\"\n");
  EXPECT_FALSE(r.ok());
  const std::string m = all(r);
  EXPECT_NE(m.find("complyd.toml:3:1: sources[1]: 'name' is required"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[1]: 'type' is required"), std::string::npos) << m;
}

TEST(ConfigSources, UnknownTypeListsTheKnownOnes) {
  auto r = parse_sources("[[sources]]\nname = \"x\"\ntype = \"ldap\"\n");
  EXPECT_FALSE(r.ok());
  const std::string m = all(r);
  EXPECT_NE(m.find("complyd.toml:5:8: sources[1].type: unknown source type 'ldap' (known: "), std::string::npos) << m;
  for (const SourceType* t : source_types()) EXPECT_NE(m.find(std::string(t->type)), std::string::npos) << m;
}

TEST(ConfigSources, BadAndReservedAndDuplicateNames) {
  auto r = parse_sources(
      "[[sources]]\nname = \"Bad Name\"\ntype = \"ldap\"\n"
      "[[sources]]\nname = \"inventory\"\ntype = \"ldap\"\n");
  const std::string m = all(r);
  EXPECT_NE(m.find("sources[1].name: 'Bad Name' is not a source name"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[2].name: 'inventory' is reserved"), std::string::npos) << m;
}

TEST(ConfigSources, CommonKeysAreTypedAndRanged) {
  auto r = parse_sources(
      "[[sources]]\nname = \"a\"\ntype = \"ldap\"\ntimeout = \"10m\"\ndeadline = \"1m\"\nmax_attempts = 99\n"
      "retries = 3\napi_token = \"CANARY-inline-token\"\n");
  const std::string m = all(r);
  EXPECT_NE(m.find("sources[1].max_attempts: 99 is out of range (1 to 10)"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[1]: timeout must not exceed deadline"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key 'sources[1].retries' in [sources[1]]"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[1].api_token: secrets are not accepted inline"), std::string::npos) << m;
  EXPECT_EQ(m.find("CANARY"), std::string::npos) << m;
}

TEST(ConfigSources, SourcesMustBeAnArrayOfTables) {
  auto r = parse_config("sources = \"vault\"\n[inventory]\npath = \"i.db\"\n", "/etc/complyd/complyd.toml");
  const std::string m = all(r);
  EXPECT_NE(m.find("sources: expected [[sources]] tables"), std::string::npos) << m;
}

}  // namespace
}  // namespace complyd
