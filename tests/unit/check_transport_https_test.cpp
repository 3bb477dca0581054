// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

struct UrlCase {
  const char* name;
  std::string url;
  std::size_t expected;
  std::string title_suffix;  // "not https", "malformed", "missing"
};

WebhookSubscription subscription(std::string id, std::string customer_id, std::string url,
                                 SubscriptionStatus status = SubscriptionStatus::active) {
  WebhookSubscription w;
  w.id = std::move(id);
  w.customer_id = std::move(customer_id);
  w.platform = "raise";
  w.notification_url = std::move(url);
  w.status = status;
  w.created_at = ago(days(100));
  return w;
}

ApiEndpoint endpoint(std::string name, std::string url) {
  return ApiEndpoint{std::move(name), std::move(url), "sync-workers/config.yaml"};
}

const std::vector<UrlCase> kUrlCases = {
    {"https", "https://partner.example.com/raise-webhooks/c1", 0, ""},
    {"upper case scheme", "HTTPS://PARTNER.EXAMPLE.COM/hooks", 0, ""},
    {"mixed case scheme", "HtTpS://partner.example.com", 0, ""},
    {"https with port and query", "https://partner.example.com:8443/h?x=1", 0, ""},
    {"plain http", "http://partner.example.com/raise-webhooks/c1", 1, "not https"},
    {"upper case http", "HTTP://partner.example.com/", 1, "not https"},
    {"http localhost", "http://localhost:3000/webhooks", 1, "not https"},
    {"other scheme", "ftp://partner.example.com/drop", 1, "not https"},
    {"empty", "", 1, "missing"},
    {"blank", "   ", 1, "missing"},
    {"no scheme", "partner.example.com/raise-webhooks", 1, "malformed"},
    {"scheme without host", "https://", 1, "malformed"},
    {"empty host with path", "https:///hooks", 1, "malformed"},
    {"port without host", "https://:443/hooks", 1, "malformed"},
    {"missing colon", "https//partner.example.com", 1, "malformed"},
    {"empty scheme", "://partner.example.com", 1, "malformed"},
    {"bad scheme characters", "ht tps://partner.example.com", 1, "malformed"},
    {"space in host", "https://partner .example.com/h", 1, "malformed"},
    {"leading space", " https://partner.example.com/h", 1, "malformed"},
    {"control character", "https://partner.example.com/\x01h", 1, "malformed"},
};

std::string case_name(const ::testing::TestParamInfo<UrlCase>& info) {
  std::string n = info.param.name;
  std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return n;
}

class TransportWebhook : public ::testing::TestWithParam<UrlCase> {};

TEST_P(TransportWebhook, NotificationUrl) {
  const auto& tc = GetParam();
  Facts f;
  f.customers.push_back(customer("c1"));
  f.webhooks.push_back(subscription("wh_1", "c1", tc.url));
  auto out = run_check("transport-https", f);
  ASSERT_EQ(out.size(), tc.expected) << tc.name;
  if (tc.expected > 0) {
    EXPECT_EQ(out[0].title, "webhook notification URL " + tc.title_suffix);
    EXPECT_EQ(out[0].customer_id, "c1");
    EXPECT_EQ(out[0].subject, "webhook:wh_1");
    EXPECT_EQ(out[0].severity, Severity::high);
    EXPECT_NE(out[0].detail.find("wh_1"), std::string::npos) << out[0].detail;
    EXPECT_FALSE(out[0].remediation.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Urls, TransportWebhook, ::testing::ValuesIn(kUrlCases), case_name);

class TransportEndpoint : public ::testing::TestWithParam<UrlCase> {};

TEST_P(TransportEndpoint, ApiBaseUrl) {
  const auto& tc = GetParam();
  Facts f;
  f.api_endpoints.push_back(endpoint("raise", tc.url));
  auto out = run_check("transport-https", f);
  ASSERT_EQ(out.size(), tc.expected) << tc.name;
  if (tc.expected > 0) {
    EXPECT_EQ(out[0].title, "API base URL " + tc.title_suffix);
    EXPECT_EQ(out[0].customer_id, "");
    EXPECT_EQ(out[0].subject, "endpoint:raise");
    EXPECT_NE(out[0].detail.find("sync-workers/config.yaml"), std::string::npos) << out[0].detail;
    EXPECT_FALSE(out[0].remediation.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Urls, TransportEndpoint, ::testing::ValuesIn(kUrlCases), case_name);

TEST(TransportHttpsCheck, OnlyActiveSubscriptions) {
  Facts f;
  f.webhooks.push_back(subscription("wh_1", "c1", "http://a.example", SubscriptionStatus::inactive));
  f.webhooks.push_back(subscription("wh_2", "c1", "http://a.example", SubscriptionStatus::deleted));
  f.webhooks.push_back(subscription("wh_3", "c2", "http://a.example", SubscriptionStatus::active));
  auto out = run_check("transport-https", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "webhook:wh_3");
}

TEST(TransportHttpsCheck, EveryEndpointAndSubscriptionReported) {
  Facts f;
  f.api_endpoints = {endpoint("raise", "https://prod-api.raisedonors.com"),
                     endpoint("revolv3-sandbox", "http://api-sandbox.revolv3.com"),
                     endpoint("virtuous", "")};
  f.webhooks = {subscription("wh_1", "c1", "http://a.example/1"), subscription("wh_2", "c2", "https://a.example/2")};
  auto out = run_check("transport-https", f);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].subject, "webhook:wh_1");
  EXPECT_EQ(out[1].subject, "endpoint:revolv3-sandbox");
  EXPECT_EQ(out[2].subject, "endpoint:virtuous");
  EXPECT_EQ(out[2].title, "API base URL missing");
}

std::string all_text(const Finding& f) {
  std::string s = f.title + "\n" + f.detail + "\n" + f.remediation;
  for (const auto& [k, v] : f.evidence) s += "\n" + k + "=" + v;
  return s;
}

TEST(TransportHttpsCheck, CredentialsInUrlsAreNeverShown) {
  Facts f;
  f.webhooks.push_back(
      subscription("wh_1", "c1", "http://svc:CANARYPASS@partner.example.com/hooks/CANARYPATH?token=CANARYTOKEN#F"));
  f.api_endpoints.push_back(endpoint("raise", "prod-api.raisedonors.com/?apiKey=CANARYKEY"));
  auto out = run_check("transport-https", f);
  ASSERT_EQ(out.size(), 2u);
  for (const auto& x : out) EXPECT_EQ(all_text(x).find("CANARY"), std::string::npos) << all_text(x);
  bool shown = false;
  for (const auto& [k, v] : out[0].evidence) {
    if (k == "url") {
      EXPECT_EQ(v, "http://***@partner.example.com/...");
      shown = true;
    }
  }
  EXPECT_TRUE(shown);
}

TEST(TransportHttpsCheck, TitleIsStableForOneSubject) {
  Facts f;
  f.webhooks.push_back(subscription("wh_1", "c1", "http://a.example/1"));
  auto a = run_check("transport-https", f);
  f.webhooks[0].notification_url = "http://b.example/other";
  auto b = run_check("transport-https", f);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].title, b[0].title);
  EXPECT_EQ(a[0].subject, b[0].subject);
}

TEST(TransportHttpsCheck, VeryLongUrlIsShortenedInEvidence) {
  Facts f;
  f.webhooks.push_back(subscription("wh_1", "c1", "http://" + std::string(5000, 'h') + ".example/" + std::string(5000, 'p')));
  auto out = run_check("transport-https", f);
  ASSERT_EQ(out.size(), 1u);
  for (const auto& [k, v] : out[0].evidence) EXPECT_LT(v.size(), 300u) << k;
}

}  // namespace
}  // namespace complyd::testing
