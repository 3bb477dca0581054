// SPDX-License-Identifier: Apache-2.0
// A real SMTP server for the e-mail tests: Debian's aiosmtpd with its
// Maildir handler, on a free loopback port, and a parser for what it stored
// (Python's email package, so the MIME is checked by an independent parser).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.hpp"
#include "ports.hpp"
#include "tests/wait_until.hpp"

extern char** environ;

namespace complyd::itest {

inline const char* kPython = "/usr/bin/python3";

class MailCatcher {
 public:
  // `maildir` must not exist yet (the Mailbox handler creates it).
  MailCatcher(fs::path maildir, fs::path log, int port = 0, std::vector<std::string> tls_args = {})
      : maildir_(std::move(maildir)), log_(std::move(log)), port_(port == 0 ? free_port() : port),
        tls_args_(std::move(tls_args)) {
    start();
  }
  ~MailCatcher() { stop(); }

  void start() {
    std::vector<std::string> args{kPython, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + std::to_string(port_)};
    args.insert(args.end(), tls_args_.begin(), tls_args_.end());
    for (const auto& a : std::vector<std::string>{"-c", "aiosmtpd.handlers.Mailbox", maildir_.string()}) {
      args.push_back(a);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (posix_spawn(&pid_, kPython, &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    ready_ = wait_until([&] { return accepts(port_); }, std::chrono::seconds(20), std::chrono::milliseconds(50));
  }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    // The port is free again before a restart binds it (bounded: a
    // restart that cannot bind shows as ready() == false).
    wait_until([&] { return !accepts(port_); }, std::chrono::seconds(10));
  }
  bool ready() const { return ready_; }
  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  const fs::path& maildir() const { return maildir_; }

  std::size_t count() const {
    std::size_t n = 0;
    std::error_code ec;
    for (const char* sub : {"new", "cur"}) {
      for (auto it = fs::directory_iterator(maildir_ / sub, ec); !ec && it != fs::directory_iterator(); ++it) ++n;
    }
    return n;
  }

 private:
  fs::path maildir_, log_;
  int port_;
  std::vector<std::string> tls_args_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

// Every stored message as JSON: headers (decoded), the text and HTML parts,
// the raw bytes' line-ending check.
inline nlohmann::json parse_maildir(const TempDir& dir, const fs::path& maildir) {
  const auto script = dir / ".parse_maildir.py";
  write_file(script, R"PY(
import email, email.header, email.policy, json, mailbox, sys
out = []
mb = mailbox.Maildir(sys.argv[1], create=False)
for key in mb.keys():
    raw = mb.get_bytes(key)
    m = email.message_from_bytes(raw, policy=email.policy.default)
    parts = {}
    for p in m.walk():
        if p.get_content_maintype() == 'text':
            parts[p.get_content_subtype()] = p.get_content()
    out.append({
        'subject': str(m['Subject']), 'from': str(m['From']), 'to': str(m['To']),
        'date': str(m['Date']), 'message_id': str(m['Message-ID']),
        'auto_submitted': str(m['Auto-Submitted']), 'content_type': m.get_content_type(),
        'text': parts.get('plain', ''), 'html': parts.get('html', ''),
        'raw': raw.decode('utf-8', 'replace'),
    })
out.sort(key=lambda m: (m['to'], m['subject']))
print(json.dumps(out))
)PY");
  const auto out = dir / ".maildir.json";
  const std::string cmd = std::string(kPython) + " " + quote(script.string()) + " " + quote(maildir.string()) + " >" +
                          quote(out.string());
  if (std::system(cmd.c_str()) != 0) return nlohmann::json::array();
  return nlohmann::json::parse(read_file(out));
}

}  // namespace complyd::itest
