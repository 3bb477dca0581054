// SPDX-License-Identifier: Apache-2.0
// The prometheus source: against a real Prometheus (promtool-backfilled
// counters) end to end through `complyd audit`, and against a scripted stub
// for the error paths and the chunking of long ranges.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "daemon/config/config.hpp"
#include "daemon/sources/registry.hpp"
#include "model/time.hpp"
#include "harness.hpp"
#include "prometheus_fixture.hpp"
#include "source_fixture.hpp"
#include "stub_http.hpp"

namespace complyd::itest {
namespace {

using nlohmann::json;

const std::int64_t kNowS = to_unix(kNow);

std::string matrix(const std::string& customer, const std::vector<std::pair<std::int64_t, std::string>>& values) {
  json v = json::array();
  for (const auto& [t, x] : values) v.push_back(json::array({t, x}));
  return json{{"status", "success"},
              {"data", {{"resultType", "matrix"}, {"result", json::array({{{"metric", {{"customer_id", customer}}}, {"values", v}}})}}}}
      .dump();
}

std::map<std::string, std::string> query_params(const std::string& q) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i <= q.size()) {
    const auto amp = q.find('&', i);
    const std::string kv = q.substr(i, amp == std::string::npos ? std::string::npos : amp - i);
    const auto eq = kv.find('=');
    if (eq != std::string::npos) out[kv.substr(0, eq)] = kv.substr(eq + 1);
    if (amp == std::string::npos) break;
    i = amp + 1;
  }
  return out;
}

std::string source_toml(const std::string& url, const std::string& extra = "") {
  return "[[sources]]\nname = \"prom\"\ntype = \"prometheus\"\nurl = \"" + url +
         "\"\nretry_initial = \"0s\"\nmax_attempts = 3\ntimeout = \"5s\"\n" + extra;
}

// ---------------------------------------------------------------- stub

TEST(PrometheusStub, LongRangeIsSplitIntoChunksAndMerged) {
  StubHttpServer srv([&](const StubRequest& r) {
    auto p = query_params(r.query());
    const std::int64_t start = std::stoll(p["start"]);
    const bool ok = p["query"].find("%22ok%22") != std::string::npos;
    const bool fail = p["query"].find("%22fail%22") != std::string::npos;
    if (!ok && !fail) return StubResponse{200, matrix("c1", {})};
    // One sample at the chunk's first evaluation time.
    return StubResponse{200, matrix("c1", {{start, ok ? "2.6" : "1"}})};
  });
  TempDir dir;
  Config cfg;
  auto src = make_source(dir, source_toml(srv.url(), "lookback = \"26h\"\nchunk = \"6h\"\n"), cfg);
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow + Duration{17}, problems);  // evaluation times on whole minutes
  EXPECT_TRUE(problems.empty());

  const auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 15u);  // 3 queries x 5 chunks
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
  for (std::size_t i = 0; i < 5; ++i) {
    auto p = query_params(reqs[i].query());
    EXPECT_EQ(reqs[i].path(), "/api/v1/query_range");
    EXPECT_EQ(p["step"], "60s");
    ranges.emplace_back(std::stoll(p["start"]), std::stoll(p["end"]));
  }
  const std::int64_t start = kNowS - 26 * 3600;
  const std::vector<std::pair<std::int64_t, std::int64_t>> want{
      {start, start + 21600},
      {start + 21660, start + 43260},
      {start + 43320, start + 64920},
      {start + 64980, start + 86580},
      {start + 86640, kNowS}};
  EXPECT_EQ(ranges, want);

  ASSERT_EQ(f.verifications.size(), 1u);
  const auto ms = f.verifications[0].minutes.decode();
  ASSERT_EQ(ms.size(), 5u);  // one merged minute per chunk, in order
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(ms[i].minute, want[i].first / 60 - 1);
    EXPECT_EQ(ms[i].ok, 3u);  // 2.6 rounded
    EXPECT_EQ(ms[i].fail, 1u);
    EXPECT_EQ(ms[i].unsigned_processed, 0u);
  }
}

TEST(PrometheusStub, BadSamplesAndUnlabelledSeriesAreProblemsNotData) {
  StubHttpServer srv([&](const StubRequest& r) {
    auto p = query_params(r.query());
    if (p["query"].find("%22ok%22") == std::string::npos) return StubResponse{200, matrix("c1", {})};
    const std::int64_t end = std::stoll(p["end"]);
    json doc = json::parse(matrix("c1", {{end - 180, "NaN"}, {end - 120, "-3"}, {end - 60, "abc"}, {end, "7"}}));
    doc["data"]["result"].push_back({{"metric", {{"job", "x"}}}, {"values", json::array({json::array({end, "9"})})}});
    return StubResponse{200, doc.dump()};
  });
  TempDir dir;
  Config cfg;
  auto src = make_source(dir, source_toml(srv.url(), "lookback = \"1h\"\n"), cfg);
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  ASSERT_EQ(f.verifications.size(), 1u);
  ASSERT_EQ(f.verifications[0].minutes.size(), 1u);
  EXPECT_EQ(f.verifications[0].minutes.decode()[0].ok, 7u);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("ok query: 1 series without a 'customer_id' label"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("ok query: customer c1: 3 sample(s)"), std::string::npos) << problems[1];
}

TEST(PrometheusStub, QueryErrorNamesTheQueryNotTheBody) {
  StubHttpServer srv([&](const StubRequest& r) {
    if (r.query().find("%22fail%22") != std::string::npos) {
      return StubResponse{400, R"({"status":"error","errorType":"bad_data","error":"1:5: parse error","extra":"bodycanary"})"};
    }
    return StubResponse{200, matrix("c1", {})};
  });
  TempDir dir;
  Config cfg;
  auto src = make_source(dir, source_toml(srv.url(), "lookback = \"1h\"\n"), cfg);
  Facts f;
  std::vector<std::string> problems;
  const std::string msg = thrown([&] { src->collect(f, kNow, problems); });
  EXPECT_NE(msg.find("prom: query_range fail_query"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad_data: 1:5: parse error"), std::string::npos) << msg;
  EXPECT_NE(msg.find("check fail_query"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("bodycanary"), std::string::npos) << msg;
  EXPECT_EQ(srv.count(), 2u);  // ok, then fail: a 400 is not retried
}

TEST(PrometheusStub, Unavailable503IsRetriedThenSucceeds) {
  int n = 0;
  StubHttpServer srv([&](const StubRequest&) {
    if (n++ == 0) return StubResponse{503, R"({"status":"error","errorType":"unavailable","error":"not ready"})"};
    return StubResponse{200, matrix("c1", {{kNowS, "4"}})};
  });
  TempDir dir;
  Config cfg;
  auto src = make_source(dir, source_toml(srv.url(), "lookback = \"1h\"\nunsigned_query = \"\"\n"), cfg);
  Facts f;
  std::vector<std::string> problems;
  src->collect(f, kNow, problems);
  EXPECT_EQ(srv.count(), 3u);  // ok twice (503, 200), fail once; no unsigned query
  ASSERT_EQ(f.verifications.size(), 1u);
  EXPECT_EQ(f.verifications[0].minutes.decode().at(0).ok, 4u);
  EXPECT_EQ(f.verifications[0].minutes.decode().at(0).fail, 4u);
}

TEST(PrometheusStub, MalformedJsonAndAuthAreSourceErrors) {
  TempDir dir;
  write_file(dir / "prom-token", "CANARY-PROM-TOKEN-1234\n");
  std::string auth_seen;
  StubHttpServer bad([&](const StubRequest& r) {
    auth_seen = r.header("authorization");
    return StubResponse{200, R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":)"};
  });
  Config cfg;
  auto src = make_source(dir, source_toml(bad.url(), "bearer_token_file = \"prom-token\"\n"), cfg);
  Facts f;
  std::vector<std::string> problems;
  std::string msg = thrown([&] { src->collect(f, kNow, problems); });
  EXPECT_NE(msg.find("malformed or truncated JSON"), std::string::npos) << msg;
  EXPECT_EQ(auth_seen, "Bearer CANARY-PROM-TOKEN-1234");
  EXPECT_EQ(msg.find("CANARY"), std::string::npos);

  StubHttpServer refused([&](const StubRequest&) { return StubResponse{401, "{}"}; });
  Config cfg2;
  auto src2 = make_source(dir, source_toml(refused.url(), "bearer_token_file = \"prom-token\"\n"), cfg2);
  msg = thrown([&] { src2->collect(f, kNow, problems); });
  EXPECT_NE(msg.find("authentication refused (HTTP 401); check bearer_token_file"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("CANARY"), std::string::npos);
  EXPECT_TRUE(f.verifications.empty());
}

TEST(PrometheusConfig, RequiresUrlAndRefusesPlainHttpToARemoteHost) {
  auto r = parse_config("[inventory]\npath = \"i.db\"\n[[sources]]\nname = \"p\"\ntype = \"prometheus\"\n", "/x/c.toml");
  EXPECT_FALSE(r.ok());
  r = parse_config("[inventory]\npath = \"i.db\"\n[[sources]]\nname = \"p\"\ntype = \"prometheus\"\n"
                   "url = \"http://prom.example:9090\"\nok_query = \"\"\nbogus = 1\n",
                   "/x/c.toml");
  std::string all;
  for (const auto& p : r.problems) all += p.to_string() + "\n";
  EXPECT_NE(all.find("sources[1].url: must be https://"), std::string::npos) << all;
  EXPECT_NE(all.find("sources[1].ok_query: must not be empty"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown key 'sources[1].bogus'"), std::string::npos) << all;
}

// ---------------------------------------------------------------- real Prometheus

TEST(PrometheusReal, CountersDriveSignatureFailuresEndToEnd) {
  if (auto why = PrometheusServer::missing_binaries(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir;
  ASSERT_EQ(run(dir, {"demo", dir.path().string(), "--compliant", "--customers", "2", "--now", kDemoNow}).exit_code, 0);

  // Three hours of per-minute counters ending at "now".
  constexpr int kMinutes = 180;
  const std::int64_t first = kNowS - kMinutes * 60;
  std::vector<std::uint32_t> ok(kMinutes, 100), zero(kMinutes, 0), failing_ok(kMinutes, 100), failing(kMinutes, 0),
      unsigned_one(kMinutes, 0);
  for (int i = kMinutes - 20; i < kMinutes; ++i) {  // 5% failures over the last 20 minutes
    failing_ok[i] = 95;
    failing[i] = 5;
  }
  unsigned_one[kMinutes - 30] = 1;
  std::vector<CounterSeries> series{
      verification_counter("healthy", "ok", first, ok),        verification_counter("healthy", "fail", first, zero),
      verification_counter("healthy", "unsigned", first, zero), verification_counter("failing", "ok", first, failing_ok),
      verification_counter("failing", "fail", first, failing),  verification_counter("forged", "ok", first, ok),
      verification_counter("forged", "unsigned", first, unsigned_one)};
  fs::create_directories(dir / "prom");
  std::unique_ptr<PrometheusServer> prom;
  try {
    prom = std::make_unique<PrometheusServer>(dir / "prom", openmetrics(series));
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }

  // The backfilled range answers query_range at the injected time.
  auto [status, body] = prom->get("/api/v1/query_range?query=webhook_signature_verifications_total&start=" +
                                  std::to_string(kNowS - 120) + "&end=" + std::to_string(kNowS) + "&step=60s");
  ASSERT_EQ(status, 200) << body;
  ASSERT_EQ(json::parse(body)["data"]["result"].size(), series.size()) << body;

  write_file(dir / "complyd.toml", read_file(dir / "complyd.toml") + "\n[[sources]]\nname = \"prom\"\ntype = "
                                                                       "\"prometheus\"\nurl = \"" + prom->url() +
                                       "\"\nmax_attempts = 1\nconnect_timeout = \"2s\"\n");
  const json first_doc = audit_json(dir, kDemoNow, 3);
  bool prom_ok = false;
  for (const auto& s : first_doc["cycle"]["sources"]) {
    if (s["name"] == "prom") {
      prom_ok = s["ok"].get<bool>();
      EXPECT_GT(s["rows"].get<int>(), 300);
      EXPECT_EQ(s["rejected_rows"], 0);
    }
  }
  EXPECT_TRUE(prom_ok) << first_doc["cycle"].dump();
  const std::set<std::string> want{"failing webhooks:failure-rate", "forged webhooks:unsigned"};
  EXPECT_EQ(finding_keys(first_doc, "signature-failures"), want) << first_doc["findings"].dump();

  // Prometheus gone: the source fails, source-unavailable opens, and
  // signature-failures keeps its findings instead of resolving them.
  prom->stop();
  Result raw;
  const json second = audit_json(dir, "2026-11-22T12:05:00Z", 3, &raw);
  const std::string& err = raw.err;
  EXPECT_EQ(finding_keys(second, "signature-failures"), want);
  EXPECT_EQ(finding_keys(second, "source-unavailable"), std::set<std::string>{" source:prom"});
  EXPECT_EQ(second["cycle"]["resolved"], 0);
  EXPECT_NE(err.find("source prom (prometheus) failed"), std::string::npos) << err;
}

}  // namespace
}  // namespace complyd::itest
