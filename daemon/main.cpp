// SPDX-License-Identifier: Apache-2.0
// complyd: the command line. Each command group lives in daemon/cli/; this
// file only wires them and owns process-wide setup (curl, logging).
#include "daemon/util/prelude.hpp"

#include <curl/curl.h>
#include <sqlite3.h>

#include <cstdlib>
#include <iostream>

#include "daemon/util/version.hpp"
#include "daemon/cli/cli.hpp"
#include "daemon/log/log.hpp"

namespace complyd {

int main_impl(int argc, char** argv) {
  CLI::App app{"complyd: compliance auditing for partner integrations with donation and payment platforms"};
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);
  cli::State st;
  const char* env = std::getenv("COMPLYD_CONFIG");
  st.config_path = env != nullptr && *env != '\0' ? env : kDefaultConfigPath;

  cli::add_demo_commands(app, st);
  cli::add_audit_commands(app, st);
  cli::add_run_commands(app, st);
  cli::add_config_commands(app, st);
  cli::add_findings_commands(app, st);
  cli::add_checks_commands(app, st);
  cli::add_notify_commands(app, st);
  cli::add_report_commands(app, st);
  cli::add_sources_commands(app, st);
  cli::add_history_commands(app, st);
  cli::add_console_commands(app, st);
  auto* version = app.add_subcommand("version", "Print the version");
  version->callback([&st] {
    std::cout << "complyd " << kVersion << '\n';
    st.exit_code = cli::kOk;
  });
  cli::add_completion_commands(app, st);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? cli::kOk : cli::kUsage;
  }
  return st.exit_code;
}

}  // namespace complyd

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  // No allocation statistics (complyd never reads them): they cost a global
  // mutex on every SQLite allocation, shared by all reading threads.
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  complyd::log::init(complyd::log::Level::info);
  int rc = complyd::cli::kRuntime;
  try {
    rc = complyd::main_impl(argc, argv);
  } catch (const std::exception& e) {
    CLOG(error) << "fatal: " << e.what();
  }
  complyd::log::shutdown();
  curl_global_cleanup();
  return rc;
}
