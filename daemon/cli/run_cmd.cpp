// SPDX-License-Identifier: Apache-2.0
#include <signal.h>
#include <sys/resource.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <thread>

#include "daemon/app/daemon.hpp"
#include "daemon/app/reload_status.hpp"
#include "daemon/cli/cli.hpp"

namespace complyd::cli {

namespace {

// `complyd reload --pid PID`: SIGHUP, then wait for the daemon's answer in
// the reload status file, so a refused file fails `systemctl reload`.
int reload(const State& st, pid_t pid, int timeout_s) {
  auto config = load_or_report(st);
  if (!config) {
    std::cerr << "complyd reload: the new configuration is refused; the running daemon keeps its own\n";
    return kUsage;  // not signalled: the daemon would refuse it too
  }
  const auto file = reload_status_path(config->state_db);
  const auto before = read_reload_status(file);
  if (::kill(pid, SIGHUP) != 0) {
    std::cerr << "complyd reload: cannot signal process " << pid << ": " << std::strerror(errno) << '\n';
    return kRuntime;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    auto now = read_reload_status(file);
    if (now && now->pid == pid && (!before || before->pid != pid || now->generation > before->generation)) {
      (now->ok ? std::cout : std::cerr) << now->message;
      return now->ok ? kOk : kUsage;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a reload takes milliseconds
  }
  std::cerr << "complyd reload: no answer from process " << pid << " in " << timeout_s << " s (is it complyd, with "
            << "this state.path?)\n";
  return kRuntime;
}

}  // namespace

void add_run_commands(CLI::App& app, State& st) {
  auto* c = app.add_subcommand("run", "Run the daemon: audit cycles on the configured schedule");
  add_config_option(c, st);
  c->callback([&st] {
    // Connections are file descriptors; the soft limit is often far below the
    // hard one (1024 by default). The unit sets both (LimitNOFILE=).
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &rl);  // EPERM under the unit's seccomp filter: already raised there
    }
    auto config = load_or_report(st);
    if (!config) {
      st.exit_code = kUsage;
      return;
    }
    Daemon d(st.config_path, std::move(*config), system_clock());
    st.exit_code = d.run();
  });

  auto* r = app.add_subcommand(
      "reload", "Reload a running daemon's configuration and wait for the outcome (the unit's ExecReload)");
  add_config_option(r, st);
  struct Options {
    pid_t pid = 0;
    int timeout_s = 60;
  };
  auto o = std::make_shared<Options>();
  r->add_option("--pid", o->pid, "The daemon's process id ($MAINPID in the unit)")->required()->check(CLI::PositiveNumber);
  r->add_option("--timeout", o->timeout_s, "Seconds to wait for the daemon's answer")->check(CLI::Range(1, 3600));
  r->callback([&st, o] { st.exit_code = reload(st, o->pid, o->timeout_s); });
}

}  // namespace complyd::cli
