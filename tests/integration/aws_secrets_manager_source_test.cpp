// SPDX-License-Identifier: Apache-2.0
// The aws-secrets-manager source against a scripted endpoint answering AWS
// JSON 1.1 shapes: {"SecretList":[...],"NextToken":"..."} pages, errors as
// {"__type":"...","message":"..."} with HTTP 400/403 (throttling included).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>

#include "daemon/config/config.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/sources/aws_secrets_manager_source.hpp"
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

const std::string kSecretKey = "CANARY-aws-secret-key-0d9e";
const std::string kSessionToken = "CANARY-aws-session-token-77ab";

double epoch(const char* t) { return static_cast<double>(to_unix(*parse_time(t))) + 0.371; }

struct FakeAws {
  std::vector<json> pages;  // each page's SecretList
  std::function<std::optional<StubResponse>(const StubRequest&, std::size_t page)> fault;

  StubResponse operator()(const StubRequest& r) {
    std::size_t page = 0;
    try {
      const json body = json::parse(r.body);
      if (body.contains("NextToken")) page = std::stoul(body["NextToken"].get<std::string>().substr(5));
    } catch (const std::exception&) {
      return {400, R"({"__type":"SerializationException"})"};
    }
    if (fault) {
      if (auto f = fault(r, page)) return *f;
    }
    json out = {{"SecretList", pages.at(page)}};
    if (page + 1 < pages.size()) out["NextToken"] = "page-" + std::to_string(page + 1);
    return {200, out.dump(), {{"Content-Type", "application/x-amz-json-1.1"}}};
  }
};

json entry(const std::string& name, json extra = json::object()) {
  json e = {{"ARN", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:" + name + "-AbCdEf"},
            {"Name", name},
            {"CreatedDate", epoch("2026-01-05T00:00:00Z")},
            {"LastChangedDate", epoch("2026-03-01T00:00:00Z")},
            {"SecretVersionsToStages", {{"0b1c2d3e-0000-4000-8000-000000000002", {"AWSCURRENT"}}}}};
  e.update(extra);
  return e;
}

FakeAws population() {
  FakeAws aws;
  aws.pages.push_back(json::array(
      {entry("raise/production/c1/api-token",
             {{"LastRotatedDate", epoch("2026-06-01T10:00:00Z")},
              {"LastAccessedDate", epoch("2026-11-21T00:00:00Z")},
              {"RotationEnabled", true},
              {"RotationRules", {{"AutomaticallyAfterDays", 90}}},
              {"SecretVersionsToStages",
               {{"0b1c2d3e-0000-4000-8000-000000000002", {"AWSCURRENT"}},
                {"0b1c2d3e-0000-4000-8000-000000000001", {"AWSPREVIOUS"}}}}}),
       entry("raise/production/c2/webhook_secret")}));
  aws.pages.push_back(json::array(
      {entry("raise/production/c3/api_token", {{"DeletedDate", epoch("2026-11-20T00:00:00Z")}}),
       entry("raise/misc-thing"),
       entry("legacy-token-42", {{"Tags",
                                  {{{"Key", "complyd:customer_id"}, {"Value", "c4"}},
                                   {{"Key", "complyd:kind"}, {"Value", "api_token"}},
                                   {{"Key", "complyd:environment"}, {"Value", "sandbox"}},
                                   {{"Key", "complyd:rotated_at"}, {"Value", "2026-10-01T00:00:00Z"}}}}})}));
  aws.pages.push_back(json::array());
  return aws;
}

class AwsSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    itest::write_file(dir_ / "credentials", "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = "
                                            "wrong\n\n[complyd]\naws_access_key_id = AKIDEXAMPLE\n"
                                            "aws_secret_access_key = " + kSecretKey + "\naws_session_token = " +
                                                kSessionToken + "\n");
  }

  ConfigResult parse(const std::string& url, const std::string& extra) {
    const std::string text = std::string("[inventory]\npath = \"inventory.db\"\n[[sources]]\nname = \"aws-prod\"\ntype = ")
                             + "\"aws-secrets-manager\"\n" +
                             (extra.find("region =") == std::string::npos ? "region = \"eu-west-1\"\n" : "") +
                             "endpoint = \"" + url +
                             "\"\nprefix = \"raise\"\ntimeout = \"2s\"\nmax_attempts = 3\n" + extra;
    return parse_config(text, dir_ / "complyd.toml");
  }

  std::unique_ptr<AwsSecretsManagerSource> source(
      const std::string& url, const std::string& extra = "") {
    auto r = parse(url, extra.empty() ? "credentials_file = \"" + (dir_ / "credentials").string() +
                                            "\"\nprofile = \"complyd\"\n"
                                      : extra);
    config_ = itest::loaded(r);
    return std::make_unique<AwsSecretsManagerSource>(config_.sources.at(0), sleeps_.fn());
  }

  std::string thrown(AwsSecretsManagerSource& s) { return itest::source_error(s, kNow); }

  TempDir dir_;
  Config config_;
  itest::Sleeps sleeps_;
};

const Credential* find(const Facts& f, const std::string& path) {
  for (const auto& c : f.credentials)
    if (c.storage_path == path) return &c;
  return nullptr;
}

TEST_F(AwsSourceTest, PaginatesToTheEndAndMapsEntries) {
  FakeAws aws = population();
  StubHttpServer srv(std::ref(aws));
  auto src = source(srv.url());
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  EXPECT_EQ(src->pages_read(), 3u);
  ASSERT_EQ(f.credentials.size(), 5u) << ::testing::PrintToString(problems);

  const Credential* c1 = find(f, "raise/production/c1/api-token");
  ASSERT_NE(c1, nullptr);
  EXPECT_EQ(c1->customer_id, "c1");
  EXPECT_EQ(c1->kind, "api_token");
  EXPECT_EQ(c1->environment, "production");
  EXPECT_EQ(c1->role, CredentialRole::current);
  EXPECT_EQ(c1->created_at, parse_time("2026-01-05T00:00:00Z"));
  EXPECT_EQ(c1->rotated_at, parse_time("2026-06-01T10:00:00Z"));  // LastRotatedDate over LastChangedDate
  EXPECT_EQ(c1->last_used_at, parse_time("2026-11-21T00:00:00Z"));
  const Credential* prev = find(f, "raise/production/c1/api-token?stage=AWSPREVIOUS");
  ASSERT_NE(prev, nullptr);
  EXPECT_EQ(prev->role, CredentialRole::previous);
  EXPECT_FALSE(prev->rotated_at.has_value());

  const Credential* c2 = find(f, "raise/production/c2/webhook_secret");
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(c2->kind, "webhook_secret");
  EXPECT_EQ(c2->rotated_at, parse_time("2026-03-01T00:00:00Z"));  // LastChangedDate without a rotation
  const Credential* c3 = find(f, "raise/production/c3/api_token");
  ASSERT_NE(c3, nullptr);
  EXPECT_EQ(c3->role, CredentialRole::revoked);  // scheduled for deletion, still stored
  const Credential* c4 = find(f, "legacy-token-42");
  ASSERT_NE(c4, nullptr);
  EXPECT_EQ(c4->customer_id, "c4");
  EXPECT_EQ(c4->environment, "sandbox");
  EXPECT_EQ(c4->rotated_at, parse_time("2026-10-01T00:00:00Z"));

  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("secret raise/misc-thing: does not match name_template"), std::string::npos)
      << problems[0];

  const auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 3u);
  const std::regex auth_re(
      R"(AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/[0-9]{8}/eu-west-1/secretsmanager/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64})");
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    const auto& r = reqs[i];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path(), "/");
    EXPECT_EQ(r.header("x-amz-target"), "secretsmanager.ListSecrets");
    EXPECT_EQ(r.header("content-type"), "application/x-amz-json-1.1");
    EXPECT_EQ(r.header("x-amz-security-token"), kSessionToken);
    EXPECT_FALSE(r.header("x-amz-date").empty());
    std::smatch m;
    const std::string auth = r.header("authorization");
    ASSERT_TRUE(std::regex_match(auth, m, auth_re)) << auth;
    const std::string signed_headers = ";" + m[1].str() + ";";
    EXPECT_NE(signed_headers.find(";host;"), std::string::npos) << signed_headers;
    EXPECT_NE(signed_headers.find(";x-amz-date;"), std::string::npos) << signed_headers;
    EXPECT_EQ(auth.find(kSecretKey), std::string::npos);
    const json body = json::parse(r.body);
    EXPECT_EQ(body["MaxResults"], 100);
    EXPECT_EQ(body["IncludePlannedDeletion"], true);
    EXPECT_EQ(body["Filters"], json::parse(R"([{"Key":"name","Values":["raise/"]}])"));
    if (i == 0) {
      EXPECT_FALSE(body.contains("NextToken"));
    } else {
      EXPECT_EQ(body["NextToken"], "page-" + std::to_string(i));
    }
  }
}

TEST_F(AwsSourceTest, NameFiltersAndPreviousVersionsAreConfigurable) {
  FakeAws aws = population();
  StubHttpServer srv(std::ref(aws));
  auto src = source(srv.url(), "credentials_file = \"" + (dir_ / "credentials").string() +
                                   "\"\nprofile = \"complyd\"\nname_filters = [\"raise/production/\", \"legacy-\"]\n"
                                   "previous_versions = false\n");
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  EXPECT_EQ(f.credentials.size(), 4u);
  EXPECT_EQ(find(f, "raise/production/c1/api-token?stage=AWSPREVIOUS"), nullptr);
  EXPECT_EQ(json::parse(srv.requests()[0].body)["Filters"][0]["Values"],
            json::parse(R"(["raise/production/", "legacy-"])"));
}

TEST_F(AwsSourceTest, ThrottlingAs400IsRetriedWithBackoffLike429And500) {
  FakeAws aws = population();
  int calls = 0;
  aws.fault = [&](const StubRequest&, std::size_t page) -> std::optional<StubResponse> {
    ++calls;
    if (page == 1 && calls == 2)
      return StubResponse{400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})"};
    if (page == 1 && calls == 3) return StubResponse{429, "{}", {{"Retry-After", "5"}}};
    if (page == 2 && calls == 5) return StubResponse{500, R"({"__type":"InternalServiceError"})"};
    return std::nullopt;
  };
  StubHttpServer srv(std::ref(aws));
  auto src = source(srv.url());
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  EXPECT_EQ(f.credentials.size(), 5u);
  ASSERT_EQ(sleeps_.waits.size(), 3u);
  EXPECT_EQ(sleeps_.waits[0], std::chrono::milliseconds(1000));  // throttled: backoff from retry_initial
  EXPECT_EQ(sleeps_.waits[1], std::chrono::milliseconds(5000));  // 429: Retry-After
  EXPECT_EQ(sleeps_.waits[2], std::chrono::milliseconds(1000));  // 500
}

TEST_F(AwsSourceTest, ThrottledToTheLastAttemptFails) {
  FakeAws aws = population();
  aws.fault = [](const StubRequest&, std::size_t) -> std::optional<StubResponse> {
    return StubResponse{400, R"({"__type":"com.amazonaws.secretsmanager#ThrottlingException","message":"x"})"};
  };
  StubHttpServer srv(std::ref(aws));
  auto src = source(srv.url());
  const std::string msg = thrown(*src);
  EXPECT_NE(msg.find("aws-prod: ListSecrets (page 1): throttled (ThrottlingException) after 3 attempts"),
            std::string::npos)
      << msg;
  EXPECT_EQ(sleeps_.waits.size(), 2u);
}

TEST_F(AwsSourceTest, AccessDeniedNamesCredentialsAndIamPolicyNeverTheMessage) {
  for (int status : {400, 403}) {
    FakeAws aws = population();
    aws.fault = [&](const StubRequest&, std::size_t) -> std::optional<StubResponse> {
      return StubResponse{status, R"({"__type":"AccessDeniedException","message":"User: arn:CANARY-msg is not authorized"})"};
    };
    StubHttpServer srv(std::ref(aws));
    auto src = source(srv.url());
    const std::string msg = thrown(*src);
    EXPECT_NE(msg.find(fmt::format("authentication refused (HTTP {} AccessDeniedException)", status)),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("credentials_file (profile 'complyd')"), std::string::npos) << msg;
    EXPECT_NE(msg.find("IAM policy allows secretsmanager:ListSecrets"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("CANARY"), std::string::npos) << msg;
    EXPECT_EQ(srv.count(), 1u);  // not retried
  }
}

TEST_F(AwsSourceTest, AFailedOrMalformedPageMidPaginationFailsTheWholeSource) {
  for (const char* mode : {"500", "truncated", "malformed", "no-list"}) {
    FakeAws aws = population();
    aws.fault = [&](const StubRequest&, std::size_t page) -> std::optional<StubResponse> {
      if (page != 1) return std::nullopt;
      const std::string m = mode;
      if (m == "500") return StubResponse{500, "{}"};
      if (m == "malformed") return StubResponse{200, R"({"SecretList":[{"Name":"raise/)"};
      if (m == "no-list") return StubResponse{200, R"({"Secrets":[]})"};
      StubResponse r{200, json{{"SecretList", json::array({entry("raise/production/c9/api_token")})}}.dump()};
      r.truncate_at = 15;
      return r;
    };
    StubHttpServer srv(std::ref(aws));
    std::vector<std::unique_ptr<Source>> sources;
    sources.push_back(source(srv.url()));
    const Facts f = collect_facts(sources, kNow);
    ASSERT_EQ(f.sources.size(), 1u);
    EXPECT_FALSE(f.sources[0].ok) << mode;
    EXPECT_TRUE(f.credentials.empty()) << mode;  // page 1's secrets are dropped too
    EXPECT_NE(f.sources[0].error.find("ListSecrets (page 2)"), std::string::npos) << f.sources[0].error;
  }
}

TEST_F(AwsSourceTest, CredentialsFromTheEnvironmentOrAClearError) {
  FakeAws aws = population();
  StubHttpServer srv(std::ref(aws));
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_SESSION_TOKEN");
  auto src = source(srv.url(), "# no credentials_file\n");
  const std::string msg = thrown(*src);
  EXPECT_NE(msg.find("no AWS credentials"), std::string::npos) << msg;
  EXPECT_NE(msg.find("credentials_file"), std::string::npos) << msg;
  EXPECT_NE(msg.find("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), std::string::npos) << msg;
  EXPECT_EQ(srv.count(), 0u);

  ::setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "CANARY-env-secret", 1);
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(f.credentials.size(), 5u);
  EXPECT_TRUE(srv.requests()[0].header("authorization").starts_with("AWS4-HMAC-SHA256 Credential=AKIDFROMENV/"));
  EXPECT_EQ(srv.requests()[0].header("x-amz-security-token"), "");
  EXPECT_EQ(redact("k=CANARY-env-secret").find("CANARY-env-secret"), std::string::npos);
}

TEST_F(AwsSourceTest, MissingProfileOrKeysNameTheFile) {
  FakeAws aws = population();
  StubHttpServer srv(std::ref(aws));
  auto src = source(srv.url(), "credentials_file = \"" + (dir_ / "credentials").string() + "\"\nprofile = \"ops\"\n");
  EXPECT_NE(thrown(*src).find("has no [ops] profile"), std::string::npos);
  auto gone = source(srv.url(), "credentials_file = \"" + (dir_ / "nope").string() + "\"\n");
  EXPECT_NE(thrown(*gone).find("credentials_file: cannot open"), std::string::npos);
}

TEST_F(AwsSourceTest, ConfigProblems) {
  auto msgs = [](const ConfigResult& r) {
    std::string s;
    for (const auto& p : r.problems) s += p.to_string() + "\n";
    return s;
  };
  EXPECT_NE(msgs(parse("https://x.example", "region = \"Ireland\"\n")).find("is not an AWS region"),
            std::string::npos);
  EXPECT_NE(msgs(parse("http://secretsmanager.example.com", "")).find("must be https://"), std::string::npos);
  const std::string inline_key = msgs(parse("https://x.example", "aws_secret_access_key = \"CANARY-inline\"\n"));
  EXPECT_NE(inline_key.find("secrets are not accepted inline"), std::string::npos) << inline_key;
  EXPECT_EQ(inline_key.find("CANARY-inline"), std::string::npos);
}

}  // namespace
}  // namespace complyd
