// SPDX-License-Identifier: Apache-2.0
// A complyd child process for tests that signal it (daemon, systemd notify):
// stderr to a file, stdout discarded, environment inherited minus the
// service-manager variables, plus `extra_env`.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "tests/wait_until.hpp"

extern char** environ;

namespace complyd::itest {

class Process {
 public:
  Process(const std::vector<std::string>& args, const fs::path& err_file,
          const std::vector<std::string>& extra_env = {}) {
    std::vector<char*> argv{const_cast<char*>(COMPLYD_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv(*e);
      if (kv.starts_with("NOTIFY_SOCKET=") || kv.starts_with("WATCHDOG_") || kv.starts_with("JOURNAL_STREAM=") ||
          kv.starts_with("LISTEN_")) {
        continue;
      }
      env_.push_back(kv);
    }
    for (const auto& e : extra_env) env_.push_back(e);
    std::vector<char*> envp;
    for (auto& e : env_) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, COMPLYD_BINARY, &fa, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Process() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int s) { kill(pid_, s); }
  // Exit code (128 + signal when killed), or -1 if it did not exit in time.
  int wait_exit(std::chrono::milliseconds limit) {
    int status = 0;
    if (!wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, limit)) return -1;
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  std::vector<std::string> env_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

}  // namespace complyd::itest
