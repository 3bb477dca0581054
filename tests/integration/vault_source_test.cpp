// SPDX-License-Identifier: Apache-2.0
// The vault source against a scripted KV v2 server (StubHttpServer) that
// answers the documented shapes: LIST metadata {"data":{"keys":[...]}} with
// folders ending in '/', 404 for an empty folder, GET metadata with the
// versions map, sys/audit, and {"errors":["permission denied"]} 403s.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "daemon/config/config.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/sources/vault_source.hpp"
#include "daemon/util/crypto.hpp"
#include "model/time.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/source_fixture.hpp"
#include "tests/integration/stub_http.hpp"
#include "daemon/sources/registry.hpp"

namespace complyd {
namespace {

using itest::kNow;

using itest::StubHttpServer;
using itest::StubRequest;
using itest::StubResponse;
using itest::TempDir;
using nlohmann::json;

const std::string kToken = "CANARY-vault-token-5e1f0c";

struct Version {
  std::string created;
  std::string deleted;  // deletion_time, "" when live
  bool destroyed = false;
};

json metadata(const std::string& created, const std::vector<Version>& versions, json custom = nullptr) {
  json v = json::object();
  for (std::size_t i = 0; i < versions.size(); ++i) {
    v[std::to_string(i + 1)] = {{"created_time", versions[i].created},
                                {"deletion_time", versions[i].deleted},
                                {"destroyed", versions[i].destroyed}};
  }
  return {{"cas_required", false},
          {"created_time", created},
          {"current_version", versions.size()},
          {"custom_metadata", custom},
          {"delete_version_after", "0s"},
          {"max_versions", 0},
          {"oldest_version", 0},
          {"updated_time", versions.empty() ? created : versions.back().created},
          {"versions", v}};
}

// KV v2 at mount "secret" plus sys/audit, from a map of secret paths.
struct FakeVault {
  std::map<std::string, json> secrets;      // path under the mount -> metadata "data"
  std::map<std::string, std::string> values;  // path -> the "value" field of the latest version
  json audit = {{"file/", {{"type", "file"}, {"description", ""}, {"path", "file/"}}}};
  int audit_status = 200;
  // Answers first when it returns a response (faults, delays).
  std::function<std::optional<StubResponse>(const StubRequest&)> fault;

  StubResponse operator()(const StubRequest& r) {
    if (fault) {
      if (auto f = fault(r)) return *f;
    }
    if (r.header("x-vault-token") != kToken) return {403, R"({"errors":["permission denied"]})"};
    const std::string p = r.path();
    if (p == "/v1/sys/audit") {
      if (audit_status != 200) return {audit_status, R"({"errors":["permission denied"]})"};
      json j = audit;
      j["data"] = audit;
      j["request_id"] = "a1";
      return {200, j.dump()};
    }
    const std::string meta = "/v1/secret/metadata/", data = "/v1/secret/data/";
    if (r.method == "LIST" && p.starts_with(meta)) {
      const std::string dir = p.substr(meta.size());
      std::set<std::string> keys;
      for (const auto& [path, _] : secrets) {
        if (!path.starts_with(dir)) continue;
        const std::string rest = path.substr(dir.size());
        const auto slash = rest.find('/');
        keys.insert(slash == std::string::npos ? rest : rest.substr(0, slash + 1));
      }
      if (keys.empty()) return {404, R"({"errors":[]})"};
      return {200, json{{"request_id", "r"}, {"data", {{"keys", keys}}}}.dump()};
    }
    if (r.method == "GET" && p.starts_with(meta)) {
      auto it = secrets.find(p.substr(meta.size()));
      if (it == secrets.end()) return {404, R"({"errors":[]})"};
      return {200, json{{"data", it->second}}.dump()};
    }
    if (r.method == "GET" && p.starts_with(data)) {
      auto it = values.find(p.substr(data.size()));
      if (it == values.end()) return {404, R"({"errors":[]})"};
      json fields = {{"note", "CANARY-other-field"}};
      if (!it->second.empty()) fields["value"] = it->second;  // "": a secret without the field
      return {200, json{{"data", {{"data", fields},
                                  {"metadata", {{"version", 1}}}}}}
                       .dump()};
    }
    return {404, R"({"errors":[]})"};
  }
};

class VaultSourceTest : public ::testing::Test {
 protected:
  void SetUp() override { itest::write_file(dir_ / "token", kToken + "\n"); }

  ConfigResult parse(const std::string& url, const std::string& extra = "") {
    const std::string text = "[inventory]\npath = \"inventory.db\"\n[[sources]]\nname = \"vault-prod\"\ntype = "
                             "\"vault\"\nurl = \"" + url + "\"\ntoken_file = \"" + (dir_ / "token").string() +
                             "\"\nprefix = \"raise\"\n" +
                             (extra.find("timeout =") == std::string::npos ? "timeout = \"2s\"\n" : "") +
                             (extra.find("max_attempts =") == std::string::npos ? "max_attempts = 3\n" : "") + extra;
    return parse_config(text, dir_ / "complyd.toml");
  }

  std::unique_ptr<VaultSource> source(const std::string& url, const std::string& extra = "") {
    auto r = parse(url, extra);
    config_ = itest::loaded(r);
    return std::make_unique<VaultSource>(config_.sources.at(0), sleeps_.fn());
  }

  std::string thrown(VaultSource& s) { return itest::source_error(s, kNow); }

  TempDir dir_;
  Config config_;
  itest::Sleeps sleeps_;
};

FakeVault population() {
  FakeVault v;
  v.secrets["raise/production/c1/api_token"] =
      metadata("2026-01-01T10:00:00.123456789Z",
               {{"2026-01-01T10:00:00.123456789Z"},
                {"2026-05-01T10:00:00Z", "2026-05-02T10:00:00Z"},  // soft-deleted: still stored
                {"2026-06-01T10:00:00Z", "", true},                // destroyed: gone
                {"2026-08-01T10:00:00.5Z"}},
               {{"last_used_at", "2026-11-21T08:00:00Z"}});
  v.secrets["raise/sandbox/c2/webhook-secret"] =
      metadata("2026-11-01T00:00:00Z", {{"2026-11-01T00:00:00Z"}}, {{"environment", "staging"}, {"role", "pending"}});
  v.secrets["raise/production/c3/ssh_key"] = metadata("2026-11-01T00:00:00Z", {{"2026-11-01T00:00:00Z"}});
  v.secrets["raise/production/stray"] = metadata("2026-11-01T00:00:00Z", {{"2026-11-01T00:00:00Z"}});
  v.secrets["raise/production/c1/old/api_token"] = metadata("2026-11-01T00:00:00Z", {{"2026-11-01T00:00:00Z"}});
  v.secrets["other/production/c9/api_token"] = metadata("2026-11-01T00:00:00Z", {{"2026-11-01T00:00:00Z"}});
  return v;
}

const Credential* find(const Facts& f, const std::string& path) {
  for (const auto& c : f.credentials)
    if (c.storage_path == path) return &c;
  return nullptr;
}

TEST_F(VaultSourceTest, MapsVersionsMetadataAndNestedFolders) {
  FakeVault vault = population();
  StubHttpServer srv(std::ref(vault));
  auto src = source(srv.url(), "namespace = \"partners\"\n");
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);

  ASSERT_EQ(f.credentials.size(), 4u) << ::testing::PrintToString(problems);
  const Credential* cur = find(f, "raise/production/c1/api_token");
  ASSERT_NE(cur, nullptr);
  EXPECT_EQ(cur->role, CredentialRole::current);
  EXPECT_EQ(cur->customer_id, "c1");
  EXPECT_EQ(cur->kind, "api_token");
  EXPECT_EQ(cur->environment, "production");
  EXPECT_EQ(cur->created_at, parse_time("2026-01-01T10:00:00Z"));
  EXPECT_EQ(cur->rotated_at, parse_time("2026-08-01T10:00:00Z"));
  EXPECT_EQ(cur->last_used_at, parse_time("2026-11-21T08:00:00Z"));
  EXPECT_TRUE(cur->fingerprint.empty());

  const Credential* v1 = find(f, "raise/production/c1/api_token?version=1");
  ASSERT_NE(v1, nullptr);
  EXPECT_EQ(v1->role, CredentialRole::previous);
  EXPECT_EQ(v1->rotated_at, parse_time("2026-01-01T10:00:00Z"));
  const Credential* v2 = find(f, "raise/production/c1/api_token?version=2");
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ(v2->role, CredentialRole::revoked);
  EXPECT_EQ(find(f, "raise/production/c1/api_token?version=3"), nullptr);

  const Credential* wh = find(f, "raise/sandbox/c2/webhook-secret");
  ASSERT_NE(wh, nullptr);
  EXPECT_EQ(wh->kind, "webhook_secret");
  EXPECT_EQ(wh->environment, "staging");
  EXPECT_EQ(wh->role, CredentialRole::pending);

  // Unusable names are problems, each with its path, never failures.
  ASSERT_EQ(problems.size(), 3u) << ::testing::PrintToString(problems);
  const std::string all = ::testing::PrintToString(problems);
  EXPECT_NE(all.find("path raise/production/c1/old/: a folder deeper than path_template"), std::string::npos) << all;
  EXPECT_NE(all.find("path raise/production/c3/ssh_key: 'ssh_key' is not a known credential name"), std::string::npos);
  EXPECT_NE(all.find("path raise/production/stray: does not match path_template "
                     "'{prefix}/{environment}/{customer_id}/{name}'"),
            std::string::npos);

  ASSERT_EQ(f.secret_stores.size(), 1u);
  EXPECT_TRUE(f.secret_stores[0].audit_enabled);
  EXPECT_EQ(f.secret_stores[0].devices, std::vector<std::string>{"file/ (file)"});
  EXPECT_EQ(f.secret_stores[0].source, "vault-prod");

  // Listing starts at the template's literal start and never reads values.
  std::size_t lists = 0;
  for (const auto& r : srv.requests()) {
    EXPECT_EQ(r.header("x-vault-namespace"), "partners");
    EXPECT_FALSE(r.path().starts_with("/v1/secret/data/")) << r.target;
    EXPECT_FALSE(r.path().starts_with("/v1/secret/metadata/other")) << r.target;
    lists += r.method == "LIST";
  }
  EXPECT_EQ(lists, 6u);  // raise/, production/, sandbox/, c1/, c2/, c3/
  EXPECT_EQ(srv.requests()[0].path(), "/v1/sys/audit");
  EXPECT_EQ(src->secrets_read(), 2u);
}

TEST_F(VaultSourceTest, ProvidesCredentialsAndSecretStores) {
  StubHttpServer srv([](const StubRequest&) { return StubResponse{404, "{}"}; });
  EXPECT_EQ(source(srv.url())->provides(), (std::vector<FactKind>{FactKind::credentials, FactKind::secret_stores}));
  EXPECT_EQ(source(srv.url(), "check_audit_devices = false\n")->provides(),
            std::vector<FactKind>{FactKind::credentials});
}

TEST_F(VaultSourceTest, EmptyMountIsNoCredentialsNotAFailure) {
  FakeVault vault;
  StubHttpServer srv(std::ref(vault));
  auto src = source(srv.url());
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  EXPECT_TRUE(f.credentials.empty());
  EXPECT_TRUE(problems.empty());
}

TEST_F(VaultSourceTest, WrongTokenNamesTokenFileAndPolicyWithoutTheToken) {
  FakeVault vault = population();
  vault.fault = [](const StubRequest& r) -> std::optional<StubResponse> {
    if (r.method == "LIST") return StubResponse{403, R"({"errors":["permission denied"]})"};
    return std::nullopt;
  };
  StubHttpServer srv(std::ref(vault));
  auto src = source(srv.url());
  const std::string msg = thrown(*src);
  EXPECT_NE(msg.find("vault-prod: LIST secret/metadata/raise/: authentication refused (HTTP 403)"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("token_file"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"secret/metadata/raise/*\""), std::string::npos) << msg;
  EXPECT_EQ(msg.find(kToken), std::string::npos);
  EXPECT_EQ(redact(std::string("x ") + kToken).find(kToken), std::string::npos);  // registered when read
}

TEST_F(VaultSourceTest, PermissionDeniedOnSysAuditIsAProblemAndUnknown) {
  FakeVault vault = population();
  vault.audit_status = 403;
  StubHttpServer srv(std::ref(vault));
  auto src = source(srv.url());
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  EXPECT_EQ(f.credentials.size(), 4u);
  ASSERT_EQ(f.secret_stores.size(), 1u);
  EXPECT_FALSE(f.secret_stores[0].checked);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("sys/audit: permission denied (HTTP 403)"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("\"sudo\""), std::string::npos) << problems[0];
}

TEST_F(VaultSourceTest, NoAuditDeviceIsReported) {
  FakeVault vault = population();
  vault.audit = json::object();
  StubHttpServer srv(std::ref(vault));
  auto src = source(srv.url());
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  ASSERT_EQ(f.secret_stores.size(), 1u);
  EXPECT_TRUE(f.secret_stores[0].checked);
  EXPECT_FALSE(f.secret_stores[0].audit_enabled);
  EXPECT_TRUE(f.secret_stores[0].devices.empty());
}

TEST_F(VaultSourceTest, Retries429WithRetryAfterAnd500ThenSucceeds) {
  FakeVault vault = population();
  int lists = 0, gets = 0;
  vault.fault = [&](const StubRequest& r) -> std::optional<StubResponse> {
    if (r.method == "LIST" && lists++ == 1) return StubResponse{429, "{}", {{"Retry-After", "7"}}};
    if (r.method == "GET" && r.path().starts_with("/v1/secret/metadata/") && gets++ == 0)
      return StubResponse{500, R"({"errors":["internal error"]})"};
    return std::nullopt;
  };
  StubHttpServer srv(std::ref(vault));
  auto src = source(srv.url(), "retry_initial = \"1s\"\n");
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  EXPECT_EQ(f.credentials.size(), 4u);
  ASSERT_EQ(sleeps_.waits.size(), 2u);
  EXPECT_EQ(sleeps_.waits[0], std::chrono::milliseconds(7000));  // Retry-After honoured
  EXPECT_EQ(sleeps_.waits[1], std::chrono::milliseconds(1000));  // backoff after the 500
}

TEST_F(VaultSourceTest, PersistentServerErrorsAndTimeoutsFailTheSource) {
  FakeVault vault = population();
  vault.fault = [](const StubRequest& r) -> std::optional<StubResponse> {
    if (r.method == "GET" && r.path().ends_with("/c2/webhook-secret")) return StubResponse{503, "down"};
    return std::nullopt;
  };
  StubHttpServer srv(std::ref(vault));
  auto src = source(srv.url());
  const std::string down = thrown(*src);
  EXPECT_NE(down.find("GET secret/metadata/raise/sandbox/c2/webhook-secret (4 of 4): HTTP 503 after 3 attempts"),
            std::string::npos)
      << down;

  FakeVault slow = population();
  slow.fault = [](const StubRequest& r) -> std::optional<StubResponse> {
    if (r.method == "LIST") return StubResponse{200, "{}", {}, std::chrono::milliseconds(1500)};
    return std::nullopt;
  };
  StubHttpServer slow_srv(std::ref(slow));
  auto slow_src = source(slow_srv.url(), "timeout = \"1s\"\nmax_attempts = 2\n" );
  const std::string msg = thrown(*slow_src);
  EXPECT_NE(msg.find("timed out"), std::string::npos) << msg;
}

// A page that fails mid-walk fails the whole source: collect_facts keeps
// nothing of what it had read.
TEST_F(VaultSourceTest, TruncatedOrMalformedResponseMidWalkLeavesNoPartialFacts) {
  for (const bool truncated : {true, false}) {
    FakeVault vault = population();
    vault.fault = [&](const StubRequest& r) -> std::optional<StubResponse> {
      if (r.method == "GET" && r.path().ends_with("/c2/webhook-secret")) {
        StubResponse bad{200, R"({"data":{"created_time":"2026-11-01T00:00:00Z","versions":{"1":)"};
        if (truncated) {
          bad.body = json{{"data", vault.secrets["raise/sandbox/c2/webhook-secret"]}}.dump();
          bad.truncate_at = 20;
        }
        return bad;
      }
      return std::nullopt;
    };
    StubHttpServer srv(std::ref(vault));
    std::vector<std::unique_ptr<Source>> sources;
    sources.push_back(source(srv.url(), "max_attempts = 1\n"));
    const Facts f = collect_facts(sources, kNow);
    ASSERT_EQ(f.sources.size(), 1u);
    EXPECT_FALSE(f.sources[0].ok);
    EXPECT_TRUE(f.credentials.empty());
    EXPECT_TRUE(f.secret_stores.empty());
    // The path ends in "secret": the message must survive redaction readable.
    EXPECT_NE(f.sources[0].error.find(truncated ? "webhook-secret (4 of 4): the connection broke mid-response"
                                                : "webhook-secret (4 of 4): malformed or truncated JSON (at byte"),
              std::string::npos)
        << f.sources[0].error;
  }
}

TEST_F(VaultSourceTest, FingerprintModeHashesWithTheKeyAndKeepsNoValue) {
  const std::string key = "CANARY-fingerprint-key-91d2";
  const std::string value = "CANARY-value-8c1e44b0a9f2d3c7e5b1a0f9d8c7b6a5";
  itest::write_file(dir_ / "fp.key", key);
  FakeVault vault = population();
  vault.values["raise/production/c1/api_token"] = value;
  vault.values["raise/sandbox/c2/webhook-secret"] = "";
  StubHttpServer srv(std::ref(vault));
  auto src = source(srv.url(), "fingerprint = true\nfingerprint_key_file = \"" + (dir_ / "fp.key").string() + "\"\n");
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  const Credential* cur = find(f, "raise/production/c1/api_token");
  ASSERT_NE(cur, nullptr);
  EXPECT_EQ(cur->fingerprint, hmac_sha256_hex(key, value));  // comparable with the inventory's
  ASSERT_TRUE(cur->entropy_bytes.has_value());
  EXPECT_NEAR(*cur->entropy_bytes, estimate_entropy_bytes(value), 1e-9);
  // The pending webhook secret has no value in the stub: a problem, not a failure.
  const std::string all = ::testing::PrintToString(problems);
  EXPECT_NE(all.find("path raise/sandbox/c2/webhook-secret: no string field 'value'"), std::string::npos) << all;
  // Only current versions are read.
  std::size_t data_reads = 0;
  for (const auto& r : srv.requests()) data_reads += r.path().starts_with("/v1/secret/data/");
  EXPECT_EQ(data_reads, 2u);
  // Nothing the source hands on carries the value, the other field or the key.
  std::string out = all;
  for (const auto& c : f.credentials) out += c.storage_path + std::string(c.fingerprint.prefix()) + c.kind + c.environment;
  for (const char* canary : {"CANARY-value", "CANARY-other-field", "CANARY-fingerprint-key"}) {
    EXPECT_EQ(out.find(canary), std::string::npos) << canary;
  }
}

TEST_F(VaultSourceTest, ConfigProblemsNameTheKey) {
  auto msgs = [](const ConfigResult& r) {
    std::string s;
    for (const auto& p : r.problems) s += p.to_string() + "\n";
    return s;
  };
  const std::string plain_http = msgs(parse("http://vault.example.com:8200"));
  EXPECT_NE(plain_http.find("url: must be https://"), std::string::npos) << plain_http;
  const std::string no_key = msgs(parse("https://vault.example.com", "fingerprint = true\n"));
  EXPECT_NE(no_key.find("fingerprint = true needs 'fingerprint_key_file'"), std::string::npos) << no_key;
  const std::string templ = msgs(parse("https://vault.example.com", "path_template = \"{prefix}/{customer}/{name}\"\n"));
  EXPECT_NE(templ.find("unknown placeholder {customer}"), std::string::npos) << templ;
  const std::string no_name = msgs(parse("https://vault.example.com", "path_template = \"{prefix}/{customer_id}\"\n"));
  EXPECT_NE(no_name.find("{customer_id} and {name} are required"), std::string::npos) << no_name;
  const std::string inline_token = msgs(parse("https://vault.example.com", "token = \"hvs.inline\"\n"));
  EXPECT_NE(inline_token.find("secrets are not accepted inline"), std::string::npos) << inline_token;
  EXPECT_EQ(inline_token.find("hvs.inline"), std::string::npos);
  const std::string kinds = msgs(parse("https://vault.example.com", "kinds = { \"api-key\" = \"API token\" }\n"));
  EXPECT_NE(kinds.find("expected a credential kind"), std::string::npos) << kinds;
  EXPECT_TRUE(parse("https://vault.example.com", "kinds = { \"raise-token\" = \"api_token\" }\n").ok());
}

TEST_F(VaultSourceTest, CustomTemplateAndKinds) {
  FakeVault vault;
  vault.secrets["kv-raise/cust_7/raise-token"] = metadata("2026-11-01T00:00:00Z", {{"2026-11-01T00:00:00Z"}});
  StubHttpServer srv(std::ref(vault));
  auto src = source(srv.url(), "path_template = \"kv-{prefix}/{customer_id}/{name}\"\n"
                               "kinds = { \"raise-token\" = \"api_token\" }\n");
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  ASSERT_EQ(f.credentials.size(), 1u) << ::testing::PrintToString(problems);
  EXPECT_EQ(f.credentials[0].customer_id, "cust_7");
  EXPECT_EQ(f.credentials[0].kind, "api_token");
  EXPECT_EQ(f.credentials[0].environment, "");
  EXPECT_EQ(srv.requests()[1].path(), "/v1/secret/metadata/kv-raise/");
}

// The real binary: a compliant demo inventory plus a vault source on the
// stub. The vault's metadata alone opens credential-age, rotation-leftover and
// audit-coverage; a stopped vault opens source-unavailable and keeps them open.
TEST(VaultEndToEnd, VaultFactsDriveFindingsAndAStoppedVaultKeepsThem) {
  TempDir dir;
  auto r = itest::run(dir, {"demo", dir.path().string(), "--compliant", "--now", itest::kDemoNow});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string config = (dir / "complyd.toml").string();
  r = itest::run(dir, {"audit", "--state", sim_state(dir), "--config", config, "--format", "json", "--now", itest::kDemoNow});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;  // the baseline is clean

  FakeVault vault;
  // cust_0001's token: last rotated 2026-04-01 (235 days before --now), its
  // version 1 never deleted; and no audit device.
  vault.secrets["partner/staging/cust_0001/api_token"] =
      metadata("2026-01-10T09:00:00.000000001Z", {{"2026-01-10T09:00:00Z"}, {"2026-04-01T09:00:00Z"}});
  vault.audit = json::object();
  auto srv = std::make_unique<StubHttpServer>(std::ref(vault));
  itest::write_file(dir / "vault.token", kToken + "\n");
  {
    std::ofstream out(config, std::ios::app);
    out << "\n[[sources]]\nname = \"vault-prod\"\ntype = \"vault\"\nurl = \"" << srv->url()
        << "\"\ntoken_file = \"vault.token\"\nprefix = \"partner\"\nmax_attempts = 1\nconnect_timeout = \"2s\"\n"
           "timeout = \"5s\"\n";
  }

  auto findings = [](const json& doc) {
    std::map<std::string, json> out;  // check_id|subject -> finding
    for (const auto& f : doc["findings"]) out[f["check_id"].get<std::string>() + "|" + f["subject"].get<std::string>()] = f;
    return out;
  };
  const std::string age = "credential-age|partner/staging/cust_0001/api_token";
  const std::string leftover = "rotation-leftover|partner/staging/cust_0001/api_token?version=1";
  const std::string no_audit = "audit-coverage|vault-prod:sys/audit";

  r = itest::run(dir, {"audit", "--state", sim_state(dir), "--config", config, "--format", "json", "--now", itest::kDemoNow});
  ASSERT_EQ(r.exit_code, 3) << r.err;
  auto doc = json::parse(r.out);
  auto by = findings(doc);
  ASSERT_TRUE(by.contains(age)) << r.out;
  ASSERT_TRUE(by.contains(leftover)) << r.out;
  ASSERT_TRUE(by.contains(no_audit)) << r.out;
  EXPECT_EQ(by[age]["customer_id"], "cust_0001");
  EXPECT_FALSE(by.contains("source-unavailable|source:vault-prod"));
  EXPECT_GT(vault.secrets.size(), 0u);
  EXPECT_GE(srv->count("/v1/secret/metadata/partner/"), 4u);

  // The vault goes away: the source fails, its dependent findings stay open.
  srv.reset();
  r = itest::run(dir, {"audit", "--state", sim_state(dir), "--config", config, "--format", "json", "--now", "2026-11-22T13:00:00Z"});
  ASSERT_EQ(r.exit_code, 3) << r.err;
  doc = json::parse(r.out);
  by = findings(doc);
  EXPECT_EQ(doc["cycle"]["resolved"], 0) << r.out;
  bool unavailable = false;
  for (const auto& [k, f] : by) unavailable |= f["check_id"] == "source-unavailable" && f["subject"].get<std::string>().find("vault-prod") != std::string::npos;
  EXPECT_TRUE(unavailable) << r.out;
  for (const auto& k : {age, leftover, no_audit}) {
    ASSERT_TRUE(by.contains(k)) << k;
    EXPECT_EQ(by[k]["status"], "open") << k;
    EXPECT_EQ(by[k]["first_seen"], itest::kDemoNow) << k;
  }
  EXPECT_NE(r.err.find("connection refused"), std::string::npos) << r.err;

  // The token never leaves: not in outputs, logs or any file complyd wrote.
  EXPECT_EQ(r.out.find("CANARY"), std::string::npos);
  EXPECT_EQ(r.err.find("CANARY"), std::string::npos);
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (!e.is_regular_file() || e.path().filename() == "vault.token") continue;
    EXPECT_EQ(itest::read_file(e.path()).find(kToken), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace complyd
