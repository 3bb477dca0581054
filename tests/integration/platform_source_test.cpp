// SPDX-License-Identifier: Apache-2.0
// The platform source against a scripted stand-in of the platform's REST API
// (Raise's field names, and a generic mapping), and end to end through
// `complyd audit`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "daemon/config/config.hpp"
#include "daemon/sources/platform_source.hpp"
#include "model/time.hpp"
#include "harness.hpp"
#include "source_fixture.hpp"
#include "stub_http.hpp"

namespace complyd::itest {
namespace {

using nlohmann::json;


json raise_hook(int id, const std::string& url, const json& status) {
  return {{"id", id},
          {"name", "Partner integration"},
          {"notificationUrl", url},
          {"eventTypesList", {10, 11}},
          {"format", 1},
          {"status", status}};
}

struct Tokens {
  explicit Tokens(const TempDir& dir) : path(dir / "tokens") {
    fs::create_directories(path);
    write_file(path / "cust_a", "CANARY-TOKEN-AAAA-1111\n");
    write_file(path / "cust_b", "CANARY-TOKEN-BBBB-2222\n");
    write_file(path / ".hidden", "not a customer\n");
  }
  fs::path path;
};

std::string raise_toml(const std::string& url, const fs::path& tokens, const std::string& extra = "") {
  return "[[sources]]\nname = \"raise-prod\"\ntype = \"platform\"\npreset = \"raise\"\nbase_url = \"" + url +
         "\"\ntokens_dir = \"" + tokens.string() + "\"\nretry_initial = \"0s\"\nmax_attempts = 3\n" + extra;
}

TEST(PlatformRaise, EachCustomerIsReadWithItsOwnToken) {
  StubHttpServer srv([&](const StubRequest& r) {
    if (r.path() != "/api/Webhook") return StubResponse{404, "{}"};
    const std::string auth = r.header("authorization");
    if (auth == "Bearer CANARY-TOKEN-AAAA-1111") {
      return StubResponse{200, json::array({raise_hook(11, "https://partner.example.com/raise/a", "Active"),
                                            raise_hook(12, "http://partner.example.com/raise/a-old", "Inactive")})
                                   .dump()};
    }
    if (auth == "Bearer CANARY-TOKEN-BBBB-2222") {
      // The list wrapped in an object, status as the create request's number.
      return StubResponse{200, json{{"items", json::array({raise_hook(21, "http://partner.example.com/raise/b", 1),
                                                           raise_hook(22, "https://x.example/b", "Archived")})}}
                                   .dump()};
    }
    return StubResponse{401, "{}"};
  });
  TempDir dir;
  Tokens tokens(dir);
  Config cfg;
  auto src = make_source(dir, raise_toml(srv.url(), tokens.path), cfg);
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);

  const auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].header("authorization"), "Bearer CANARY-TOKEN-AAAA-1111");
  EXPECT_EQ(reqs[1].header("authorization"), "Bearer CANARY-TOKEN-BBBB-2222");

  ASSERT_EQ(f.webhooks.size(), 3u);
  EXPECT_EQ(f.webhooks[0].id, "11");
  EXPECT_EQ(f.webhooks[0].customer_id, "cust_a");
  EXPECT_EQ(f.webhooks[0].platform, "raise");
  EXPECT_EQ(f.webhooks[0].status, SubscriptionStatus::active);
  EXPECT_EQ(f.webhooks[1].status, SubscriptionStatus::inactive);
  EXPECT_EQ(f.webhooks[2].id, "21");
  EXPECT_EQ(f.webhooks[2].customer_id, "cust_b");
  EXPECT_EQ(f.webhooks[2].notification_url, "http://partner.example.com/raise/b");
  EXPECT_EQ(f.webhooks[2].status, SubscriptionStatus::active);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("customer cust_b page 1 item 2 (subscription 22): status 'Archived' is not in "
                             "status_map; row skipped"),
            std::string::npos)
      << problems[0];
  ASSERT_EQ(f.api_endpoints.size(), 1u);
  EXPECT_EQ(f.api_endpoints[0].name, "raise-prod");
  EXPECT_EQ(f.api_endpoints[0].url, srv.url());
  for (const auto& p : problems) EXPECT_EQ(p.find("CANARY"), std::string::npos);
}

TEST(PlatformRaise, RefusedTokenFailsTheSourceNamingTheCustomerNotTheToken) {
  StubHttpServer srv([&](const StubRequest& r) {
    if (r.header("authorization") == "Bearer CANARY-TOKEN-BBBB-2222") return StubResponse{401, R"({"message":"bad token CANARY-TOKEN-BBBB-2222"})"};
    return StubResponse{200, json::array({raise_hook(11, "https://p.example/a", "Active")}).dump()};
  });
  TempDir dir;
  Tokens tokens(dir);
  Config cfg;
  auto src = make_source(dir, raise_toml(srv.url(), tokens.path), cfg);
  Facts f;
  std::vector<std::string> problems;
  const std::string msg = thrown([&] { src->collect(f, kNow, problems); });
  EXPECT_NE(msg.find("raise-prod: customer cust_b: GET " + srv.url() + "/api/Webhook (page 1): authentication "
                     "refused (HTTP 401); the token of customer cust_b (" + (tokens.path / "cust_b").string() +
                     ") was refused"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("CANARY"), std::string::npos) << msg;
  EXPECT_TRUE(f.webhooks.empty());
  EXPECT_EQ(srv.count(), 2u);  // 401 is not retried
}

TEST(PlatformRaise, TooManyRequestsIsRetriedAfterRetryAfter) {
  int n = 0;
  StubHttpServer srv([&](const StubRequest&) {
    if (n++ == 0) return StubResponse{429, "{}", {{"Retry-After", "1"}}};
    return StubResponse{200, json::array({raise_hook(11, "https://p.example/a", "Active")}).dump()};
  });
  TempDir dir;
  Tokens tokens(dir);
  Config cfg;
  auto src = make_source(dir, raise_toml(srv.url(), tokens.path, "customers = [\"cust_a\"]\n"), cfg);
  Facts f;
  std::vector<std::string> problems;
  const auto t0 = std::chrono::steady_clock::now();
  src->collect(f, kNow, problems);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(950));
  EXPECT_EQ(srv.count(), 2u);
  ASSERT_EQ(f.webhooks.size(), 1u);
  EXPECT_EQ(f.webhooks[0].customer_id, "cust_a");
}

// A generic platform: {"data":{"hooks":[...]},"links":{"next":"/v2/..."}}
// with the customer id in the path and the token in X-Api-Key.
std::string generic_toml(const std::string& url, const fs::path& tokens, const std::string& pagination) {
  return "[[sources]]\nname = \"acme\"\ntype = \"platform\"\npreset = \"generic\"\nplatform = \"acme\"\n"
         "base_url = \"" + url + "\"\ntokens_dir = \"" + tokens.string() + "\"\ncustomers = [\"cust_a\"]\n"
         "path = \"/v2/accounts/{customer_id}/webhooks\"\nauth = \"header:X-Api-Key\"\n"
         "items_pointer = \"/data/hooks\"\nid_pointer = \"/uid\"\nurl_pointer = \"/target/url\"\n"
         "status_pointer = \"/state\"\ncreated_pointer = \"/created\"\n"
         "status_map = { enabled = \"active\", paused = \"inactive\", removed = \"deleted\" }\n"
         "retry_initial = \"0s\"\nmax_attempts = 2\n" + pagination;
}

json generic_page(int page, std::optional<std::string> next) {
  json hooks = json::array();
  for (int i = 0; i < 2; ++i) {
    hooks.push_back({{"uid", "h" + std::to_string(page) + std::to_string(i)},
                     {"target", {{"url", "https://hooks.example/" + std::to_string(page)}}},
                     {"state", i == 0 ? "enabled" : "PAUSED"},
                     {"created", "2026-01-0" + std::to_string(page) + "T00:00:00Z"}});
  }
  json doc{{"data", {{"hooks", hooks}}}};
  doc["links"]["next"] = next ? json(*next) : json(nullptr);
  return doc;
}

TEST(PlatformGeneric, FollowsNextLinksOverThreePages) {
  StubHttpServer srv([&](const StubRequest& r) {
    if (r.path() != "/v2/accounts/cust_a/webhooks" || r.header("x-api-key") != "CANARY-TOKEN-AAAA-1111") {
      return StubResponse{403, "{}"};
    }
    const std::string q = r.query();
    if (q.empty()) return StubResponse{200, generic_page(1, "/v2/accounts/cust_a/webhooks?after=p2").dump()};
    if (q == "after=p2") return StubResponse{200, generic_page(2, "/v2/accounts/cust_a/webhooks?after=p3").dump()};
    if (q == "after=p3") return StubResponse{200, generic_page(3, std::nullopt).dump()};
    return StubResponse{404, "{}"};
  });
  TempDir dir;
  Tokens tokens(dir);
  Config cfg;
  auto src = make_source(dir, generic_toml(srv.url(), tokens.path, "next_pointer = \"/links/next\"\n"), cfg);
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(srv.count(), 3u);
  ASSERT_EQ(f.webhooks.size(), 6u);
  EXPECT_EQ(f.webhooks[0].id, "h10");
  EXPECT_EQ(f.webhooks[5].id, "h31");
  EXPECT_EQ(f.webhooks[5].status, SubscriptionStatus::inactive);  // "PAUSED": the table is case-insensitive
  EXPECT_EQ(f.webhooks[4].notification_url, "https://hooks.example/3");
  EXPECT_EQ(f.webhooks[4].created_at, parse_time("2026-01-03T00:00:00Z"));
  EXPECT_EQ(f.webhooks[4].platform, "acme");
}

TEST(PlatformGeneric, PageNumbersToTheEndAndAMissingMiddlePageFailsEverything) {
  bool lose_page_2 = false;
  StubHttpServer srv([&](const StubRequest& r) {
    const std::string q = r.query();
    if (q == "page=1&per_page=2") return StubResponse{200, generic_page(1, std::nullopt).dump()};
    if (q == "page=2&per_page=2") {
      return lose_page_2 ? StubResponse{404, "{}"} : StubResponse{200, generic_page(2, std::nullopt).dump()};
    }
    if (q == "page=3&per_page=2") {
      json last = generic_page(3, std::nullopt);
      last["data"]["hooks"].erase(1);
      return StubResponse{200, last.dump()};
    }
    return StubResponse{400, "{}"};
  });
  TempDir dir;
  Tokens tokens(dir);
  Config cfg;
  auto src = make_source(
      dir, generic_toml(srv.url(), tokens.path, "page_param = \"page\"\npage_size_param = \"per_page\"\npage_size = 2\n"),
      cfg);
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  EXPECT_EQ(srv.count(), 3u);  // page 3 is short: the end
  EXPECT_EQ(f.webhooks.size(), 5u);

  lose_page_2 = true;
  Facts g;
  const std::string msg = thrown([&] { src->collect(g, kNow, problems); });
  EXPECT_NE(msg.find("customer cust_a: GET " + srv.url() + "/v2/accounts/cust_a/webhooks (page 2): not found"),
            std::string::npos)
      << msg;
  EXPECT_TRUE(g.webhooks.empty());
  EXPECT_TRUE(g.api_endpoints.empty());
}

TEST(PlatformGeneric, NextLinkToAnotherHostIsRefused) {
  StubHttpServer srv([&](const StubRequest&) {
    return StubResponse{200, generic_page(1, "https://evil.example/steal").dump()};
  });
  TempDir dir;
  Tokens tokens(dir);
  Config cfg;
  auto src = make_source(dir, generic_toml(srv.url(), tokens.path, "next_pointer = \"/links/next\"\n"), cfg);
  Facts f;
  std::vector<std::string> problems;
  const std::string msg = thrown([&] { src->collect(f, kNow, problems); });
  EXPECT_NE(msg.find("points at another host than base_url"), std::string::npos) << msg;
  EXPECT_EQ(srv.count(), 1u);
}

TEST(PlatformConfig, ValidatesPresetMappingAndUrls) {
  std::string m = config_problems("[[sources]]\nname = \"p\"\ntype = \"platform\"\n");
  EXPECT_NE(m.find("'preset' is required"), std::string::npos) << m;
  m = config_problems("[[sources]]\nname = \"p\"\ntype = \"platform\"\npreset = \"raise\"\ntokens_dir = \"t\"\n"
                   "base_url = \"http://raise.example\"\nitems_pointer = \"/x\"\napi_token = \"abc\"\n");
  EXPECT_NE(m.find("sources[1].base_url: must be https://"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[1].items_pointer: only with preset = \"generic\""), std::string::npos) << m;
  EXPECT_NE(m.find("secrets are not accepted inline"), std::string::npos) << m;
  EXPECT_EQ(m.find("abc"), std::string::npos) << m;
  m = config_problems("[[sources]]\nname = \"p\"\ntype = \"platform\"\npreset = \"generic\"\ntokens_dir = \"t\"\n"
                   "base_url = \"https://api.example\"\npath = \"/hooks\"\nid_pointer = \"id\"\nurl_pointer = \"/u\"\n"
                   "status_pointer = \"/s\"\nauth = \"basic\"\npage_size_param = \"n\"\n");
  EXPECT_NE(m.find("sources[1].id_pointer: 'id' is not a JSON pointer"), std::string::npos) << m;
  EXPECT_NE(m.find("needs a status_map table"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[1].auth: 'basic' is not"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[1].page_size_param: needs page_param"), std::string::npos) << m;
  // The presets' defaults need only the tokens.
  EXPECT_EQ(config_problems("[[sources]]\nname = \"p\"\ntype = \"platform\"\npreset = \"virtuous\"\ntokens_dir = \"t\"\n"),
            "");
  EXPECT_EQ(platform_preset("virtuous").url_pointer, "/payloadUrl");
}

// ---------------------------------------------------------------- end to end

TEST(PlatformAudit, PlainHttpNotificationUrlOpensTransportHttpsAndAFailureKeepsIt) {
  std::atomic<bool> refuse{false};
  StubHttpServer srv([&](const StubRequest& r) {
    if (refuse) return StubResponse{401, "{}"};
    if (r.header("authorization") == "Bearer CANARY-TOKEN-E2E-0001") {
      return StubResponse{200, json::array({raise_hook(501, "http://partner.example.com/raise/cust_0001", "Active"),
                                            raise_hook(502, "https://partner.example.com/raise/cust_0001", "Active")})
                                   .dump()};
    }
    return StubResponse{200, json::array({raise_hook(601, "https://partner.example.com/raise/cust_0002", "Active")})
                                 .dump()};
  });
  TempDir dir;
  ASSERT_EQ(run(dir, {"demo", dir.path().string(), "--compliant", "--customers", "2", "--now", kDemoNow}).exit_code, 0);
  fs::create_directories(dir / "raise-tokens");
  write_file(dir / "raise-tokens" / "cust_0001", "CANARY-TOKEN-E2E-0001\n");
  write_file(dir / "raise-tokens" / "cust_0002", "CANARY-TOKEN-E2E-0002\n");
  write_file(dir / "complyd.toml", read_file(dir / "complyd.toml") +
                                       "\n[[sources]]\nname = \"raise\"\ntype = \"platform\"\npreset = \"raise\"\n"
                                       "base_url = \"" + srv.url() + "\"\ntokens_dir = \"raise-tokens\"\n"
                                       "max_attempts = 1\n");
  Result r1;
  const json first = audit_json(dir, kDemoNow, 3, &r1);
  const std::set<std::string> want{"cust_0001 webhook:501", " endpoint:raise"};  // the stub itself is plain http
  EXPECT_EQ(finding_keys(first, "transport-https"), want) << first["findings"].dump();
  EXPECT_TRUE(finding_keys(first, "source-unavailable").empty()) << first["findings"].dump();

  refuse = true;
  Result r2;
  const json second = audit_json(dir, "2026-11-22T13:00:00Z", 3, &r2);
  EXPECT_EQ(finding_keys(second, "transport-https"), want);
  EXPECT_EQ(finding_keys(second, "source-unavailable"), std::set<std::string>{" source:raise"});
  EXPECT_EQ(second["cycle"]["resolved"], 0);
  EXPECT_NE(r2.err.find("customer cust_0001"), std::string::npos) << r2.err;

  // The tokens never surface: not in output, logs or the state database.
  const std::string db = read_file(dir / kSimState) + read_file(sim_state(dir) + "-wal");
  for (const std::string& text : {r1.out, r1.err, r2.out, r2.err, db}) {
    EXPECT_EQ(text.find("CANARY"), std::string::npos);
  }
}

}  // namespace
}  // namespace complyd::itest
