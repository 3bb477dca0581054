// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "daemon/cli/cli.hpp"
#include "daemon/sources/registry.hpp"

namespace complyd::cli {

void add_config_commands(CLI::App& app, State& st) {
  auto* c = app.add_subcommand("config", "Configuration commands");
  c->require_subcommand(1);
  auto* check = c->add_subcommand("check", "Validate the configuration and exit (0 ok, 2 problems)");
  add_config_option(check, st);
  check->callback([&st] {
    auto r = load_config(st.config_path);
    if (!r.ok()) {
      for (const auto& p : r.problems) std::cout << p.to_string() << '\n';
      st.exit_code = kUsage;
      return;
    }
    std::cout << fmt::format("{}: ok ({} checks, {} enabled)\n", st.config_path, r.config->checks.size(),
                             std::count_if(r.config->checks.begin(), r.config->checks.end(),
                                           [](const auto& kv) { return kv.second.enabled; }));
    st.exit_code = kOk;
  });
}

}  // namespace complyd::cli
