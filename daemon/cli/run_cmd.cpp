// SPDX-License-Identifier: Apache-2.0
#include "daemon/app/daemon.hpp"
#include "daemon/cli/cli.hpp"

namespace complyd::cli {

void add_run_commands(CLI::App& app, State& st) {
  auto* c = app.add_subcommand("run", "Run the daemon: audit cycles on the configured schedule");
  add_config_option(c, st);
  c->callback([&st] {
    auto config = load_or_report(st);
    if (!config) {
      st.exit_code = kUsage;
      return;
    }
    Daemon d(st.config_path, std::move(*config), system_clock());
    st.exit_code = d.run();
  });
}

}  // namespace complyd::cli
