// SPDX-License-Identifier: Apache-2.0
// The leak detector: each kind found, placeholders and look-alikes not, and
// no excerpt ever holding the value (canary values, asserted absent).
#include <gtest/gtest.h>

#include <algorithm>

#include "checks/leak_patterns.hpp"
#include "daemon/log/redact.hpp"

namespace complyd {
namespace {

// High-entropy canaries: what a real token looks like, and easy to search for.
const std::string kTok = "CANARYq8Zt3LmX9vR2pK7wY4nB6jH1sD5f";      // 34 chars
const std::string kB64 = "CANARYx4N9qLw2Zp8Rk5Tj7Vb3Hm6Ys1Fd0Gc+/=";  // 40 chars, base64 alphabet
const std::string kPemHead = "-----BEGIN RSA PRIVATE KEY-----";     // tests only; assembled at runtime elsewhere

struct Case {
  const char* name;
  std::string text;
  bool is_log;
  std::vector<LeakKind> kinds;  // expected hits in line order; empty: nothing
  std::string excerpt;          // expected excerpt of the first hit, if not empty
};

std::vector<LeakHit> scan(const std::string& text, bool is_log = false) {
  LeakScanOptions o;
  o.is_log = is_log;
  o.ignore_email_domains = {"partner.example.com"};
  return scan_text(text, "f.log", 1, o);
}

// Every 8-character piece of `value` must be absent from `text`.
void expect_no_piece_of(const std::string& value, const std::string& text, const char* what) {
  if (value.size() < 8) return;
  for (std::size_t i = 0; i + 8 <= value.size(); ++i) {
    EXPECT_EQ(text.find(value.substr(i, 8)), std::string::npos) << what << ": '" << text << "' holds part of the value";
  }
}

class Detect : public ::testing::TestWithParam<Case> {};

TEST_P(Detect, Kinds) {
  const auto& tc = GetParam();
  auto hits = scan(tc.text, tc.is_log);
  std::vector<LeakKind> got;
  for (const auto& h : hits) got.push_back(h.kind);
  std::vector<std::string> names;
  for (auto k : got) names.emplace_back(to_string(k));
  ASSERT_EQ(got, tc.kinds) << tc.name << ": got " << ::testing::PrintToString(names);
  if (!tc.excerpt.empty()) {
    EXPECT_EQ(hits.at(0).excerpt, tc.excerpt);
  }
  for (const auto& h : hits) {
    for (const auto& v : {kTok, kB64}) expect_no_piece_of(v, h.excerpt, tc.name);
    EXPECT_EQ(h.excerpt.find("CANARY"), std::string::npos) << h.excerpt;
    EXPECT_EQ(h.excerpt.find("4111"), std::string::npos) << h.excerpt;
    EXPECT_EQ(h.excerpt.find('@'), std::string::npos) << h.excerpt;
    // The project's redactor leaves an excerpt as it is: it is already masked.
    EXPECT_EQ(redact(h.excerpt), h.excerpt);
  }
}

using K = LeakKind;

INSTANTIATE_TEST_SUITE_P(
    Positives, Detect,
    ::testing::Values(
        Case{"bearer header", "GET /api Authorization: Bearer " + kTok, false, {K::bearer_token},
             "Bearer [REDACTED] (34 chars)"},
        Case{"bearer in JSON", R"({"headers":{"Authorization":"Bearer )" + kTok + R"("}})", true, {K::bearer_token}},
        Case{"securityToken JSON", R"({"securityToken": ")" + kB64 + R"("})", false, {K::token_assignment},
             "securityToken=[REDACTED] (40 chars)"},
        Case{"apiKey YAML", "apiKey: " + kTok, false, {K::token_assignment}, "apiKey=[REDACTED] (34 chars)"},
        Case{"api_key env", "RAISE_API_KEY=" + kTok, false, {K::token_assignment}},
        Case{"x-api-key header", "x-api-key: " + kTok, false, {K::token_assignment}},
        Case{"plain token", "token=" + kTok, false, {K::token_assignment}},
        Case{"password", "password = '" + kTok + "'", false, {K::token_assignment}},
        Case{"secret in query", "GET /cb?client_secret=" + kTok + "&state=1", true, {K::token_assignment}},
        Case{"basic authorization", "Authorization: Basic " + kB64, false, {K::token_assignment},
             "Authorization: Basic [REDACTED] (40 chars)"},
        Case{"RSA private key", kPemHead + "\nMIIEowIBAAKCAQEA", false, {K::private_key}, "[private key block: RSA]"},
        Case{"PKCS8 private key", "-----BEGIN PRIVATE KEY-----", false, {K::private_key}, "[private key block]"},
        Case{"OpenSSH private key", "x\n-----BEGIN OPENSSH PRIVATE KEY-----\n", false, {K::private_key}},
        Case{"PGP private key", "-----BEGIN PGP PRIVATE KEY BLOCK-----", false, {K::private_key}},
        Case{"card grouped by spaces", "card 4111 1111 1111 1111 exp 12/28", false, {K::card_number},
             "[PAN, Luhn-valid, 16 digits]"},
        Case{"card grouped by dashes", "pan=4111-1111-1111-1111", false, {K::card_number}},
        Case{"card ungrouped", "cardNumber: 5555555555554444", false, {K::card_number}},
        Case{"amex 4-6-5", "amex 3782 822463 10005.", false, {K::card_number}, "[PAN, Luhn-valid, 15 digits]"},
        Case{"card after a date", "2026-11-22 4111 1111 1111 1111", false, {K::card_number}},
        Case{"card beside an order id", "order 12345 4111111111111111", false, {K::card_number}},
        Case{"card then expiry", "4111 1111 1111 1111 12/27", false, {K::card_number}},
        Case{"donor e-mail in a log", "synced contact: jane.donor@example.net Jane", true, {K::donor_email},
             "[e-mail address]"},
        Case{"kubernetes env entry", "env:\n  - name: RAISE_API_TOKEN\n    value: \"" + kTok + "\"\n", false,
             {K::token_assignment}, "RAISE_API_TOKEN=[REDACTED] (34 chars)"},
        Case{"kubernetes env entry unquoted", "- name: 'WEBHOOK_SECRET'\n  value: " + kB64, false,
             {K::token_assignment}},
        Case{"compose environment list", "environment:\n  - RAISE_API_TOKEN=" + kTok, false, {K::token_assignment}},
        Case{"compose environment map", "environment:\n  RAISE_API_TOKEN: \"" + kTok + "\"", false,
             {K::token_assignment}},
        Case{"pretty-printed JSON", "{\n  \"api_token\":\n    \"" + kTok + "\",\n  \"id\": 3\n}", false,
             {K::token_assignment}, "api_token=[REDACTED] (34 chars)"},
        Case{"YAML key then value", "client_secret:\n  " + kB64 + "\n", false, {K::token_assignment}},
        Case{"YAML block scalar", "webhook_secret: |\n  " + kTok + "\nnext: 1", false, {K::token_assignment}},
        Case{"several kinds on one line", "Bearer " + kTok + " card 4111111111111111 by jane@example.org", true,
             {K::bearer_token, K::card_number, K::donor_email}}),
    [](const auto& info) {
      std::string n = info.param.name;
      std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
      return n;
    });

INSTANTIATE_TEST_SUITE_P(
    Negatives, Detect,
    ::testing::Values(
        Case{"short token", "token=abc", true, {}},
        Case{"changeme", "password=changeme", true, {}},
        Case{"low entropy long value", "secret: aaaaaaaabbbbbbbbaaaaaaaabbbbbbbb", true, {}},
        Case{"placeholder", "apiKey: your_api_key_here_please_0123", true, {}},
        Case{"example value", "token=EXAMPLE1234567890abcdefXYZ", true, {}},
        Case{"template variable", "secret=${WEBHOOK_SECRET}", true, {}},
        Case{"angle placeholder", "token: <paste-the-token-here>", true, {}},
        Case{"already redacted", R"({"securityToken": "[REDACTED]", "Authorization": "Bearer [REDACTED]"})", true, {}},
        Case{"masked", "password=********************", true, {}},
        Case{"env reference", "apiKey: process.env.RAISE_API_KEY", false, {}},
        Case{"env variable name", "token_var=RAISE_API_TOKEN_PRODUCTION", false, {}},
        Case{"secret file path", "password_file=/etc/complyd/smtp-password.txt", false, {}},
        Case{"token url", "token_url=https://auth.example.com/oauth2/v1/token", false, {}},
        Case{"timestamp value", "tokenUpdatedAt=2026-11-22T12:00:00.123456Z", true, {}},
        Case{"numeric value", "token_count=12345678901234567890", true, {}},
        Case{"fingerprint is not the secret",
             "secret_fingerprint=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", false, {}},
        Case{"bearer in prose", "uses Bearer authentication for every request", true, {}},
        Case{"token spanning lines", "token=\n" + kTok, false, {}},
        Case{"kubernetes valueFrom", "- name: RAISE_API_TOKEN\n  valueFrom:\n    secretKeyRef: {name: raise, key: "
             "token}", false, {}},
        Case{"kubernetes template value", "- name: RAISE_API_TOKEN\n  value: \"${RAISE_API_TOKEN}\"", false, {}},
        Case{"kubernetes file name entry", "- name: RAISE_TOKEN_FILE\n  value: /run/secrets/raise-token-v2", false,
             {}},
        Case{"key with a nested map", "tokens:\n  primary: EXAMPLE-see-vault\n", false, {}},
        Case{"key then a blank line", "api_token:\n\n" + kTok, false, {}},
        Case{"non-Luhn card", "card 4111 1111 1111 1112", true, {}},
        Case{"order id", "order 1763812684000123 amount 25.00", true, {}},
        Case{"Luhn-valid number that is no card", "ref 1234567812345670", true, {}},
        Case{"epoch milliseconds", "at=1763812800000 took=1763812800123ms", true, {}},
        Case{"timestamps", "2026-11-22 12:00:00.123 2026-11-22T12:00:00Z 20261122120000123", true, {}},
        Case{"uuid", "id 12345678-1234-1234-1234-123456789012", true, {}},
        Case{"long number containing a card", "41111111111111111234", true, {}},
        Case{"hex id", "trace=ab4111111111111111cd", true, {}},
        Case{"decimal", "total 4111111111111111.25", true, {}},
        Case{"odd grouping", "4111 11 111111 1111 1", true, {}},
        Case{"e-mail outside logs", "admin: jane.donor@example.net", false, {}},
        Case{"ignored domain", "sent to ops@partner.example.com and eu.ops@mail.partner.example.com", true, {}},
        Case{"role address", "from noreply@raisedonors.com", true, {}},
        Case{"asset name", "logo@2x.png", true, {}},
        Case{".env template text", "RAISE_API_TOKEN=your_raise_api_token_here", false, {}}),
    [](const auto& info) {
      std::string n = info.param.name;
      std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
      return n;
    });

TEST(LeakPatterns, LineNumbersStartAtFirstLine) {
  LeakScanOptions o;
  auto hits = scan_text("a\nb\ntoken=" + kTok + "\nc\n4111111111111111\n", "x.txt", 41, o);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].line, 43u);
  EXPECT_EQ(hits[0].file, "x.txt");
  EXPECT_EQ(hits[0].value_length, kTok.size());
  EXPECT_EQ(hits[1].line, 45u);
  EXPECT_EQ(hits[1].kind, LeakKind::card_number);
  EXPECT_EQ(hits[1].value_length, 16u);
}

TEST(LeakPatterns, SplitKeyHitIsOnTheValueLine) {
  LeakScanOptions o;
  const auto hits = scan_text("a: 1\n- name: RAISE_API_TOKEN\n  value: " + kTok + "\n", "f", 10, o);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].line, 12u);
}

// The files source reads complete lines in chunks: a key at the end of one
// chunk and its value at the start of the next are still joined.
TEST(LeakPatterns, SplitKeyAcrossChunks) {
  LeakScanOptions o;
  for (const bool env : {true, false}) {
    LeakPending pending;
    const std::string key_line = env ? "  - name: RAISE_API_TOKEN\n" : "  \"api_token\":\n";
    EXPECT_TRUE(scan_text("x: 1\n" + key_line, "f", 1, o, pending).empty());
    EXPECT_EQ(pending, (LeakPending{env ? "RAISE_API_TOKEN" : "api_token", env}));
    const auto hits = scan_text((env ? "    value: " : "    \"") + kTok + "\"\nz: 2\n", "f", 3, o, pending);
    ASSERT_EQ(hits.size(), 1u) << env;
    EXPECT_EQ(hits[0].line, 3u);
    EXPECT_EQ(hits[0].excerpt.find("CANARY"), std::string::npos);
    EXPECT_TRUE(pending.key.empty());
    // Without the context the value alone is nothing.
    EXPECT_TRUE(scan_text((env ? "    value: " : "    \"") + kTok + "\"\n", "f", 3, o).empty());
  }
  // A key line without its '\n' is a partial line, read again: nothing pending.
  LeakPending pending;
  scan_text("api_token:", "f", 1, o, pending);
  EXPECT_TRUE(pending.key.empty());
}

TEST(LeakPatterns, RepeatsOnOneLineAreCounted) {
  LeakScanOptions o;
  o.is_log = true;
  auto hits = scan_text("to a@example.org, b@example.org, c@example.org\n", "x.log", 1, o);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].occurrences, 3u);
}

TEST(LeakPatterns, ThresholdsAreOptions) {
  LeakScanOptions o;
  const std::string v = "Zq8xW3pL";  // 8 distinct characters: 3 bits each
  EXPECT_TRUE(scan_text("token=" + v, "f", 1, o).empty());
  o.min_value_length = 8;
  o.min_entropy_bits_per_char = 3.0;
  EXPECT_EQ(scan_text("token=" + v, "f", 1, o).size(), 1u);
  o.min_entropy_bits_per_char = 3.01;
  EXPECT_TRUE(scan_text("token=" + v, "f", 1, o).empty());
}

TEST(LeakPatterns, OptionsFromCheckParams) {
  LeakScanParams p;
  p.min_entropy_bits_per_char = 4.25;
  p.min_value_length = 24;
  p.ignore_email_domains = {"Partner.Example.COM"};
  auto o = leak_scan_options(p);
  EXPECT_DOUBLE_EQ(o.min_entropy_bits_per_char, 4.25);
  EXPECT_EQ(o.min_value_length, 24u);
  ASSERT_EQ(o.ignore_email_domains.size(), 1u);
  EXPECT_EQ(o.ignore_email_domains[0], "partner.example.com");
  auto d = leak_scan_options(LeakScanParams{});
  EXPECT_DOUBLE_EQ(d.min_entropy_bits_per_char, 3.5);
  EXPECT_EQ(d.min_value_length, 16u);
}

TEST(LeakPatterns, Entropy) {
  EXPECT_DOUBLE_EQ(shannon_entropy(""), 0.0);
  EXPECT_DOUBLE_EQ(shannon_entropy("aaaa"), 0.0);
  EXPECT_DOUBLE_EQ(shannon_entropy("abab"), 1.0);
  EXPECT_DOUBLE_EQ(shannon_entropy("abcdefgh"), 3.0);
  EXPECT_GT(shannon_entropy(kB64), 4.5);
  EXPECT_LT(shannon_entropy("changeme"), 3.0);
}

TEST(LeakPatterns, Luhn) {
  EXPECT_TRUE(luhn_valid("4111111111111111"));
  EXPECT_TRUE(luhn_valid("378282246310005"));
  EXPECT_TRUE(luhn_valid("79927398713"));
  EXPECT_FALSE(luhn_valid("4111111111111112"));
  EXPECT_FALSE(luhn_valid("79927398710"));
  EXPECT_FALSE(luhn_valid(""));
  EXPECT_FALSE(luhn_valid("4111-1111"));
}

TEST(LeakPatterns, EnvFiles) {
  for (const char* yes : {".env", ".env.local", ".env.production", "production.env"}) {
    EXPECT_TRUE(is_env_file_name(yes)) << yes;
  }
  for (const char* no : {".env.example", ".env.sample", ".env.template", ".env.local.example", "env", ".envrc",
                         "environment.txt", ".env.dist"}) {
    EXPECT_FALSE(is_env_file_name(no)) << no;
  }
  auto h = env_file_hit("/srv/app/.env");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->kind, LeakKind::env_file);
  EXPECT_EQ(h->line, 0u);
  EXPECT_EQ(h->file, "/srv/app/.env");
  EXPECT_FALSE(env_file_hit("/srv/app/.env.example").has_value());
}

TEST(LeakPatterns, LogRule) {
  for (const char* yes : {"/srv/worker.log", "/srv/worker.log.1", "/srv/worker.LOG", "/var/log/app/out.txt",
                          "/srv/app/logs/today.json", "logs/x"}) {
    EXPECT_TRUE(is_log_path(yes)) << yes;
  }
  for (const char* no : {"/srv/app/.env", "/srv/catalog.txt", "/srv/changelog.md", "/srv/blog/post.md", "/srv/logs"}) {
    EXPECT_FALSE(is_log_path(no)) << no;
  }
}

}  // namespace
}  // namespace complyd
