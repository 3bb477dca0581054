// SPDX-License-Identifier: Apache-2.0
// The web console at scale (docs/benchmarks.md, "The web console"): a live
// state database with N open findings (default 100,000), then the real
// `complyd run` twice on a loopback port: without the console (resident
// memory after its first cycle and snapshot) and with it (the same, after
// the findings page was served). Prints each findings query's time (request
// sent to last byte over loopback, an upper bound of the server's time):
// median and worst of --runs.
//
// The inventory is missing on purpose: every check is skipped (a failed
// source never resolves anything), so the findings stay open across the
// daemon's cycles and both daemons serve the same state.
//
//   complyd_console_bench [--findings 100000] [--runs 20] [--dir DIR]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/engine/lifecycle.hpp"
#include "daemon/store/state_store.hpp"
#include "daemon/util/crypto.hpp"
#include "tests/integration/ports.hpp"
#include "tests/integration/raw_http.hpp"

namespace fs = std::filesystem;
using namespace complyd;

namespace {

const std::vector<std::string> kChecks{"credential-age",     "credential-shared",       "credential-unused",
                                       "rotation-leftover",  "webhook-secret-strength", "transport-https",
                                       "signature-failures", "retention-window",        "offboarding-completeness",
                                       "audit-coverage"};

void populate(const fs::path& db, int n) {
  StateStore store(db, StateUse::live);
  const Time now = system_clock()();
  std::vector<Observed> obs;
  obs.reserve(n);
  for (int i = 0; i < n; ++i) {
    Observed o;
    o.finding.check_id = kChecks[i % kChecks.size()];
    o.finding.customer_id = fmt::format("cust-{:06}", i % 40000);
    o.finding.subject = fmt::format("secret/raise/cust-{:06}/api-token-{}", i % 40000, i);
    o.finding.severity = static_cast<Severity>(i % 5);
    o.finding.title = fmt::format("{} on subject {}", o.finding.check_id, i);
    o.finding.detail = "The credential was last rotated 131 days ago; the limit is 90 days.";
    o.finding.remediation = "Rotate the credential and remove the old one.";
    o.id = finding_id(o.finding.check_id, o.finding.customer_id, o.finding.subject);
    o.evidence_json = R"({"age_days":131,"limit_days":90})";
    obs.push_back(std::move(o));
  }
  std::set<std::string> complete(kChecks.begin(), kChecks.end());
  const auto lr = apply_lifecycle({}, std::move(obs), complete, {}, now);
  StateStore::CycleWrite w(store, now);
  w.write(lr);
  CycleRecord c;
  c.started_at = now;
  c.finished_at = now;
  c.status = "ok";
  w.record(c, lr, nullptr);
  w.commit();
}

long rss_kb(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return -1;
}

// Resident memory once it stops moving (two readings a second apart within
// 1 MB): after a cycle the daemon builds its snapshot and purges the heap.
long steady_rss_kb(pid_t pid) {
  long last = -1;
  for (int i = 0; i < 60; ++i) {
    const long now = rss_kb(pid);
    if (last > 0 && std::labs(now - last) < 1024) return now;
    last = now;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return last;
}

struct Daemon {
  pid_t pid = -1;
  Daemon(const fs::path& config, const fs::path& err) {
    std::cout.flush();
    pid = fork();
    if (pid == 0) {
      if (!std::freopen(err.c_str(), "w", stderr) || !std::freopen("/dev/null", "w", stdout)) _exit(127);
      execl(COMPLYD_BINARY, COMPLYD_BINARY, "run", "--config", config.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Daemon() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int st = 0;
      waitpid(pid, &st, 0);
    }
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Waits (bounded) until the daemon's first cycle is logged and /healthz
// answers, then for the snapshot that follows it.
bool settled(int port, const fs::path& err) {
  for (int i = 0; i < 600; ++i) {
    const auto h = itest::raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    if (h.find("\"last_cycle\":{") != std::string::npos && slurp(err).find(" checks run, ") != std::string::npos) {
      std::this_thread::sleep_for(std::chrono::seconds(2));  // the post-cycle snapshot and allocator purge
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::string header(const std::string& response, const std::string& name) {
  std::smatch m;
  if (std::regex_search(response, m, std::regex("\r\n" + name + ": ([^;\r]*)", std::regex::icase))) return m[1];
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  int n = 100000, runs = 20;
  fs::path dir = fs::temp_directory_path() / "complyd-console-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--findings") n = std::atoi(argv[i + 1]);
    else if (a == "--runs") runs = std::atoi(argv[i + 1]);
    else if (a == "--dir") dir = argv[i + 1];
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto t0 = std::chrono::steady_clock::now();
  populate(dir / "state.db", n);
  std::cout << fmt::format("state: {} open findings written in {:.1f} s\n", n,
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  const std::string token = "console-bench-token-0123456789";
  std::ofstream(dir / "bench.token") << token << "\n";
  const int port = itest::free_port();
  const auto base = fmt::format(
      "[state]\npath = \"state.db\"\n[inventory]\npath = \"missing-inventory.db\"\n[schedule]\ninterval = \"1h\"\n"
      "[log]\nlevel = \"info\"\n[http]\nlisten = \"127.0.0.1:{}\"\n",
      port);
  std::ofstream(dir / "without.toml") << base;
  std::ofstream(dir / "with.toml") << base
                                    << "console = true\n[[http.users]]\nname = \"bench\"\nrole = \"viewer\"\n"
                                       "token_file = \"bench.token\"\n";

  long rss_without = 0;
  {
    Daemon d(dir / "without.toml", dir / "without.err");
    if (!settled(port, dir / "without.err")) {
      std::cerr << "the daemon without the console did not settle:\n" << slurp(dir / "without.err");
      return 1;
    }
    rss_without = steady_rss_kb(d.pid);
  }
  Daemon d(dir / "with.toml", dir / "with.err");
  if (!settled(port, dir / "with.err")) {
    std::cerr << "the daemon with the console did not settle:\n" << slurp(dir / "with.err");
    return 1;
  }
  const long rss_settled = steady_rss_kb(d.pid);
  // Sign in as a browser would: the form's CSRF cookie and field, then the session cookie.
  const auto form = itest::raw(port, "GET /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto pre = header(form, "Set-Cookie");
  std::smatch m;
  std::regex_search(form, m, std::regex(R"re(name="csrf" value="([0-9a-f]+)")re"));
  const std::string body = fmt::format("csrf={}&name=bench&secret={}", m[1].str(), token);
  const auto login = itest::raw(
      port, fmt::format("POST /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: {}\r\nContent-Type: "
                        "application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{}",
                        pre, body.size(), body));
  const auto session = header(login, "Set-Cookie");
  if (session.find("complyd_session=") != 0) {
    std::cerr << "sign-in failed:\n" << login.substr(0, 400);
    return 1;
  }
  const std::vector<std::pair<std::string, std::string>> queries{
      {"first page (open, by severity)", "/findings"},
      {"page 1000", "/findings?page=1000"},
      {"by check", "/findings?check=credential-age"},
      {"by customer", "/findings?customer=cust-012345"},
      {"by check and customer", "/findings?check=transport-https&customer=cust-000005"},
      {"text search", "/findings?q=subject+4242"},
      {"muted only", "/findings?muted=yes"},
      {"sorted by last seen, ascending", "/findings?sort=last_seen&dir=asc"},
      {"overview", "/"},
  };
  std::cout << fmt::format("{:<34} {:>10} {:>10} {:>8}\n", "page", "median ms", "worst ms", "total");
  for (const auto& [label, path] : queries) {
    std::vector<double> ms;
    std::string total;
    for (int r = 0; r < runs; ++r) {
      const auto s = std::chrono::steady_clock::now();
      const auto res = itest::raw(
          port, fmt::format("GET {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: {}\r\n\r\n", path, session));
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
      if (res.find("HTTP/1.1 200") != 0) {
        std::cerr << path << ": " << res.substr(0, 200) << "\n";
        return 1;
      }
      if (std::regex_search(res, m, std::regex(R"(<strong id="total">(\d+)</strong>)"))) total = m[1];
    }
    std::sort(ms.begin(), ms.end());
    std::cout << fmt::format("{:<34} {:>10.1f} {:>10.1f} {:>8}\n", label, ms[ms.size() / 2], ms.back(), total);
  }
  const long rss_with = steady_rss_kb(d.pid);
  std::cout << fmt::format(
      "resident memory: without the console {:.1f} MB; with it {:.1f} MB before and {:.1f} MB after the pages "
      "(+{:.1f} MB)\n",
      rss_without / 1024.0, rss_settled / 1024.0, rss_with / 1024.0, (rss_with - rss_without) / 1024.0);
  return 0;
}
