// SPDX-License-Identifier: Apache-2.0
// POST /v1/verifications on `complyd run` over real loopback sockets: auth,
// limits, validation, atomic and idempotent storage in ingest.db; then
// `complyd audit` with the ingest source: pushed counters drive
// signature-failures, a stale feed fails the source and keeps the finding,
// and the receiver's token canary never reaches a log or a database.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "daemon/util/sqlite.hpp"
#include "daemon/util/crypto.hpp"
#include "model/time.hpp"
#include "harness.hpp"
#include "raw_http.hpp"
#include "process.hpp"
#include "tests/wait_until.hpp"

namespace complyd::itest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kToken = "CANARY-ingest-token-7f3a9c2e51";     // worker-eu
const std::string kToken2 = "second-receiver-token-0b8d44e1";    // worker-us
const std::string kReadToken = "read-only-http-token-5521aa90";  // [http] token_sha256: GET /v1/ only

std::string post(int port, const std::string& body, const std::string& token,
                 const std::string& type = "application/json", const std::string& extra_headers = "") {
  std::string req = "POST /v1/verifications HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  if (!type.empty()) req += "Content-Type: " + type + "\r\n";
  req += extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return raw(port, req);
}

int status_of(const std::string& response) {
  if (!response.starts_with("HTTP/1.1 ")) return -1;
  return std::stoi(response.substr(9, 3));
}
std::string body_of(const std::string& response) {
  const auto p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

struct Stored {
  std::int64_t rows = 0, ok = 0, fail = 0;
  bool operator==(const Stored&) const = default;
};
Stored stored(const fs::path& db) {
  sql::Db d(db, sql::OpenMode::read_only);
  sql::Stmt s(d, "SELECT count(*), coalesce(sum(ok), 0), coalesce(sum(fail), 0) FROM verification_minutes");
  s.step();
  return {s.i64(0), s.i64(1), s.i64(2)};
}

// Rows for `minutes` whole minutes ending before `end_minute` (unix seconds).
std::string batch(const std::string& id, const std::string& customer, std::int64_t end_minute, int minutes, int ok,
                  int fail) {
  json rows = json::array();
  for (int i = minutes; i >= 1; --i) {
    const std::int64_t m = end_minute - i * 60;
    // Alternate the two accepted forms of a minute.
    json minute = i % 2 ? json(format_time(from_unix(m))) : json(m);
    rows.push_back({{"customer_id", customer}, {"minute", minute}, {"ok", ok}, {"fail", fail}, {"unsigned", 0}});
  }
  return json{{"batch_id", id}, {"rows", rows}}.dump();
}

bool contains_bytes(const fs::path& p, const std::string& needle) {
  std::error_code ec;
  return fs::exists(p, ec) && read_file(p).find(needle) != std::string::npos;
}

TEST(Ingest, PushedCountersDriveSignatureFailures) {
  TempDir d;
  const std::int64_t now_s = to_unix(std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()));
  const std::int64_t this_minute = now_s - now_s % 60;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", format_time(from_unix(now_s))}).exit_code, 0);
  const auto config = d / "complyd.toml";
  write_file(config, read_file(config) + "\n[http]\nlisten = \"127.0.0.1:0\"\ntoken_sha256 = [\"" +
                         sha256_hex(kReadToken) + "\"]\nread_timeout = \"3s\"\n\n[[sources]]\nname = \"receivers\"\n"
                         "type = \"ingest\"\nmax_batch_bytes = 65536\nmax_rows_per_batch = 100\nreceivers = [\n"
                         "  { name = \"worker-eu\", token_sha256 = \"" + sha256_hex(kToken) + "\" },\n"
                         "  { name = \"worker-us\", token_sha256 = \"" + sha256_hex(kToken2) + "\" },\n]\n");
  auto check = run(d, {"config", "check", "--config", config.string()});
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;

  const auto err = d / "daemon.err";
  const auto ingest_db = d / "ingest.db";
  Process daemon({"run", "--config", config.string()}, err);
  int port = -1;
  ASSERT_TRUE(wait_until([&] {
    std::smatch m;
    const auto log = read_file(err);
    static const std::regex re(R"(http: listening on 127\.0\.0\.1:([0-9]+))");
    if (!std::regex_search(log, m, re)) return false;
    port = std::stoi(m[1]);
    return true;
  }, 20s)) << read_file(err);
  ASSERT_TRUE(wait_until([&] { return fs::exists(ingest_db); }, 10s)) << read_file(err);

  // cust_ingest_1: 5% failures over 20 minutes, split across two receivers;
  // cust_ingest_2: clean.
  const std::string eu = batch("eu-1", "cust_ingest_1", this_minute, 20, 100, 5);
  const std::string us = batch("us-1", "cust_ingest_1", this_minute, 20, 90, 5);
  const std::string clean = batch("eu-2", "cust_ingest_2", this_minute, 20, 100, 0);

  // Refusals first: nothing of them may be stored.
  auto missing = post(port, eu, "");
  EXPECT_EQ(status_of(missing), 401) << missing;
  EXPECT_NE(missing.find("WWW-Authenticate: Bearer"), std::string::npos);
  auto wrong = post(port, eu, "wrong-" + kToken);
  EXPECT_EQ(status_of(wrong), 401);
  EXPECT_EQ(wrong.find("wrong-"), std::string::npos);
  EXPECT_EQ(status_of(post(port, eu, kReadToken)), 401) << "an [http] read token must not push";
  auto get = raw(port, "GET /v1/verifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken +
                           "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(get), 405);
  EXPECT_NE(get.find("Allow: POST"), std::string::npos);
  EXPECT_EQ(status_of(post(port, eu, kToken, "text/plain")), 415);
  EXPECT_EQ(status_of(post(port, eu, kToken, "")), 415);
  // Over max_batch_bytes: refused on Content-Length, before the body is sent.
  auto big = raw(port, "POST /v1/verifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken +
                           "\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n\r\n");
  EXPECT_EQ(status_of(big), 413) << big;
  // ... and cut off while reading a chunked one.
  std::string chunked = "POST /v1/verifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken +
                        "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) chunked += "1000\r\n" + std::string(4096, ' ') + "\r\n";
  chunked += "0\r\n\r\n";
  EXPECT_EQ(status_of(raw(port, chunked)), 413);
  std::string many_rows = batch("many", "cust_x", this_minute, 101, 1, 0);
  auto too_many = post(port, many_rows, kToken);
  EXPECT_EQ(status_of(too_many), 413) << too_many;
  EXPECT_NE(body_of(too_many).find("max_rows_per_batch"), std::string::npos);
  auto malformed = post(port, eu.substr(0, eu.size() / 2), kToken);
  EXPECT_EQ(status_of(malformed), 400);
  EXPECT_NE(body_of(malformed).find("malformed JSON at byte"), std::string::npos) << malformed;
  // One bad row refuses the whole batch, naming the row and field.
  auto bad_doc = json::parse(eu);
  bad_doc["rows"][7]["fail"] = -1;
  auto negative = post(port, bad_doc.dump(), kToken);
  EXPECT_EQ(status_of(negative), 400);
  const auto nj = json::parse(body_of(negative));
  EXPECT_EQ(nj["row"], 7);
  EXPECT_EQ(nj["field"], "fail");
  bad_doc = json::parse(eu);
  bad_doc["rows"][3]["minute"] = this_minute + 600;
  auto future = post(port, bad_doc.dump(), kToken);
  EXPECT_EQ(status_of(future), 400);
  EXPECT_NE(body_of(future).find("rows[3].minute: in the future"), std::string::npos) << future;
  // Every other path keeps the small GET body limit.
  auto get_body = raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b'));
  EXPECT_EQ(status_of(get_body), 413);
  EXPECT_EQ(stored(ingest_db), Stored{}) << "a refused batch stored rows";

  // Accepted: 200 {"accepted": N}. One with Expect: 100-continue, as curl sends it.
  {
    const int fd = connect_to(port);
    ASSERT_GE(fd, 0);
    const std::string head = "POST /v1/verifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken +
                             "\r\nContent-Type: application/json; charset=utf-8\r\nExpect: 100-continue\r\n"
                             "Connection: close\r\nContent-Length: " + std::to_string(eu.size()) + "\r\n\r\n";
    send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    char buf[256];
    const auto n = recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    EXPECT_TRUE(std::string(buf, static_cast<std::size_t>(n)).starts_with("HTTP/1.1 100 Continue\r\n"));
    send(fd, eu.data(), eu.size(), MSG_NOSIGNAL);
    const auto res = read_all(fd);
    close(fd);
    ASSERT_EQ(status_of(res), 200) << res;
    EXPECT_EQ(json::parse(body_of(res)), json({{"accepted", 20}}));
  }
  auto r2 = post(port, us, kToken2);
  ASSERT_EQ(status_of(r2), 200) << r2;
  auto r3 = post(port, clean, kToken);
  ASSERT_EQ(status_of(r3), 200) << r3;
  const Stored once = stored(ingest_db);
  EXPECT_EQ(once, (Stored{60, 20 * (100 + 90 + 100), 20 * (5 + 5)}));
  // Replayed: counted once.
  for (const auto* b : {&eu, &us}) {
    auto again = post(port, *b, b == &eu ? kToken : kToken2);
    ASSERT_EQ(status_of(again), 200) << again;
  }
  EXPECT_EQ(stored(ingest_db), once);
  {
    sql::Db db(ingest_db, sql::OpenMode::read_only);
    sql::Stmt s(db, "SELECT receiver, last_batch_id, last_rows FROM receivers ORDER BY receiver");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.text(0), "worker-eu");
    EXPECT_EQ(s.text(1), "eu-1");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.text(0), "worker-us");
  }

  daemon.signal(SIGTERM);
  ASSERT_EQ(daemon.wait_exit(10s), 0) << read_file(err);

  // The audit at (about) the push time: the source delivers, the check sees 5%.
  const std::string at = format_time(from_unix(now_s + 60));
  auto audit = run(d, {"audit", "--state", sim_state(d), "--config", config.string(), "--format", "json", "--now", at});
  ASSERT_EQ(audit.exit_code, 3) << audit.err;
  const auto doc = json::parse(audit.out);
  bool source_ok = false;
  for (const auto& s : doc["cycle"]["sources"]) {
    if (s["name"] == "receivers") {
      source_ok = s["ok"].get<bool>();
      EXPECT_EQ(s["rows"], 40) << s.dump();  // 20 minutes of each of the two customers
    }
  }
  EXPECT_TRUE(source_ok) << doc["cycle"].dump();
  std::string finding_id;
  for (const auto& f : doc["findings"]) {
    if (f["check_id"] != "signature-failures") continue;
    EXPECT_NE(f["customer_id"], "cust_ingest_2") << f.dump();
    if (f["customer_id"] == "cust_ingest_1" && f["subject"] == "webhooks:failure-rate") {
      finding_id = f["id"];
      EXPECT_EQ(f["evidence"]["failure_rate"], "5.00%") << f.dump();
      // Both receivers' counts add up: 200 verifications a minute, 10 of them failed.
      const auto fails = std::stoll(f["evidence"]["failures"].get<std::string>());
      const auto total = std::stoll(f["evidence"]["verifications"].get<std::string>());
      EXPECT_GT(total, 0);
      EXPECT_EQ(total % 200, 0) << f.dump();
      EXPECT_EQ(fails * 20, total) << f.dump();
    }
  }
  ASSERT_FALSE(finding_id.empty()) << audit.out;

  // The feed goes quiet: past stale_after the source fails, source-unavailable
  // opens, and the signature-failures finding is kept, not resolved.
  const std::string later = format_time(from_unix(now_s + 60 + 20 * 60));
  auto stale = run(d, {"audit", "--state", sim_state(d), "--config", config.string(), "--format", "json", "--now", later});
  ASSERT_EQ(stale.exit_code, 3) << stale.err;
  const auto sdoc = json::parse(stale.out);
  EXPECT_EQ(sdoc["cycle"]["status"], "partial");
  bool failed = false, unavailable = false, kept = false;
  for (const auto& s : sdoc["cycle"]["sources"]) {
    if (s["name"] == "receivers") {
      failed = !s["ok"].get<bool>();
      EXPECT_NE(s["error"].get<std::string>().find("no batch received since"), std::string::npos) << s.dump();
    }
  }
  for (const auto& f : sdoc["findings"]) {
    if (f["check_id"] == "source-unavailable" && f["subject"] == "source:receivers") unavailable = true;
    if (f["id"] == finding_id) kept = f["status"] == "open";
  }
  EXPECT_TRUE(failed);
  EXPECT_TRUE(unavailable) << stale.out;
  EXPECT_TRUE(kept) << stale.out;

  // The token canary: nowhere.
  for (const auto& p : {err, ingest_db, fs::path(ingest_db.string() + "-wal"), d / "state.db",
                        fs::path((d / "state.db").string() + "-wal"), d / kSimState,
                        fs::path(sim_state(d) + "-wal")}) {
    EXPECT_FALSE(contains_bytes(p, kToken)) << p;
    EXPECT_FALSE(contains_bytes(p, "CANARY")) << p;
  }
  for (const auto& out : {audit.out, audit.err, stale.out, stale.err}) EXPECT_EQ(out.find("CANARY"), std::string::npos);
}

TEST(Ingest, WithoutAnIngestSourceThePathIsNotServed) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  const auto config = d / "complyd.toml";
  write_file(config, read_file(config) + "\n[http]\nlisten = \"127.0.0.1:0\"\n");
  const auto err = d / "daemon.err";
  Process daemon({"run", "--config", config.string()}, err);
  int port = -1;
  ASSERT_TRUE(wait_until([&] {
    std::smatch m;
    const auto log = read_file(err);
    static const std::regex re(R"(http: listening on 127\.0\.0\.1:([0-9]+))");
    if (!std::regex_search(log, m, re)) return false;
    port = std::stoi(m[1]);
    return true;
  }, 20s)) << read_file(err);
  auto res = post(port, R"({"rows":[]})", kToken);
  EXPECT_EQ(status_of(res), 405) << res;
  EXPECT_NE(res.find("Allow: GET"), std::string::npos);
  EXPECT_FALSE(fs::exists(d / "ingest.db"));
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(10s), 0) << read_file(err);
}

}  // namespace
}  // namespace complyd::itest
