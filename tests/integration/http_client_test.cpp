// SPDX-License-Identifier: Apache-2.0
// The shared HTTP edge of the remote sources against a real loopback server:
// retries, Retry-After, timeouts, truncation, malformed JSON, auth errors, and
// messages that never echo bodies or tokens.
#include <gtest/gtest.h>

#include <thread>

#include "daemon/log/redact.hpp"
#include "daemon/sources/http_client.hpp"
#include "tests/integration/source_fixture.hpp"
#include "tests/integration/stub_http.hpp"

namespace complyd {
namespace {

using itest::Sleeps;
using itest::StubHttpServer;
using itest::StubRequest;
using itest::StubResponse;

SourceCommon fast() {
  SourceCommon c;
  c.connect_timeout = Duration{2};
  c.timeout = Duration{2};
  c.deadline = Duration{20};
  c.max_attempts = 3;
  c.retry_initial = Duration{1};
  c.retry_max = Duration{4};
  return c;
}

std::string thrown(const std::function<void()>& f) { return itest::source_error(f); }

TEST(HttpClient, RetriesOn429HonouringRetryAfterThenSucceeds) {
  int n = 0;
  StubHttpServer srv([&](const StubRequest&) {
    if (n++ == 0) return StubResponse{429, "{}", {{"Retry-After", "3"}}};
    return StubResponse{200, R"({"ok":true})"};
  });
  Sleeps s;
  HttpClient c("vault-prod", fast(), s.fn());
  c.start();
  auto r = c.get_ok({.url = srv.url() + "/v1/x"}, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(c.last_attempts(), 2);
  ASSERT_EQ(s.waits.size(), 1u);
  EXPECT_EQ(s.waits[0], std::chrono::milliseconds(3000));
}

TEST(HttpClient, BacksOffExponentiallyOn5xxAndGivesUpAfterMaxAttempts) {
  StubHttpServer srv([&](const StubRequest&) { return StubResponse{503, "secret-body-canary"}; });
  Sleeps s;
  HttpClient c("aws", fast(), s.fn());
  c.start();
  const std::string msg = thrown([&] { c.get_ok({.url = srv.url() + "/p?token=querycanary"}, ""); });
  EXPECT_NE(msg.find("aws: GET " + srv.url() + "/p: HTTP 503 after 3 attempts"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("secret-body-canary"), std::string::npos);
  EXPECT_EQ(msg.find("querycanary"), std::string::npos);
  ASSERT_EQ(s.waits.size(), 2u);
  EXPECT_EQ(s.waits[0], std::chrono::milliseconds(1000));
  EXPECT_EQ(s.waits[1], std::chrono::milliseconds(2000));
  EXPECT_EQ(srv.count("/p"), 3u);
}

TEST(HttpClient, RetryAfterBeyondTheDeadlineFailsAtOnce) {
  StubHttpServer srv([&](const StubRequest&) { return StubResponse{429, "", {{"Retry-After", "3600"}}}; });
  Sleeps s;
  HttpClient c("platform", fast(), s.fn());
  c.start();
  const std::string msg = thrown([&] { c.send({.url = srv.url() + "/api/Webhook"}); });
  EXPECT_NE(msg.find("Retry-After 3600 s"), std::string::npos) << msg;
  EXPECT_NE(msg.find("deadline"), std::string::npos) << msg;
  EXPECT_TRUE(s.waits.empty());
}

TEST(HttpClient, AuthErrorsNameTheFixAndAreNotRetried) {
  StubHttpServer srv([&](const StubRequest&) { return StubResponse{403, R"({"errors":["permission denied"]})"}; });
  Sleeps s;
  HttpClient c("vault", fast(), s.fn());
  c.start();
  const std::string msg =
      thrown([&] { c.get_ok({.url = srv.url() + "/v1/kv/metadata/x", .headers = {"X-Vault-Token: hvs.tokencanary"}},
                            "check token_file and its policy"); });
  EXPECT_NE(msg.find("authentication refused (HTTP 403); check token_file and its policy"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("tokencanary"), std::string::npos);
  EXPECT_EQ(srv.count(), 1u);
  EXPECT_EQ(srv.requests()[0].header("x-vault-token"), "hvs.tokencanary");
}

TEST(HttpClient, TimeoutIsRetriedThenReported) {
  StubHttpServer srv([&](const StubRequest&) { return StubResponse{200, "{}", {}, std::chrono::milliseconds(1500)}; });
  SourceCommon common = fast();
  common.timeout = Duration{1};
  common.max_attempts = 2;
  common.retry_initial = Duration{0};
  HttpClient c("prom", common);
  c.start();
  const std::string msg = thrown([&] { c.send({.url = srv.url() + "/api/v1/query_range"}); });
  EXPECT_NE(msg.find("timed out"), std::string::npos) << msg;
  EXPECT_NE(msg.find("after 2 attempts"), std::string::npos) << msg;
}

TEST(HttpClient, TruncatedBodyIsABrokenConnectionNotData) {
  StubHttpServer srv([&](const StubRequest&) {
    StubResponse r{200, R"({"data":{"keys":["a","b","c"]}})"};
    r.truncate_at = 10;
    return r;
  });
  SourceCommon common = fast();
  common.max_attempts = 1;
  HttpClient c("vault", common);
  c.start();
  const std::string msg = thrown([&] { c.send({.url = srv.url() + "/v1/x"}); });
  EXPECT_NE(msg.find("broke mid-response"), std::string::npos) << msg;
}

TEST(HttpClient, MalformedJsonNamesTheOffsetNotTheBody) {
  StubHttpServer srv([&](const StubRequest&) { return StubResponse{200, R"({"data": {"keys": ["bodycanary")"}; });
  HttpClient c("vault", fast());
  c.start();
  auto r = c.get_ok({.url = srv.url() + "/v1/x"}, "");
  const std::string msg = thrown([&] { parse_json_body(r, "vault", "LIST kv/metadata/"); });
  EXPECT_NE(msg.find("vault: LIST kv/metadata/: malformed or truncated JSON (at byte"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("bodycanary"), std::string::npos);
}

TEST(HttpClient, ConnectionRefusedSaysSo) {
  unsigned short dead_port = 0;
  { StubHttpServer gone([](const StubRequest&) { return StubResponse{}; }); dead_port = gone.port(); }
  SourceCommon common = fast();
  common.max_attempts = 1;
  HttpClient c("vault", common);
  c.start();
  const std::string msg = thrown([&] { c.send({.url = "http://127.0.0.1:" + std::to_string(dead_port) + "/"}); });
  EXPECT_NE(msg.find("connection refused"), std::string::npos) << msg;
}

TEST(HttpClient, SigV4SignsWithAnAuthorizationHeader) {
  StubHttpServer srv([&](const StubRequest&) { return StubResponse{200, "{}"}; });
  HttpClient c("aws", fast());
  c.start();
  c.get_ok({.method = "POST",
            .url = srv.url() + "/",
            .headers = {"Content-Type: application/x-amz-json-1.1", "X-Amz-Target: secretsmanager.ListSecrets"},
            .body = "{}",
            .aws_sigv4 = "aws:amz:eu-west-1:secretsmanager",
            .aws_access_key = "AKIDEXAMPLE",
            .aws_secret_key = "secretkeycanary"},
           "");
  const auto req = srv.requests().at(0);
  const std::string auth = req.header("authorization");
  EXPECT_TRUE(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")) << auth;
  EXPECT_NE(auth.find("/eu-west-1/secretsmanager/aws4_request"), std::string::npos) << auth;
  EXPECT_NE(auth.find("SignedHeaders="), std::string::npos);
  EXPECT_NE(auth.find("Signature="), std::string::npos);
  EXPECT_EQ(auth.find("secretkeycanary"), std::string::npos);
  EXPECT_FALSE(req.header("x-amz-date").empty());
}

TEST(HttpClient, ShutdownAbortsARequestInFlightAndCutsWaitsShort) {
  StubHttpServer srv([&](const StubRequest& r) {
    if (r.path() != "/v1/sys/audit") return StubResponse{200, "{}", {}};
    // The request has arrived and its answer is held back 1.5 s (the stub's
    // delay): stopping now is stopping a request in flight.
    request_sources_stop();
    return StubResponse{200, "{}", {}, std::chrono::milliseconds(1500)};
  });
  SourceCommon common = fast();
  common.timeout = Duration{10};
  HttpClient c("vault", common);
  c.start();
  const auto t0 = std::chrono::steady_clock::now();
  const std::string msg = thrown([&] { c.send({.url = srv.url() + "/v1/sys/audit"}); });
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_NE(msg.find("vault: GET " + srv.url() + "/v1/sys/audit: stopped: complyd is shutting down"), std::string::npos)
      << msg;
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  // Later requests and retry waits do not start.
  EXPECT_NE(thrown([&] { c.send({.url = srv.url() + "/x"}); }).find("shutting down"), std::string::npos);
  const auto s0 = std::chrono::steady_clock::now();
  interruptible_sleep(std::chrono::milliseconds(5000));
  EXPECT_LT(std::chrono::steady_clock::now() - s0, std::chrono::milliseconds(500));
  request_sources_stop(false);
  EXPECT_EQ(c.send({.url = srv.url() + "/y"}).status, 200);
}

TEST(HttpClientUrls, OnlyHttpsOrLoopbackHttp) {
  EXPECT_EQ(check_source_url("https://vault.example.com:8200"), "");
  EXPECT_EQ(check_source_url("http://127.0.0.1:8200"), "");
  EXPECT_EQ(check_source_url("http://localhost/x"), "");
  EXPECT_NE(check_source_url("http://vault.example.com"), "");
  EXPECT_NE(check_source_url("http://127.0.0.1.evil.com/"), "");
  EXPECT_NE(check_source_url("ftp://x"), "");
  EXPECT_EQ(url_for_messages("https://user:pw@h.example/p/q?token=x#f"), "https://h.example/p/q");
}

TEST(HttpClientUrls, RetryAfterSecondsAndHttpDate) {
  const auto now = std::chrono::sys_seconds{std::chrono::seconds{1'700'000'000}};
  EXPECT_EQ(parse_retry_after("120", now), std::chrono::seconds(120));
  EXPECT_EQ(parse_retry_after("Wed, 15 Nov 2023 00:13:20 GMT", now), std::chrono::seconds(7200));
  EXPECT_EQ(parse_retry_after("soon", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("", now), std::nullopt);
}

}  // namespace
}  // namespace complyd
