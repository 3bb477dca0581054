// SPDX-License-Identifier: Apache-2.0
// Whole-cycle benchmark: generates inventories of 1k..100k customers, then
// times (a) the sqlite3 shell scanning the same tables once and (b) the real
// `complyd audit` binary running one full cycle (all checks, findings
// persisted into a fresh state database), with its peak RSS. With --report,
// also `complyd report` in every format on the state the cycles left, against
// the first cycle's time (the target: at most 3 times, under 300 MB).
//
//   complyd_bench [--customers 1000,10000,100000] [--dir DIR] [--runs N] [--report]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/demo/demo.hpp"
#include "model/time.hpp"

namespace fs = std::filesystem;

namespace {

struct Run {
  double seconds = 0;
  long max_rss_kb = 0;
  int exit_code = 0;
};

// Runs argv with stdout/stderr to files; wall time and the child's peak RSS.
Run spawn(const std::vector<std::string>& args, const fs::path& out) {
  std::cout.flush();
  std::fflush(nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::freopen(out.c_str(), "w", stdout);
    (void)f;
    f = std::freopen((out.string() + ".err").c_str(), "w", stderr);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  Run r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.max_rss_kb = ru.ru_maxrss;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<std::int64_t> parse_list(const std::string& s) {
  std::vector<std::int64_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoll(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::int64_t> sizes{1000, 10000, 100000};
  fs::path dir = fs::temp_directory_path() / "complyd-bench";
  int runs = 3;
  bool reports = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--report") reports = true;
    else if (i + 1 >= argc) break;
    else if (a == "--customers") sizes = parse_list(argv[++i]);
    else if (a == "--dir") dir = argv[++i];
    else if (a == "--runs") runs = std::max(1, std::atoi(argv[++i]));
  }
  std::string report_rows;
  const std::string now = "2026-11-22T12:00:00Z";
  std::cout << "| customers | credentials | verification rows | sqlite3 scan (s) | complyd cycle (s) | ratio | "
               "second cycle (s) | peak RSS (MB) | open findings |\n"
               "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (auto n : sizes) {
    const fs::path d = dir / std::to_string(n);
    fs::remove_all(d);
    complyd::DemoOptions o;
    o.dir = d;
    o.customers = n;
    o.now = *complyd::parse_time(now);
    const auto sum = complyd::write_demo(o);
    const fs::path inv = d / "inventory.db";
    const fs::path cfg = d / "complyd.toml";

    // Baseline: the sqlite3 shell reading every column of every row of the
    // same tables once (aggregates, so output formatting costs nothing).
    const std::string scan =
        "SELECT count(*), max(id), max(name), max(status), max(admin_email), max(environment), max(jurisdiction), "
        "max(onboarded_at), max(offboarded_at), max(last_sync_at) FROM customers; "
        "SELECT count(*), max(customer_id), max(kind), max(role), max(storage_path), max(environment), "
        "max(created_at), max(rotated_at), max(last_used_at), max(activated_at), max(fingerprint), "
        "max(entropy_bytes) FROM credentials; "
        "SELECT count(*), max(id), max(customer_id), max(platform), max(notification_url), max(status), "
        "max(created_at) FROM webhook_subscriptions; "
        "SELECT count(*), max(customer_id), max(minute), max(ok), max(fail), max(unsigned) FROM "
        "webhook_verifications; "
        "SELECT count(*), max(customer_id), max(name), max(data_class), max(location), max(record_count), "
        "max(oldest_record_at), max(newest_record_at), max(anonymised) FROM data_sets; "
        "SELECT count(*), max(customer_id), max(actor), max(action), max(resource), max(at) FROM audit_events; "
        "SELECT count(*), max(control), max(customer_id), max(attested_by), max(attested_at) FROM attestations; "
        "SELECT count(*), max(name), max(url) FROM api_endpoints;";
    double best_scan = 1e9, best_cycle = 1e9, best_second = 1e9;
    long rss = 0;
    int open = 0;
    for (int r = 0; r < runs; ++r) {
      auto s = spawn({"sqlite3", inv.string(), scan}, d / "scan.out");
      best_scan = std::min(best_scan, s.seconds);
      // The cycles run at fixed times, so into a simulated state database of
      // their own (audit --now never writes the configured one).
      for (const char* f : {"simulated.db", "simulated.db-wal", "simulated.db-shm", "simulated.db.marker"}) fs::remove(d / f);
      const std::string state = (d / "simulated.db").string();
      auto c = spawn({COMPLYD_BINARY, "audit", "--config", cfg.string(), "--state", state, "--now", now, "--no-notify",
                      "--format", "json"},
                     d / "audit.json");
      if (c.exit_code != 0 && c.exit_code != 3) {
        std::cerr << "audit failed with exit code " << c.exit_code << "; see " << (d / "audit.json.err") << "\n";
        return 1;
      }
      best_cycle = std::min(best_cycle, c.seconds);
      rss = std::max(rss, c.max_rss_kb);
      auto c2 = spawn({COMPLYD_BINARY, "audit", "--config", cfg.string(), "--state", state, "--now",
                       "2026-11-22T13:00:00Z", "--no-notify"},
                      d / "audit2.txt");
      best_second = std::min(best_second, c2.seconds);
      rss = std::max(rss, c2.max_rss_kb);
    }
    {
      // Count open findings from the text summary of the last second cycle.
      FILE* f = std::fopen((d / "audit2.txt").c_str(), "r");
      char line[512];
      while (f != nullptr && std::fgets(line, sizeof line, f) != nullptr) {
        std::sscanf(line, "open findings: %d", &open);
      }
      if (f != nullptr) std::fclose(f);
    }
    std::cout << fmt::format("| {} | {} | {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.0f} | {} |\n", n,
                             sum.credentials, sum.verification_rows, best_scan, best_cycle, best_cycle / best_scan,
                             best_second, rss / 1024.0, open)
              << std::flush;
    if (!reports) continue;
    // The report of the state both cycles wrote, as of the second cycle,
    // each format to a file (as `complyd report -o` writes it).
    for (const char* format : {"json", "csv", "md", "html", "ocsf", "sarif"}) {
      double best = 1e9;
      long report_rss = 0;
      const fs::path out = d / (std::string("report.") + format);
      for (int r = 0; r < runs; ++r) {
        auto rep = spawn({COMPLYD_BINARY, "report", "--config", cfg.string(), "--state", (d / "simulated.db").string(),
                          "--as-of", "2026-11-22T13:00:00Z", "--format", format, "--output", out.string()},
                         d / "report.out");
        if (rep.exit_code != 0) {
          std::cerr << "report failed with exit code " << rep.exit_code << "; see " << (d / "report.out.err") << "\n";
          return 1;
        }
        best = std::min(best, rep.seconds);
        report_rss = std::max(report_rss, rep.max_rss_kb);
      }
      report_rows += fmt::format("| {} | {} | {:.2f} | {:.2f} | {:.2f} | {:.0f} | {:.1f} |\n", n, format, best,
                                 best / best_cycle, best_cycle, report_rss / 1024.0,
                                 static_cast<double>(fs::file_size(out)) / 1e6);
    }
  }
  if (reports) {
    std::cout << "\n| customers | report format | report (s) | over the cycle | cycle (s) | peak RSS (MB) | output "
                 "(MB) |\n|---:|---|---:|---:|---:|---:|---:|\n"
              << report_rows << std::flush;
  }
  return 0;
}
