#include <fmt/format.h>

#include <cstdlib>
#include <iostream>

#include "daemon/cli/cli.hpp"
#include "daemon/log/log.hpp"
#include "daemon/sources/registry.hpp"

namespace complyd::cli {

void add_config_option(CLI::App* cmd, State& st) { cmd->add_option("--config,-c", st.config_path, kConfigHelp); }

std::optional<Config> load_or_report(const std::string& path) {
  auto r = load_config(path);
  if (!r.ok()) {
    for (const auto& p : r.problems) std::cerr << p.to_string() << '\n';
    std::cerr << fmt::format("{}: {} problem(s); nothing was run\n", path, r.problems.size());
    return std::nullopt;
  }
  log::set_level(r.config->log_level);
  return std::move(r.config);
}

int with_store(const std::string& config_path, const std::function<int(const Config&, StateStore&)>& fn) {
  auto config = load_or_report(config_path);
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

std::string operator_name() {
  for (const char* var : {"SUDO_USER", "USER", "LOGNAME"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0') return v;
  }
  return "cli";
}

}  // namespace complyd::cli
