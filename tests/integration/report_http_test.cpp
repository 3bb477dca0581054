// SPDX-License-Identifier: Apache-2.0
// `complyd report` in every format from the demo (HTML rendered in headless
// Chromium), --as-of reproducibility, and the HTTP endpoint of `complyd run`
// over real loopback sockets: auth, limits, a slow client, promtool.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "daemon/util/crypto.hpp"
#include "harness.hpp"
#include "raw_http.hpp"
#include "tests/wait_until.hpp"

extern char** environ;

namespace complyd::itest {
namespace {

using namespace std::chrono_literals;
const char* kLater = "2026-12-22T12:00:00Z";

// Tools CI installs (./dev PACKAGES): absent means a broken setup, so FAIL.
std::string tool(const char* name) {
  for (const char* dir : {"/usr/bin/", "/usr/local/bin/", "/bin/"}) {
    const std::string p = std::string(dir) + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

int shell(const std::string& cmd) {
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// The report without its generation time: the only line allowed to differ.
// The chain head is the history's at generation time (a later cycle moves it), not the as-of time's.
std::string without_generated(const std::string& s) {
  static const std::regex re(R"((Generated:? |"generated_at": ")[0-9TZ:-]+)");
  static const std::regex head(R"((History chain head: record )[^\n]*)");
  static const std::regex json_head(R"(("history_chain": ?)\{[^}]*\})");
  return std::regex_replace(std::regex_replace(std::regex_replace(s, re, "$1X"), head, "$1X"), json_head, "$1X");
}

struct Demo {
  TempDir d;
  std::string config;
  Demo() {
    EXPECT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
    config = (d / "complyd.toml").string();
  }
  Result report(const std::vector<std::string>& extra) {
    std::vector<std::string> args{"report", "--state", sim_state(d), "--config", config};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(d, args);
  }
};

TEST(Report, EveryFormatFromTheDemo) {
  Demo demo;
  ASSERT_EQ(run(demo.d, {"audit", "--state", sim_state(demo.d), "--config", demo.config, "--now", kDemoNow}).exit_code, 3);

  auto j = demo.report({"--format", "json", "--as-of", kDemoNow});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["schema_version"], 1);
  EXPECT_EQ(doc["as_of"], kDemoNow);
  // Every line of the three reference checklists (16 + 9 + 11) and more.
  ASSERT_GE(doc["checklist"].size(), 36u);
  std::set<std::string> statuses;
  for (const auto& e : doc["checklist"]) statuses.insert(e["status"].get<std::string>());
  EXPECT_TRUE(statuses.contains("fail"));
  EXPECT_TRUE(statuses.contains("not_evaluated"));  // e.g. "Never expose tokens in client-side code"
  bool found_client_side = false;
  for (const auto& e : doc["checklist"]) {
    if (e["item"] == "Never expose tokens in client-side code") {
      found_client_side = true;
      EXPECT_EQ(e["status"], "not_evaluated");
      EXPECT_TRUE(e["checks"].empty());
    }
    if (e["item"] == "HTTPS everywhere — API calls and webhook deliveries") {
      EXPECT_EQ(e["status"], "fail");  // the demo plants http:// URLs
      EXPECT_GT(e["evidence"]["open"].get<int>(), 0);
      EXPECT_TRUE(e["evidence"]["oldest_age_seconds"].is_number());
    }
  }
  EXPECT_TRUE(found_client_side);
  ASSERT_FALSE(doc["findings"]["open"].empty());
  const auto& f0 = doc["findings"]["open"][0];
  for (const char* k : {"id", "check", "severity", "first_seen", "age_seconds", "remediation"}) {
    EXPECT_TRUE(f0.contains(k)) << k;
  }
  ASSERT_FALSE(doc["customers"].empty());
  bool any_due = false;
  for (const auto& c : doc["customers"]) {
    for (const auto& k : c["credentials"]) {
      EXPECT_FALSE(k.contains("fingerprint"));
      EXPECT_FALSE(k.contains("value"));
      any_due |= k["rotation_due"].is_string();
    }
    EXPECT_TRUE(c["webhooks"].contains("health"));
    EXPECT_TRUE(c.contains("offboarding"));
  }
  EXPECT_TRUE(any_due);
  ASSERT_EQ(doc["frameworks"].size(), 3u);
  EXPECT_EQ(doc["frameworks"][1]["framework"], "PCI DSS v4.0");
  EXPECT_EQ(doc["trends"]["open_findings"].size(), 1u);

  auto md = demo.report({"--format", "md", "--as-of", kDemoNow});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  for (const char* s : {"## Checklist status", "## Open findings", "## Muted findings", "## Resolved in the period",
                        "## Trends", "## Customers", "## Framework mapping", "| not_evaluated |"}) {
    EXPECT_NE(md.out.find(s), std::string::npos) << s;
  }

  auto csv = demo.report({"--format", "csv", "--as-of", kDemoNow, "--output", (demo.d / "r.csv").string()});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const auto text = read_file(demo.d / "r.csv");
  ASSERT_TRUE(text.starts_with("finding_id,status,severity,check_id,check_title,customer_id,subject,title,first_seen,"));
  // RFC 4180: CRLF records; count records outside quotes.
  std::size_t records = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') quoted = !quoted;
    if (!quoted && text[i] == '\r') {
      ASSERT_EQ(text[i + 1], '\n');
      ++records;
    }
  }
  EXPECT_FALSE(quoted);
  EXPECT_EQ(records, 1 + doc["findings"]["open"].size() + doc["findings"]["muted"].size() +
                         doc["findings"]["resolved"].size());

  // Bad input: a clear error, nothing written.
  auto bad = demo.report({"--as-of", "yesterday-ish"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--as-of"), std::string::npos);
  auto unknown = demo.report({"--customer", "cust_nope", "--as-of", kDemoNow});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no customer cust_nope"), std::string::npos);

  // One customer only.
  auto one = demo.report({"--format", "json", "--as-of", kDemoNow, "--customer", doc["customers"][0]["id"]});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto onedoc = nlohmann::json::parse(one.out);
  EXPECT_EQ(onedoc["customers"].size(), 1u);
  for (const auto& f : onedoc["findings"]["open"]) EXPECT_EQ(f["customer"], doc["customers"][0]["id"]);
}

TEST(Report, AsOfReproducesAnEarlierReport) {
  Demo demo;
  ASSERT_EQ(run(demo.d, {"audit", "--state", sim_state(demo.d), "--config", demo.config, "--now", kDemoNow}).exit_code, 3);
  std::map<std::string, std::string> before;
  for (const char* f : {"html", "md", "json", "csv"}) {
    auto r = demo.report({"--format", f, "--as-of", kDemoNow});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    before[f] = r.out;
  }
  // Afterwards: an operator mutes a finding, and a month of cycles change the state.
  // `findings mute` records the wall-clock time; it is after kDemoNow on any
  // machine whose clock is right, which is what the first check relies on.
  const auto doc = nlohmann::json::parse(before["json"]);
  const std::string id = doc["findings"]["open"][0]["id"];
  ASSERT_GT(std::chrono::system_clock::now().time_since_epoch(), std::chrono::seconds{1795348800})
      << "the system clock is before the demo time";
  ASSERT_EQ(run(demo.d, {"findings", "mute", "--state", sim_state(demo.d), id, "--reason", "accepted, migration", "--until", "2027-03-31",
                         "--config", demo.config}).exit_code, 0);
  for (const char* t : {"2026-11-29T12:00:00Z", kLater}) {
    ASSERT_EQ(run(demo.d, {"audit", "--state", sim_state(demo.d), "--config", demo.config, "--now", t}).exit_code, 3);
  }
  for (const char* f : {"html", "md", "json", "csv"}) {
    auto r = demo.report({"--format", f, "--as-of", kDemoNow});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(without_generated(r.out), without_generated(before[f])) << f;
    EXPECT_NE(r.out.find(kDemoNow), std::string::npos) << f;
  }
  // And the later state is different: the mute and the trend show up.
  auto later = demo.report({"--format", "json", "--as-of", kLater});
  ASSERT_EQ(later.exit_code, 0) << later.err;
  const auto ldoc = nlohmann::json::parse(later.out);
  EXPECT_EQ(ldoc["trends"]["open_findings"].size(), 3u);
  ASSERT_EQ(ldoc["findings"]["muted"].size(), 1u);
  EXPECT_EQ(ldoc["findings"]["muted"][0]["mute"]["reason"], "accepted, migration");
  EXPECT_EQ(ldoc["findings"]["muted"][0]["mute"]["until"], "2027-03-31T00:00:00Z");
}

// A damaged customer state, corrupted with the sqlite3 shell on a real state
// file: shown as unreadable in every format that shows customers, never as an
// empty (clean) state, and the report still renders.
TEST(Report, AnUnreadableCustomerStateShowsAsUnreadable) {
  const auto sqlite3 = tool("sqlite3");
  ASSERT_FALSE(sqlite3.empty()) << "sqlite3 is required (./dev installs the Debian package)";
  Demo demo;
  ASSERT_EQ(run(demo.d, {"audit", "--state", sim_state(demo.d), "--config", demo.config, "--now", kDemoNow}).exit_code, 3);
  auto clean = demo.report({"--format", "json", "--as-of", kDemoNow});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  const auto cdoc = nlohmann::json::parse(clean.out);
  ASSERT_GE(cdoc["customers"].size(), 3u);
  const std::string broken = cdoc["customers"][0]["id"], mistyped = cdoc["customers"][1]["id"],
                    intact = cdoc["customers"][2]["id"];
  // Not JSON; and the stored format with a number for the name.
  {
    std::ofstream sql(demo.d / "corrupt.sql");
    sql << "UPDATE report_customer_state SET state = '{\"status\": \"act' WHERE customer_id = '" << broken << "';\n"
        << "UPDATE report_customer_state SET state = '[2,\"active\",null,\"EU\",7]' WHERE customer_id = '" << mistyped
        << "';\n";
  }
  ASSERT_EQ(shell(sqlite3 + " " + sim_state(demo.d) + " < " + (demo.d / "corrupt.sql").string()), 0);

  auto j = demo.report({"--format", "json", "--as-of", kDemoNow});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_NE(j.err.find("report state of customer " + broken + " cannot be read"), std::string::npos) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  ASSERT_EQ(doc["customers"].size(), cdoc["customers"].size());
  for (std::size_t i : {0u, 1u}) {
    const auto& c = doc["customers"][i];
    EXPECT_EQ(c["unreadable"], true) << c["id"];
    EXPECT_EQ(c["status"], "unreadable") << c["id"];
    EXPECT_EQ(c["offboarding"], "unreadable") << c["id"];
    EXPECT_EQ(c["webhooks"]["health"], "unreadable") << c["id"];
  }
  EXPECT_EQ(doc["customers"][2]["id"], intact);
  EXPECT_EQ(doc["customers"][2]["unreadable"], false);
  EXPECT_EQ(doc["customers"][2]["status"], cdoc["customers"][2]["status"]);

  auto md = demo.report({"--format", "md", "--as-of", kDemoNow});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(md.out.find("### " + broken + "\n\n- Status: unreadable"), std::string::npos);
  EXPECT_NE(md.out.find("### " + mistyped + "\n\n- Status: unreadable"), std::string::npos);
  auto html = demo.report({"--format", "html", "--as-of", kDemoNow});
  ASSERT_EQ(html.exit_code, 0) << html.err;
  const auto row = html.out.find("<tr><td>" + broken + "<br>");
  ASSERT_NE(row, std::string::npos);
  const auto cells = html.out.substr(row, html.out.find("</tr>", row) - row);
  EXPECT_NE(cells.find("<td>unreadable</td><td>unreadable</td><td>unreadable</td>"), std::string::npos) << cells;
  auto csv = demo.report({"--format", "csv", "--as-of", kDemoNow});
  EXPECT_EQ(csv.exit_code, 0) << csv.err;  // findings only: it shows no customer state
}

TEST(Report, HtmlRendersInHeadlessChromium) {
  const auto chromium = tool("chromium");
  ASSERT_FALSE(chromium.empty()) << "chromium is required (./dev installs the Debian package)";
  Demo demo;
  ASSERT_EQ(run(demo.d, {"audit", "--state", sim_state(demo.d), "--config", demo.config, "--now", kDemoNow}).exit_code, 3);
  ASSERT_EQ(run(demo.d, {"audit", "--state", sim_state(demo.d), "--config", demo.config, "--now", kLater}).exit_code, 3);
  const auto html_path = demo.d / "report.html";
  auto r = demo.report({"--format", "html", "--as-of", kLater, "--output", html_path.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto html = read_file(html_path);
  // Self-contained: no scripts, no external URL in any src/href/url().
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"((src|href)\s*=\s*["']?\s*(https?:)?//)", std::regex::icase)));
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(url\(\s*["']?(https?:)?//)", std::regex::icase)));
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);

  const std::string flags =
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
      " --disable-component-update --disable-sync --disable-extensions --user-data-dir=" +
      quote((demo.d / "chromium-profile").string());
  const auto dom = demo.d / "dom.html";
  ASSERT_EQ(shell(quote(chromium) + flags + " --dump-dom " + quote("file://" + html_path.string()) + " >" +
                  quote(dom.string()) + " 2>" + quote((demo.d / "chromium.err").string())),
            0)
      << read_file(demo.d / "chromium.err");
  const auto rendered = read_file(dom);
  EXPECT_NE(rendered.find("id=\"checklist-table\""), std::string::npos);
  EXPECT_NE(rendered.find("Never expose tokens in client-side code"), std::string::npos);
  EXPECT_NE(rendered.find("<svg class=\"chart\""), std::string::npos);
  EXPECT_NE(rendered.find("<polyline class=\"series\""), std::string::npos);  // two cycles: lines, not dots
  EXPECT_NE(rendered.find("id=\"trend-signatures\""), std::string::npos);
  EXPECT_EQ(rendered.find("<script"), std::string::npos);

  const fs::path artifacts = COMPLYD_ARTIFACT_DIR;
  fs::create_directories(artifacts);
  const auto png = artifacts / "report.png";
  fs::remove(png);
  ASSERT_EQ(shell(quote(chromium) + flags + " --window-size=1280,2400 --hide-scrollbars --screenshot=" +
                  quote(png.string()) + " " + quote("file://" + html_path.string()) + " >/dev/null 2>" +
                  quote((demo.d / "chromium.err").string())),
            0)
      << read_file(demo.d / "chromium.err");
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 10000u);
  EXPECT_EQ(read_file(png).substr(1, 3), "PNG");
}

// ---- HTTP -----------------------------------------------------------------

class Daemon {
 public:
  Daemon(const fs::path& config, const fs::path& err) : err_(err) {
    std::vector<std::string> args{COMPLYD_BINARY, "run", "--config", config.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, COMPLYD_BINARY, &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Daemon() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      if (!wait_until([&] { return waitpid(pid_, nullptr, WNOHANG) != 0; }, 5s)) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
  }
  pid_t pid() const { return pid_; }
  // The port from "http: listening on 127.0.0.1:PORT".
  int port(std::chrono::milliseconds limit) {
    static const std::regex re(R"(http: listening on 127\.0\.0\.1:([0-9]+))");
    int port = -1;
    wait_until(
        [&] {
          std::smatch m;
          const auto log = read_file(err_);
          if (std::regex_search(log, m, re)) port = std::stoi(m[1]);
          return port > 0;
        },
        limit, 50ms);
    return port;
  }

 private:
  fs::path err_;
  pid_t pid_ = -1;
};

std::string get(int port, const std::string& target, const std::string& token = "") {
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  return raw(port, req + "\r\n");
}

int http_status_of(const std::string& response) {
  if (!response.starts_with("HTTP/1.1 ")) return -1;
  return std::stoi(response.substr(9, 3));
}
std::string http_body_of(const std::string& response) {
  const auto p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

// GET /v1/findings once the first cycle's snapshot is published (the
// snapshot before it has no last cycle), or the last answer after 60 s.
std::string findings_after_first_cycle(int port, const std::string& token) {
  std::string findings;
  wait_until(
      [&] {
        findings = get(port, "/v1/findings", token);
        return http_status_of(findings) == 200 && http_body_of(findings).find("\"findings\"") != std::string::npos &&
               get(port, "/healthz").find("\"last_cycle\":{") != std::string::npos;
      },
      60s, 200ms);
  return findings;
}

TEST(Http, EndpointAuthLimitsSlowClientsAndMetrics) {
  const auto promtool = tool("promtool");
  ASSERT_FALSE(promtool.empty()) << "promtool is required (./dev installs the Debian package prometheus)";
  Demo demo;
  const std::string token = "s3cr3t-test-token-for-complyd";
  write_file(demo.config, read_file(demo.config) + "\n[http]\nlisten = \"127.0.0.1:0\"\nmax_header_bytes = 2048\n"
                              "read_timeout = \"2s\"\nmax_connections = 8\n[[http.tokens]]\nname = \"ops-dashboard\"\n"
                              "sha256 = \"" + sha256_hex(token) + "\"\n[report]\ndefault_owner = \"secops@partner.example\"\n");
  ASSERT_EQ(run(demo.d, {"config", "check", "--config", demo.config}).exit_code, 0);
  const auto err = demo.d / "daemon.err";
  Daemon daemon(demo.config, err);
  const int port = daemon.port(20s);
  ASSERT_GT(port, 0) << read_file(err);

  // /v1/ answers once the first cycle's snapshot is published.
  const std::string findings = findings_after_first_cycle(port, token);
  ASSERT_EQ(http_status_of(findings), 200) << findings << read_file(err);
  EXPECT_NE(findings.find("Content-Type: application/json"), std::string::npos);

  auto health = get(port, "/healthz");
  EXPECT_EQ(http_status_of(health), 200);
  const auto hj = nlohmann::json::parse(http_body_of(health));
  EXPECT_EQ(hj["status"], "ok");
  EXPECT_EQ(hj["last_cycle"]["status"], "ok");

  // Auth: missing, wrong, right. Errors never echo what was sent.
  auto missing = get(port, "/v1/findings");
  EXPECT_EQ(http_status_of(missing), 401);
  EXPECT_NE(missing.find("WWW-Authenticate: Bearer"), std::string::npos);
  auto wrong = get(port, "/v1/report?format=json", "wrong-" + token);
  EXPECT_EQ(http_status_of(wrong), 401);
  EXPECT_EQ(wrong.find("wrong-"), std::string::npos);
  auto html = get(port, "/v1/report?format=html", token);
  EXPECT_EQ(http_status_of(html), 200);
  EXPECT_NE(html.find("text/html"), std::string::npos);
  EXPECT_NE(http_body_of(html).find("id=\"checklist-table\""), std::string::npos);
  for (const char* f : {"md", "json", "csv"}) {
    EXPECT_EQ(http_status_of(get(port, std::string("/v1/report?format=") + f, token)), 200) << f;
  }
  // The daemon's pre-rendered report takes [report] default_owner for integration-wide findings.
  const auto served = nlohmann::json::parse(http_body_of(get(port, "/v1/report?format=json", token)));
  int default_owned = 0;
  for (const auto& f : served["findings"]["open"]) {
    if (f["customer"] != "") continue;
    EXPECT_EQ(f["owner"], "secops@partner.example") << f.dump();
    EXPECT_EQ(f["owner_from"], "default");
    ++default_owned;
  }
  EXPECT_GT(default_owned, 0);
  auto bad_format = get(port, "/v1/report?format=<b>pdfxyz</b>", token);
  EXPECT_EQ(http_status_of(bad_format), 400);
  EXPECT_EQ(bad_format.find("pdfxyz"), std::string::npos);
  auto unknown = get(port, "/no/such/path-echo-me");
  EXPECT_EQ(http_status_of(unknown), 404);
  EXPECT_EQ(unknown.find("echo-me"), std::string::npos);
  EXPECT_EQ(http_status_of(raw(port, "POST /v1/findings HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")), 405);
  EXPECT_EQ(read_file(err).find(token), std::string::npos) << "a token reached the log";
  // Each /v1/ request is logged with the token's name.
  EXPECT_NE(read_file(err).find("GET /v1/report by token 'ops-dashboard': 200"), std::string::npos) << read_file(err);
  EXPECT_NE(read_file(err).find("GET /v1/report by token (none): 401"), std::string::npos) << read_file(err);

  // Limits: header and body size, malformed requests.
  auto big_header = raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_EQ(http_status_of(big_header), 431) << big_header.substr(0, 200);
  EXPECT_EQ(big_header.find("aaaa"), std::string::npos);
  auto big_body = raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + std::string(3000, 'b'));
  EXPECT_EQ(http_status_of(big_body), 413) << big_body.substr(0, 200);
  auto garbage = raw(port, "NOT HTTP AT ALL \x01\x02\r\n\r\n");
  EXPECT_EQ(http_status_of(garbage), 400) << garbage.substr(0, 200);
  EXPECT_EQ(garbage.find("NOT HTTP"), std::string::npos);

  // A slow client: half a request, then silence. Others are served meanwhile,
  // and the server drops it at read_timeout (2s).
  const int slow = connect_to(port);
  ASSERT_GE(slow, 0);
  const std::string partial = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  send(slow, partial.data(), partial.size(), MSG_NOSIGNAL);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(http_status_of(get(port, "/healthz")), 200);
  EXPECT_EQ(http_status_of(get(port, "/v1/findings", token)), 200);
  const auto rest = read_all(slow);  // returns when the server closes
  const auto waited = std::chrono::steady_clock::now() - t0;
  close(slow);
  EXPECT_EQ(http_status_of(rest), -1) << rest;  // closed without a response
  EXPECT_GE(waited, 1500ms);
  EXPECT_LT(waited, 8s);

  // Max connections: 8 idle connections fill the slots; a 9th request is
  // refused with 503 unless it is a health check, which is still answered;
  // a slot frees once they go. The server takes connections and notices
  // closes on its own thread, so each state is waited for (bounded).
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(connect_to(port));
  for (int fd : idle) ASSERT_GE(fd, 0);
  EXPECT_TRUE(wait_until([&] { return http_status_of(get(port, "/v1/findings", token)) == 503; }, 5s))
      << "a 9th connection was served while 8 were open";
  EXPECT_EQ(http_status_of(get(port, "/healthz")), 200) << "a health check over the limit went unanswered";
  for (int fd : idle) close(fd);
  EXPECT_TRUE(wait_until([&] { return http_status_of(get(port, "/v1/findings", token)) == 200; }, 5s))
      << "no slot freed after the 8 idle connections closed";

  // Metrics: Prometheus text format, accepted by promtool.
  auto metrics = get(port, "/metrics");
  ASSERT_EQ(http_status_of(metrics), 200);
  const auto body = http_body_of(metrics);
  for (const char* m : {"complyd_findings_open{severity=\"", "complyd_last_cycle_duration_seconds ",
                        "complyd_last_success_timestamp_seconds ", "complyd_source_up{source=\"",
                        "complyd_outbox_pending ", "complyd_outbox_dead ", "complyd_emails_sent_total ",
                        "complyd_cycle_duration_seconds_bucket{le=\"+Inf\"} ", "process_resident_memory_bytes ",
                        "process_cpu_seconds_total ", "process_open_fds ", "process_start_time_seconds "}) {
    EXPECT_NE(body.find(m), std::string::npos) << m << "\n" << body;
  }
  // The demo's cycle takes well under a second: measured, not whole seconds of the state (which read 0).
  const auto d = body.find("\ncomplyd_last_cycle_duration_seconds ");
  ASSERT_NE(d, std::string::npos) << body;
  EXPECT_GT(std::stod(body.substr(d + 37)), 0.0) << body;
  EXPECT_EQ(body.find("\ncomplyd_cycle_duration_seconds_count 0\n"), std::string::npos) << body;
  write_file(demo.d / "metrics.txt", body);
  const auto out = demo.d / "promtool.out";
  EXPECT_EQ(shell(quote(promtool) + " check metrics <" + quote((demo.d / "metrics.txt").string()) + " >" +
                  quote(out.string()) + " 2>&1"),
            0)
      << read_file(out) << body;
}

// The issue's reproduction: a file-descriptor limit of 256 and 400 idle
// connections. The configuration must fit the limit (config check), and
// health checks are answered while every connection slot is taken.
TEST(Http, FourHundredIdleConnectionsUnderAnFdLimitOf256LeaveHealthChecksAnswered) {
  Demo demo;
  const std::string base = read_file(demo.config) + "\n[http]\nlisten = \"127.0.0.1:0\"\nread_timeout = \"60s\"\n";
  write_file(demo.config, base + "max_connections = 250\n");
  auto refused = run(demo.d, {"config", "check", "--config", demo.config}, "ulimit -n 256;");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.out.find("complyd.toml:"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("http.max_connections = 250 needs 314 file descriptors"), std::string::npos) << refused.out;

  write_file(demo.config, base + "max_connections = 100\n");
  const auto err = demo.d / "daemon.err";
  Daemon daemon(demo.config, err);
  const int port = daemon.port(20s);
  ASSERT_GT(port, 0) << read_file(err);
  const rlimit limit{256, 256};
  ASSERT_EQ(prlimit(daemon.pid(), RLIMIT_NOFILE, &limit, nullptr), 0);

  const auto ready = demo.d / "clients.ready";
  const std::string code = "import socket, time\nss = [socket.create_connection(('127.0.0.1', " + std::to_string(port) +
                           ")) for _ in range(400)]\nopen('" + ready.string() + "', 'w').close()\ntime.sleep(120)\n";
  std::vector<std::string> args{"/usr/bin/python3", "-c", code};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t clients = -1;
  ASSERT_EQ(posix_spawn(&clients, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  EXPECT_TRUE(wait_until([&] { return fs::exists(ready); }, 30s));
  EXPECT_TRUE(wait_until([&] { return http_status_of(get(port, "/healthz")) == 200; }, 10s))
      << "no health check answered with every slot taken\n" << read_file(err);
  EXPECT_EQ(http_status_of(get(port, "/v1/findings", "any")), 503);
  kill(clients, SIGKILL);
  waitpid(clients, nullptr, 0);
  EXPECT_EQ(read_file(err).find("cannot accept connections"), std::string::npos) << "the limit did not hold them";
}

TEST(Http, AReportTooLargeToPreRenderIsA503WithWhatToDoAndTheRestIsServed) {
  Demo demo;
  const std::string token = "another-test-token-for-complyd";
  write_file(demo.config, read_file(demo.config) + "\n[http]\nlisten = \"127.0.0.1:0\"\ntoken_sha256 = [\"" +
                              sha256_hex(token) + "\"]\nreport_max_customers = 10\n");
  ASSERT_EQ(run(demo.d, {"config", "check", "--config", demo.config}).exit_code, 0);
  const auto err = demo.d / "daemon.err";
  Daemon daemon(demo.config, err);
  const int port = daemon.port(20s);
  ASSERT_GT(port, 0) << read_file(err);
  ASSERT_EQ(http_status_of(findings_after_first_cycle(port, token)), 200) << read_file(err);
  // The demo's 60 customers are over the limit of 10: no report, and the answer says why and what to run.
  for (const char* f : {"html", "json"}) {
    const auto r = get(port, std::string("/v1/report?format=") + f, token);
    EXPECT_EQ(http_status_of(r), 503) << f;
    EXPECT_NE(http_body_of(r).find("report_max_customers = 10"), std::string::npos) << http_body_of(r);
    EXPECT_NE(http_body_of(r).find("complyd report"), std::string::npos) << http_body_of(r);
  }
  EXPECT_EQ(http_status_of(get(port, "/v1/report?format=pdf", token)), 400);
  EXPECT_EQ(http_status_of(get(port, "/metrics")), 200);
}

}  // namespace
}  // namespace complyd::itest
