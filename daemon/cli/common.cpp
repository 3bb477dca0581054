// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <iostream>

#include "daemon/cli/cli.hpp"
#include "daemon/log/log.hpp"
#include "daemon/sources/registry.hpp"

namespace complyd::cli {

void add_config_option(CLI::App* cmd, State& st) { cmd->add_option("--config,-c", st.config_path, kConfigHelp); }

void add_state_option(CLI::App* cmd, State& st) { cmd->add_option("--state", st.state_path, kStateHelp); }

std::optional<Config> load_or_report(const State& st) {
  const auto& path = st.config_path;
  auto r = load_config(path);
  if (!r.ok()) {
    for (const auto& p : r.problems) std::cerr << p.to_string() << '\n';
    std::cerr << fmt::format("{}: {} problem(s); nothing was run\n", path, r.problems.size());
    return std::nullopt;
  }
  log::set_level(r.config->log_level);
  if (!st.state_path.empty()) r.config->state_db = st.state_path;
  return std::move(r.config);
}

int with_store(const State& st, const std::function<int(const Config&, StateStore&)>& fn) {
  auto config = load_or_report(st);
  if (!config) return kUsage;
  try {
    StateStore store(config->state_db);
    return fn(*config, store);
  } catch (const StateError& e) {
    std::cerr << "complyd: " << e.what() << '\n';
    return kUsage;
  } catch (const std::exception& e) {
    CLOG(error) << e.what();
    return kRuntime;
  }
}

Clock clock_from(const std::string& now) {
  if (now.empty()) return system_clock();
  return fixed_clock(*parse_time(now));
}

bool valid_time_option(const std::string& value) {
  if (value.empty() || parse_time(value)) return true;
  std::cerr << "complyd: '" << value << "' is not an RFC 3339 time (e.g. 2026-11-22T10:00:00Z or 2026-11-22)\n";
  return false;
}

}  // namespace complyd::cli
