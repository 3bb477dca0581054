// SPDX-License-Identifier: Apache-2.0
// POST /v1/verifications: the batch parser/validator (pure), the [[sources]]
// type = "ingest" settings, and ingest.db (writer, replay, prune, read).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "daemon/config/config.hpp"
#include "daemon/http/ingest.hpp"
#include "daemon/sources/ingest_source.hpp"
#include "daemon/sources/ingest_store.hpp"
#include "daemon/util/crypto.hpp"
#include "model/time.hpp"
#include "temp_dir.hpp"
#include "daemon/sources/registry.hpp"

namespace complyd {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using http::Batch;
using http::BatchError;
using http::BatchLimits;
using http::parse_batch;

const Time kNow = *parse_time("2026-11-22T12:00:30Z");

BatchLimits limits(std::int64_t max_rows = 100) { return BatchLimits{max_rows, kNow, Duration{48 * 3600}, Duration{120}}; }

BatchError error_of(const std::string& body, const BatchLimits& l = limits()) {
  auto r = parse_batch(body, l);
  if (!std::holds_alternative<BatchError>(r)) {
    ADD_FAILURE() << "accepted: " << body;
    return {};
  }
  return std::get<BatchError>(r);
}

std::string row(const std::string& fields) { return R"({"rows":[)" + fields + "]}"; }

TEST(IngestBatch, AcceptsRfc3339AndUnixMinutes) {
  auto r = parse_batch(R"({"batch_id":"w-eu:2026-11-22T11:59","rows":[
      {"customer_id":"cust_0001","minute":"2026-11-22T11:58:00Z","ok":120,"fail":1,"unsigned":0},
      {"customer_id":"cust_0001","minute":1795348620,"ok":4294967295,"fail":0},
      {"customer_id":"cust_0002","minute":"2026-11-22T12:58:00+01:00","ok":0,"fail":3}]})",
                       limits());
  ASSERT_TRUE(std::holds_alternative<Batch>(r)) << std::get<BatchError>(r).message;
  const auto& b = std::get<Batch>(r);
  EXPECT_EQ(b.batch_id, "w-eu:2026-11-22T11:59");
  ASSERT_EQ(b.rows.size(), 3u);
  EXPECT_EQ(b.rows[0].minute, to_unix(*parse_time("2026-11-22T11:58:00Z")));
  EXPECT_EQ(b.rows[0].ok, 120u);
  EXPECT_EQ(b.rows[0].fail, 1u);
  EXPECT_EQ(b.rows[1].minute, 1795348620);
  EXPECT_EQ(b.rows[1].ok, 4294967295u);
  EXPECT_EQ(b.rows[1].unsigned_processed, 0u);  // optional
  EXPECT_EQ(b.rows[2].minute, b.rows[0].minute);  // offsets are honoured
  EXPECT_EQ(b.rows[2].customer_id, "cust_0002");
}

TEST(IngestBatch, MalformedJsonSaysWhere) {
  auto e = error_of(R"({"rows":[{"customer_id":"c","minute":)");
  EXPECT_EQ(e.status, http::bhttp::status::bad_request);
  EXPECT_NE(e.message.find("malformed JSON at byte"), std::string::npos) << e.message;
  EXPECT_NE(error_of("[1,2]").message.find("must be a JSON object"), std::string::npos);
  EXPECT_NE(error_of("{}").message.find("rows: required"), std::string::npos);
  EXPECT_NE(error_of(R"({"rows":[]})").message.find("rows: empty"), std::string::npos);
  EXPECT_NE(error_of(R"({"rows":[[[[1]]]]})").message.find("nested too deeply"), std::string::npos);
  EXPECT_NE(error_of(R"({"rows":[{"customer_id":"c","minute":0,"ok":1,"fail":0}],"extra":1})").message.find(
                "unknown 'extra'"),
            std::string::npos);
}

// nlohmann's parser throws out_of_range, not parse_error, for a number past a
// double's range; uncaught, it ended the daemon (tests/fuzz/http_fuzz found it).
TEST(IngestBatch, ANumberPastADoublesRangeIsABadRequest) {
  const auto e = error_of(R"({"rows":[{"customer_id":"c","minute":179534e540,"ok":1,"fail":0}]})");
  EXPECT_EQ(e.status, http::bhttp::status::bad_request);
  EXPECT_EQ(e.message, "a number too large for a JSON number");
}

TEST(IngestBatch, EachRowProblemNamesTheRowAndField) {
  const std::string ok = R"({"customer_id":"c","minute":"2026-11-22T11:00:00Z","ok":1,"fail":0})";
  struct Case {
    std::string bad_row;
    std::string field;
    std::string says;
  } cases[] = {
      {R"({"customer_id":"c","minute":"2026-11-22T11:00:00Z","ok":1,"fail":-1})", "fail", "from 0 to 4294967295"},
      {R"({"customer_id":"c","minute":"2026-11-22T11:00:00Z","ok":1.5,"fail":0})", "ok", "from 0 to 4294967295"},
      {R"({"customer_id":"c","minute":"2026-11-22T11:00:00Z","ok":"1","fail":0})", "ok", "from 0 to 4294967295"},
      {R"({"customer_id":"c","minute":"2026-11-22T11:00:00Z","ok":4294967296,"fail":0})", "ok", "from 0 to"},
      {R"({"customer_id":"c","minute":"2026-11-22T11:00:00Z","ok":1,"fail":0,"unsigned":-2})", "unsigned", "from 0"},
      {R"({"customer_id":"c","minute":"2026-11-22T11:00:30Z","ok":1,"fail":0})", "minute", "start of a minute"},
      {R"({"customer_id":"c","minute":1795348621,"ok":1,"fail":0})", "minute", "start of a minute"},
      {R"({"customer_id":"c","minute":"2026-11-22T11:00:00.5Z","ok":1,"fail":0})", "minute", "RFC 3339"},
      {R"({"customer_id":"c","minute":"yesterday","ok":1,"fail":0})", "minute", "RFC 3339"},
      {R"({"customer_id":"c","minute":true,"ok":1,"fail":0})", "minute", "RFC 3339 time or unix seconds"},
      {R"({"customer_id":"c","minute":"2026-11-22T12:03:00Z","ok":1,"fail":0})", "minute", "in the future"},
      {R"({"customer_id":"c","minute":"2026-11-20T11:00:00Z","ok":1,"fail":0})", "minute", "older than the retention"},
      {R"({"customer_id":"","minute":"2026-11-22T11:00:00Z","ok":1,"fail":0})", "customer_id", "must not be empty"},
      {R"({"customer_id":7,"minute":"2026-11-22T11:00:00Z","ok":1,"fail":0})", "customer_id", "must be a string"},
      {R"({"customer_id":"a\u0001b","minute":"2026-11-22T11:00:00Z","ok":1,"fail":0})", "customer_id", "control"},
      {R"({"minute":"2026-11-22T11:00:00Z","ok":1,"fail":0})", "customer_id", "required"},
      {R"({"customer_id":"c","ok":1,"fail":0})", "minute", "required"},
      {R"({"customer_id":"c","minute":"2026-11-22T11:00:00Z","ok":1})", "fail", "required"},
      {R"({"customer_id":"c","minute":"2026-11-22T11:00:00Z","ok":1,"fail":0,"fails":2})", "", "unknown 'fails'"},
      {R"("just a string")", "", "must be an object"},
      {R"({"customer_id":"c","minute":"2026-11-22T11:00:00Z","ok":2,"fail":0})", "minute", "same customer_id"},
  };
  for (const auto& c : cases) {
    const auto e = error_of(row(ok + "," + c.bad_row));
    EXPECT_EQ(e.status, http::bhttp::status::bad_request) << c.bad_row;
    ASSERT_TRUE(e.row.has_value()) << c.bad_row << " -> " << e.message;
    EXPECT_EQ(*e.row, 1u) << c.bad_row;
    EXPECT_EQ(e.field, c.field) << c.bad_row << " -> " << e.message;
    EXPECT_TRUE(e.message.starts_with("rows[1]")) << e.message;
    EXPECT_NE(e.message.find(c.says), std::string::npos) << c.bad_row << " -> " << e.message;
  }
  // Values from the request are never repeated.
  const auto e = error_of(row(R"({"customer_id":"CANARY-value","minute":"CANARY-minute","ok":1,"fail":0})"));
  EXPECT_EQ(e.message.find("CANARY"), std::string::npos) << e.message;
  const auto k = error_of(row(ok + R"(,{"customer_id":"c","minute":0,"ok":1,"fail":0,"CANARY key with spaces":1})"));
  EXPECT_EQ(k.message.find("CANARY"), std::string::npos) << k.message;
  const auto id = error_of(R"({"batch_id":"CANARY with spaces","rows":[)" + ok + "]}");
  EXPECT_EQ(id.field, "batch_id");
  EXPECT_EQ(id.message.find("CANARY"), std::string::npos);
}

TEST(IngestBatch, TooManyRowsIs413) {
  std::string rows;
  for (int i = 0; i < 4; ++i) {
    rows += fmt::format("{}{{\"customer_id\":\"c{}\",\"minute\":\"2026-11-22T11:00:00Z\",\"ok\":1,\"fail\":0}}",
                        i ? "," : "", i);
  }
  EXPECT_TRUE(std::holds_alternative<Batch>(parse_batch(row(rows), limits(4))));
  const auto e = error_of(row(rows), limits(3));
  EXPECT_EQ(e.status, http::bhttp::status::payload_too_large);
  EXPECT_NE(e.message.find("more than max_rows_per_batch (3)"), std::string::npos) << e.message;
}

TEST(IngestBatch, ErrorResponseIsJsonWithRowAndField) {
  const auto res = http::batch_error_response(BatchError{http::bhttp::status::bad_request, "rows[2].fail: x", 2, "fail"}, 11);
  EXPECT_EQ(res.result(), http::bhttp::status::bad_request);
  const auto j = nlohmann::json::parse(res.body());
  EXPECT_EQ(j["row"], 2);
  EXPECT_EQ(j["field"], "fail");
  EXPECT_EQ(j["error"], "rows[2].fail: x");
}

// ---- configuration ----------------------------------------------------------

ConfigResult parse_ingest_config(const std::string& text) {
  return parse_config("[inventory]\npath = \"inventory.db\"\n[state]\npath = \"/var/lib/complyd/state.db\"\n" + text,
                      "/etc/complyd/complyd.toml");
}
std::string ib_all(const ConfigResult& r) {
  std::string out;
  for (const auto& p : r.problems) out += p.to_string() + "\n";
  return out;
}
const std::string kHashA = sha256_hex("token-a"), kHashB = sha256_hex("token-b");

TEST(IngestConfig, DefaultsAndReceivers) {
  auto r = parse_ingest_config("[[sources]]\nname = \"receivers\"\ntype = \"ingest\"\nreceivers = [ { name = \"worker-eu\", "
                 "token_sha256 = \"" + kHashA + "\" }, { name = \"worker-us\", token_sha256 = \"" +
                 sha256_hex("token-b") + "\" } ]\n");
  ASSERT_TRUE(r.ok()) << ib_all(r);
  ASSERT_EQ(r.config->sources.size(), 1u);
  const auto& sc = r.config->sources[0];
  const auto& s = sc.as<IngestSettings>();
  EXPECT_EQ(s.window, Duration{26 * 3600});
  EXPECT_EQ(s.retention, Duration{48 * 3600});
  EXPECT_EQ(s.stale_after, Duration{15 * 60});
  EXPECT_EQ(s.max_batch_bytes, 1 << 20);
  EXPECT_EQ(s.max_rows_per_batch, 10000);
  ASSERT_EQ(s.receivers.size(), 2u);
  EXPECT_EQ(s.receivers[1].name, "worker-us");
  EXPECT_EQ(s.receivers[0].token_sha256, kHashA);
  EXPECT_EQ(ingest_db_path(sc, *r.config), fs::path("/var/lib/complyd/ingest.db"));
}

TEST(IngestConfig, AllKeysAndTableSyntax) {
  auto r = parse_ingest_config("[[sources]]\nname = \"receivers\"\ntype = \"ingest\"\npath = \"push/ingest.db\"\nwindow = \"12h\"\n"
                 "retention = \"3d\"\nstale_after = \"5m\"\nmax_batch_bytes = 65536\nmax_rows_per_batch = 500\n"
                 "[[sources.receivers]]\nname = \"w1\"\ntoken_sha256 = \"" + kHashA + "\"\n");
  ASSERT_TRUE(r.ok()) << ib_all(r);
  const auto& sc = r.config->sources[0];
  const auto& s = sc.as<IngestSettings>();
  EXPECT_EQ(s.path, fs::path("/etc/complyd/push/ingest.db"));
  EXPECT_EQ(s.window, Duration{12 * 3600});
  EXPECT_EQ(s.retention, days(3));
  EXPECT_EQ(s.stale_after, Duration{300});
  EXPECT_EQ(s.max_batch_bytes, 65536);
  EXPECT_EQ(s.max_rows_per_batch, 500);
  EXPECT_EQ(ingest_db_path(sc, *r.config), fs::path("/etc/complyd/push/ingest.db"));
}

TEST(IngestConfig, ProblemsCarryPositionsAndNeverTheToken) {
  auto r = parse_ingest_config("[[sources]]\nname = \"receivers\"\ntype = \"ingest\"\nwindow = \"3d\"\nretention = \"2d\"\n"
                 "receivers = [\n"
                 "  { name = \"w1\", token_sha256 = \"CANARY-pasted-a-token-here\" },\n"
                 "  { name = \"w1\", token_sha256 = \"" + kHashA + "\" },\n"
                 "  { name = \"W 2\", token_sha256 = \"" + kHashA + "\" },\n"
                 "  { name = \"w3\" },\n"
                 "  { name = \"w4\", token_sha256 = \"" + kHashB + "\", token = \"CANARY-inline\" },\n"
                 "]\n");
  EXPECT_FALSE(r.ok());
  const std::string m = ib_all(r);
  EXPECT_NE(m.find("complyd.toml:9:13: sources[1]: retention (2d) must be at least window (3d)"), std::string::npos) << m;
  EXPECT_NE(m.find("complyd.toml:11:33: sources[1].receivers[1].token_sha256: must be the SHA-256"), std::string::npos)
      << m;
  EXPECT_NE(m.find("complyd.toml:12:12: sources[1].receivers[2].name: receiver 'w1' is listed twice"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("sources[1].receivers[3].name: 'W 2' is not a receiver name"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[1].receivers[3].token_sha256: the same token hash is listed for another receiver"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("sources[1].receivers[4]: 'token_sha256' is required"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[1].receivers[5].token: secrets are not accepted inline"), std::string::npos) << m;
  EXPECT_EQ(m.find("CANARY"), std::string::npos) << m;

  auto none = parse_ingest_config("[[sources]]\nname = \"receivers\"\ntype = \"ingest\"\n");
  EXPECT_NE(ib_all(none).find("sources[1].receivers: at least one receiver is required"), std::string::npos) << ib_all(none);
  auto empty = parse_ingest_config("[[sources]]\nname = \"receivers\"\ntype = \"ingest\"\nreceivers = []\n");
  EXPECT_NE(ib_all(empty).find("complyd.toml:8:13: sources[1].receivers: at least one receiver"), std::string::npos)
      << ib_all(empty);
}

// ---- ingest.db ---------------------------------------------------------------

TEST(IngestStore, ReplayCountsOnceSumsReceiversAndPrunes) {
  TempDir d;
  const auto db = d.path / "ingest.db";
  const Time t0 = *parse_time("2026-11-22T10:00:00Z");
  IngestWriter w(db, t0);
  auto m = [&](int i) { return to_unix(t0) + i * 60; };
  const std::vector<IngestRow> batch{{"c1", m(1), 100, 5, 0}, {"c1", m(2), 50, 0, 1}, {"c2", m(1), 10, 0, 0}};
  w.write("w1", "b1", batch, t0 + Duration{180}, t0 - days(1));
  w.write("w1", "b1", batch, t0 + Duration{190}, t0 - days(1));  // replay
  w.write("w2", "", {{"c1", m(1), 1, 1, 0}}, t0 + Duration{200}, t0 - days(1));

  auto s = read_ingest(db, {"w1", "w2"}, t0, t0 + Duration{3600}, 1000);
  ASSERT_TRUE(s.initialised);
  EXPECT_EQ(s.created_at, t0);
  ASSERT_EQ(s.receivers.size(), 2u);
  EXPECT_EQ(s.receivers[0].last_batch_at, t0 + Duration{190});
  ASSERT_EQ(s.series.size(), 2u);
  EXPECT_EQ(s.series[0].customer_id, "c1");
  ASSERT_EQ(s.series[0].minutes.size(), 2u);
  EXPECT_EQ(s.series[0].minutes.decode()[0].minute, m(1) / 60);
  EXPECT_EQ(s.series[0].minutes.decode()[0].ok, 101u);  // w1 once + w2
  EXPECT_EQ(s.series[0].minutes.decode()[0].fail, 6u);
  EXPECT_EQ(s.series[0].minutes.decode()[1].unsigned_processed, 1u);
  EXPECT_EQ(s.series[1].minutes.decode()[0].ok, 10u);

  // A receiver no longer configured does not count.
  auto only = read_ingest(db, {"w1"}, t0, t0 + Duration{3600}, 1000);
  EXPECT_EQ(only.series[0].minutes.decode()[0].ok, 100u);
  // Pruned: minutes before keep_from are deleted on the next write.
  w.write("w2", "", {{"c3", m(3), 1, 0, 0}}, t0 + Duration{300}, Time{Duration{m(2)}});
  auto pruned = read_ingest(db, {"w1", "w2"}, t0 - Duration{3600}, t0 + Duration{3600}, 1000);
  ASSERT_EQ(pruned.series.size(), 2u);
  EXPECT_EQ(pruned.series[0].minutes.size(), 1u);  // c1: minute 2 only
  EXPECT_EQ(pruned.series[1].customer_id, "c3");
}

SourceConfig ingest_source(const fs::path& db, Duration stale_after = Duration{900}) {
  auto st = std::make_shared<IngestSettings>();
  st->path = db;
  st->stale_after = stale_after;
  st->receivers = {{"w1", kHashA}, {"w2", kHashB}};
  SourceConfig sc;
  sc.name = "receivers";
  sc.type = "ingest";
  sc.settings = st;
  return sc;
}

TEST(IngestSource, MissingNeverFedStaleAndFresh) {
  TempDir d;
  const auto db = d.path / "ingest.db";
  const Time t0 = *parse_time("2026-11-22T10:00:00Z");
  IngestSource src(ingest_source(db), db);
  Facts f;
  std::vector<std::string> problems;
  try {
    src.collect(f, t0, problems);
    ADD_FAILURE() << "a missing file must fail the source";
  } catch (const SourceError& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  IngestWriter w(db, t0);
  src.collect(f, t0 + Duration{600}, problems);  // within stale_after of creation: ok, nothing yet
  EXPECT_TRUE(f.verifications.empty());
  try {
    src.collect(f, t0 + Duration{1000}, problems);
    ADD_FAILURE() << "never fed past stale_after must fail";
  } catch (const SourceError& e) {
    EXPECT_NE(std::string(e.what()).find("no batch received from any receiver since 2026-11-22T10:00:00Z"),
              std::string::npos)
        << e.what();
  }
  w.write("w1", "", {{"c1", to_unix(t0) + 60, 5, 1, 0}}, t0 + Duration{1100}, t0 - days(1));
  problems.clear();
  src.collect(f, t0 + Duration{1200}, problems);
  ASSERT_EQ(f.verifications.size(), 1u);
  EXPECT_EQ(f.verifications[0].minutes.decode()[0].fail, 1u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "receiver w2: no batch received yet");
  try {
    src.collect(f, t0 + Duration{1100 + 901}, problems);
    ADD_FAILURE() << "stale must fail";
  } catch (const SourceError& e) {
    EXPECT_NE(std::string(e.what()).find("no batch received since 2026-11-22T10:18:20Z (stale_after 15m)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace complyd
