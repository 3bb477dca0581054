// SPDX-License-Identifier: Apache-2.0
#include <iostream>
#include <string>

#include "daemon/cli/cli.hpp"
#include "daemon/util/crypto.hpp"

namespace complyd::cli {

void add_console_commands(CLI::App& app, State& st) {
  auto* c = app.add_subcommand("console", "The web console's users (docs/console.md)");
  c->require_subcommand(1);
  auto* hash = c->add_subcommand(
      "hash-password", "Read a password on stdin; print its PBKDF2 hash for a [[http.users]] password_hash_file");
  hash->callback([&st] {
    // From stdin, never an argument: arguments show in `ps` and shell history.
    std::string password;
    if (!std::getline(std::cin, password) || password.empty()) {
      std::cerr << "complyd console hash-password: no password on stdin\n";
      st.exit_code = kUsage;
      return;
    }
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.size() < 12) {
      std::cerr << "complyd console hash-password: use at least 12 characters\n";
      st.exit_code = kUsage;
      return;
    }
    std::cout << hash_password(password) << '\n';
    st.exit_code = kOk;
  });
}

}  // namespace complyd::cli
