// SPDX-License-Identifier: Apache-2.0
// A real Prometheus for tests: counter samples written as OpenMetrics,
// backfilled with `promtool tsdb create-blocks-from openmetrics`, served by
// `prometheus` on 127.0.0.1 (a free port) from that TSDB. Backfilled data is
// served for whatever time range is queried, so tests inject their own "now".
// The server is killed and reaped in the destructor.
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "harness.hpp"
#include "ports.hpp"
#include "tests/wait_until.hpp"

extern char** environ;

namespace complyd::itest {

// Cumulative counter values of one series, one per timestamp (unix seconds).
struct CounterSeries {
  std::string metric = "webhook_signature_verifications";  // family; samples get "_total"
  std::map<std::string, std::string> labels;
  std::vector<std::pair<std::int64_t, double>> samples;
};

// Per-minute increments → a counter series sampled at every minute in
// [first_minute_ts, first_minute_ts + 60 * increments.size()].
inline CounterSeries verification_counter(const std::string& customer, const std::string& result,
                                          std::int64_t first_ts, const std::vector<std::uint32_t>& per_minute) {
  CounterSeries s;
  s.labels = {{"customer_id", customer}, {"result", result}};
  double v = 0;
  s.samples.emplace_back(first_ts, v);
  for (std::size_t i = 0; i < per_minute.size(); ++i) {
    v += per_minute[i];
    s.samples.emplace_back(first_ts + 60 * static_cast<std::int64_t>(i + 1), v);
  }
  return s;
}

// OpenMetrics text: "# TYPE <family> counter", "<family>_total{...} value ts"
// (seconds), each series contiguous and in time order, "# EOF" at the end.
inline std::string openmetrics(const std::vector<CounterSeries>& all) {
  std::map<std::string, std::vector<const CounterSeries*>> families;
  for (const auto& s : all) families[s.metric].push_back(&s);
  std::ostringstream out;
  for (const auto& [family, series] : families) {
    out << "# TYPE " << family << " counter\n";
    for (const CounterSeries* s : series) {
      std::string labels;
      for (const auto& [k, v] : s->labels) labels += (labels.empty() ? "" : ",") + k + "=\"" + v + "\"";
      for (const auto& [ts, v] : s->samples) out << family << "_total{" << labels << "} " << v << " " << ts << "\n";
    }
  }
  out << "# EOF\n";
  return out.str();
}

class PrometheusServer {
 public:
  // Empty when promtool and prometheus are installed, else why not.
  static std::string missing_binaries() {
    for (const char* b : {"/usr/bin/promtool", "/usr/bin/prometheus"}) {
      if (access(b, X_OK) != 0) return std::string(b) + " is not installed (Debian package 'prometheus')";
    }
    return "";
  }

  PrometheusServer(const fs::path& dir, const std::string& openmetrics_text) : dir_(dir) {
    write_file(dir_ / "samples.om", openmetrics_text);
    write_file(dir_ / "prometheus.yml", "global:\n  evaluation_interval: 1m\n");
    const std::string cmd = "/usr/bin/promtool tsdb create-blocks-from openmetrics " + quote((dir_ / "samples.om").string()) +
                            " " + quote((dir_ / "tsdb").string()) + " >" + quote((dir_ / "promtool.log").string()) +
                            " 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      throw std::runtime_error("promtool failed: " + read_file(dir_ / "promtool.log"));
    }
    port_ = free_port();
    std::vector<std::string> args{"/usr/bin/prometheus",
                                  "--storage.tsdb.path=" + (dir_ / "tsdb").string(),
                                  "--config.file=" + (dir_ / "prometheus.yml").string(),
                                  "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log = (dir_ / "prometheus.log").string();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start prometheus");
    bool exited = false;
    const bool up = wait_until(
        [&] {
          exited = waitpid(pid_, nullptr, WNOHANG) == pid_;
          return exited || ready();
        },
        std::chrono::seconds(30), std::chrono::milliseconds(100));
    if (exited) {
      pid_ = -1;
      throw std::runtime_error("prometheus exited: " + read_file(log));
    }
    if (!up) {
      stop();
      throw std::runtime_error("prometheus not ready within 30 s: " + read_file(log));
    }
  }
  ~PrometheusServer() { stop(); }
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // GET url() + path_and_query; returns (status, body).
  std::pair<long, std::string> get(const std::string& path_and_query) const {
    CURL* c = curl_easy_init();
    std::string body;
    const std::string u = url() + path_and_query;
    curl_easy_setopt(c, CURLOPT_URL, u.c_str());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +[](char* p, std::size_t s, std::size_t n, void* ud) {
      static_cast<std::string*>(ud)->append(p, s * n);
      return s * n;
    });
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return {status, body};
  }

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    if (wait_until([&] { return waitpid(pid_, nullptr, WNOHANG) == pid_; }, std::chrono::seconds(5))) {
      pid_ = -1;
      return;
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  bool ready() const { return get("/-/ready").first == 200; }

  fs::path dir_;
  unsigned short port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace complyd::itest
