// SPDX-License-Identifier: Apache-2.0
// The command line, one file per command group. Each group registers its
// subcommands on the app and sets `exit_code` from its callback. Adding a
// group: one file in daemon/cli/ and one line in daemon/main.cpp.
#pragma once

#include "daemon/util/prelude.hpp"

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "daemon/config/config.hpp"
#include "daemon/store/state_store.hpp"
#include "model/time.hpp"

namespace complyd::cli {

enum Exit { kOk = 0, kRuntime = 1, kUsage = 2, kFindings = 3 };

struct State {
  std::string config_path;  // --config, shared by every command
  std::string state_path;   // --state: a state database other than the configuration's state_db
  int exit_code = kUsage;
};

inline const char* kConfigHelp = "Configuration file (default $COMPLYD_CONFIG or /etc/complyd/complyd.toml)";

inline const char* kStateHelp =
    "State database to use instead of the configuration's state_db (e.g. one written by audit --now)";

void add_config_option(CLI::App* cmd, State& st);
void add_state_option(CLI::App* cmd, State& st);

// Loads and validates; prints every problem as file:line:column: message.
// --state, when given, replaces the configuration's state_db.
std::optional<Config> load_or_report(const State& st);
// Runs fn with the configuration and an open state store; maps StateError to
// exit 2 with its message and other failures to exit 1.
int with_store(const State& st, const std::function<int(const Config&, StateStore&)>& fn);
// --now: empty means the system clock.
Clock clock_from(const std::string& now);
// Validates a time option; prints an error and returns false when invalid.
bool valid_time_option(const std::string& value);

void add_demo_commands(CLI::App& app, State& st);
void add_audit_commands(CLI::App& app, State& st);
void add_run_commands(CLI::App& app, State& st);
void add_config_commands(CLI::App& app, State& st);
void add_findings_commands(CLI::App& app, State& st);
void add_checks_commands(CLI::App& app, State& st);
void add_notify_commands(CLI::App& app, State& st);
void add_report_commands(CLI::App& app, State& st);
void add_sources_commands(CLI::App& app, State& st);
void add_history_commands(CLI::App& app, State& st);
void add_console_commands(CLI::App& app, State& st);
// Last: it walks every command registered before it.
void add_completion_commands(CLI::App& app, State& st);

}  // namespace complyd::cli
