// SPDX-License-Identifier: Apache-2.0
// Real receivers for the HTTP channels: Debian's prometheus-alertmanager on a
// free loopback port, and a loopback webhook receiver (Python's http.server)
// that verifies every request's HMAC-SHA256 signature and writes what it got
// as JSON lines.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.hpp"
#include "ports.hpp"
#include "raw_http.hpp"
#include "tests/wait_until.hpp"

extern char** environ;

namespace complyd::itest {

// A child process with its output in `log`, stopped (SIGTERM) on destruction.
class Child {
 public:
  Child() = default;
  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  void spawn(const std::vector<std::string>& args, const fs::path& log) {
    std::vector<char*> argv;
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (posix_spawn(&pid_, copy[0].c_str(), &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

// GET over HTTP/1.0 (no chunked reply): the body, or "" on failure.
inline std::string http_get_body(int port, const std::string& path) {
  const std::string resp = raw(port, "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  const auto at = resp.find("\r\n\r\n");
  if (!resp.starts_with("HTTP/1.") || resp.find(" 200 ") > 12 || at == std::string::npos) return "";
  return resp.substr(at + 4);
}

class AlertmanagerServer {
 public:
  AlertmanagerServer(const fs::path& dir, int port = 0) : dir_(dir), port_(port == 0 ? free_port() : port) {
    fs::create_directories(dir_);
    write_file(dir_ / "alertmanager.yml", "route:\n  receiver: none\nreceivers:\n  - name: none\n");
  }
  void start() {
    child_.spawn({"/usr/bin/prometheus-alertmanager", "--config.file=" + (dir_ / "alertmanager.yml").string(),
                  "--storage.path=" + (dir_ / "data").string(),
                  "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--cluster.listen-address="},
                 dir_ / "alertmanager.log");
    ready_ = wait_until([&] { return http_get_body(port_, "/-/ready").starts_with("OK"); }, std::chrono::seconds(30),
                        std::chrono::milliseconds(50));
  }
  void stop() {
    child_.stop();
    wait_until([&] { return !accepts(port_); }, std::chrono::seconds(10));
  }
  bool ready() const { return ready_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The active alerts (Alertmanager leaves resolved ones out).
  nlohmann::json alerts() const {
    const std::string body = http_get_body(port_, "/api/v2/alerts");
    return body.empty() ? nlohmann::json::array() : nlohmann::json::parse(body);
  }
  fs::path log() const { return dir_ / "alertmanager.log"; }

 private:
  fs::path dir_;
  int port_;
  Child child_;
  bool ready_ = false;
};

// Answers each POST after verifying it: 200 when the signature and the
// timestamp (within 5 minutes) check out, 401 otherwise; the file `mode`
// (read per request) can make it answer 410 ("gone") or answer slowly ("slow").
class WebhookReceiver {
 public:
  WebhookReceiver(const fs::path& dir, const fs::path& secret, int port = 0)
      : dir_(dir), secret_(secret), port_(port == 0 ? free_port() : port) {
    fs::create_directories(dir_);
    write_file(dir_ / "receiver.py", R"PY(
import hashlib, hmac, http.server, json, os, sys, time
port, secret_file, log, mode_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
secret = open(secret_file, 'rb').read().strip()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        ts = self.headers.get('X-Complyd-Timestamp', '')
        sig = self.headers.get('X-Complyd-Signature', '')
        want = 'sha256=' + hmac.new(secret, ts.encode() + b'.' + body, hashlib.sha256).hexdigest()
        fresh = ts.isdigit() and abs(time.time() - int(ts)) < 300
        verified = hmac.compare_digest(want, sig) and fresh
        mode = open(mode_file).read().strip() if os.path.exists(mode_file) else 'ok'
        if mode == 'slow':
            time.sleep(0.02)
        status = 410 if mode == 'gone' else (200 if verified else 401)
        with open(log, 'a') as f:
            f.write(json.dumps({'delivery': self.headers.get('X-Complyd-Delivery'), 'verified': verified,
                                'status': status, 'content_type': self.headers.get('Content-Type'),
                                'body': body.decode('utf-8')}) + '\n')
        self.send_response(status)
        self.send_header('Content-Length', '0')
        self.end_headers()
    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
)PY");
  }
  void start() {
    child_.spawn({"/usr/bin/python3", (dir_ / "receiver.py").string(), std::to_string(port_), secret_.string(),
                  (dir_ / "received.jsonl").string(), (dir_ / "mode").string()},
                 dir_ / "receiver.log");
    ready_ = wait_until([&] { return accepts(port_); }, std::chrono::seconds(20), std::chrono::milliseconds(50));
  }
  void stop() {
    child_.stop();
    wait_until([&] { return !accepts(port_); }, std::chrono::seconds(10));
  }
  void mode(const std::string& m) { write_file(dir_ / "mode", m + "\n"); }
  bool ready() const { return ready_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/complyd"; }
  // Every request received, in order.
  std::vector<nlohmann::json> received() const {
    std::vector<nlohmann::json> out;
    std::error_code ec;
    if (!fs::exists(dir_ / "received.jsonl", ec)) return out;
    std::istringstream in(read_file(dir_ / "received.jsonl"));
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded()) out.push_back(std::move(j));  // a line still being written is skipped
    }
    return out;
  }

 private:
  fs::path dir_, secret_;
  int port_;
  Child child_;
  bool ready_ = false;
};

}  // namespace complyd::itest
